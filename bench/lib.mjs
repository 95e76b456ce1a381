// Shared by the benchmarks: build once, provision PostgreSQL + Kafka, start the distributed stack,
// a lean keep-alive HTTP client, percentiles and a figures table. Node built-ins + the built @pp/testing.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const ADMIN = 'bench-admin-key';
export const now = () => performance.now();
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Installs and builds (Nx cache: quick when nothing changed) unless the runner already did. */
export function ensureBuilt() {
  if (process.env.BENCH_SKIP_BUILD === '1') return;
  const setup = require(path.join(root, 'scripts/ensure.js'));
  setup.ensureInstalled();
  setup.ensureBuilt();
  process.env.BENCH_SKIP_BUILD = '1';
}

export function log(line) {
  process.stderr.write(`[bench] ${line}\n`);
}

export function intEnv(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got ${raw}`);
  return n;
}

export function machine() {
  let pg = '';
  try {
    pg = execFileSync('psql', ['-XtAc', 'show server_version', process.env.TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    pg = 'unknown';
  }
  const load = os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  return {
    cpus: os.availableParallelism?.() ?? os.cpus().length,
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    postgres: pg,
    loadavg: load,
  };
}

/**
 * Provisions fresh infrastructure, starts the four services (LOG_LEVEL=warn, no rate limit to speak of),
 * runs `fn`, then stops everything whatever happened. Service output goes to .cache/bench/<name>.log.
 */
export async function withStack(name, env, fn) {
  ensureBuilt();
  const testing = require('@pp/testing');
  const logDir = path.join(root, '.cache/bench');
  fs.mkdirSync(logDir, { recursive: true });
  const logFile = path.join(logDir, `${name}-services.log`);
  const output = fs.createWriteStream(logFile);
  const m = machine();
  log(`${name}: ${m.cpus} CPUs, ${m.memGiB} GiB, node ${m.node}, PostgreSQL ${m.postgres}, load average ${m.loadavg}`);
  const t0 = now();
  const infra = await testing.provisionInfra((line) => log(`infra: ${line}`));
  let stack;
  let client;
  let db;
  const stopAll = async () => {
    await stack?.stop().catch((e) => log(`stack stop failed: ${e}`));
    stack = undefined;
    await infra.stop().catch((e) => log(`infra stop failed: ${e}`));
  };
  const onSignal = () => {
    log('interrupted: stopping the stack and the infrastructure');
    void stopAll().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    stack = await testing.startStack({
      databaseUrl: infra.databaseUrl,
      kafkaBrokers: infra.kafkaBrokers,
      output,
      env: { LOG_LEVEL: 'warn', ADMIN_API_KEY: ADMIN, RATE_LIMIT_PER_MINUTE: '100000000', ...profiling(name), ...env },
    });
    log(
      `${name}: infra (${infra.mode}) and stack up in ${((now() - t0) / 1000).toFixed(1)} s, gateway ${stack.gatewayUrl}, service log ${path.relative(root, logFile)}`,
    );
    client = new Client(stack.gatewayUrl);
    db = dbProbe(infra.databaseUrl);
    return await fn({ stack, infra, testing, client, db, machine: m });
  } finally {
    client?.close();
    await db?.end().catch(() => undefined);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await stopAll();
    output.end();
    const warnings = fs.existsSync(logFile)
      ? fs
          .readFileSync(logFile, 'utf8')
          .split('\n')
          .filter((l) => l.trim() && !l.startsWith('{"ready"')).length
      : 0;
    log(`${name}: stopped; ${warnings} service log line(s) at warn or above in ${path.relative(root, logFile)}`);
  }
}

/** BENCH_CPU_PROF=1: every service writes a V8 CPU profile to .cache/bench/prof/<bench>/ when stopped. */
function profiling(name) {
  if (process.env.BENCH_CPU_PROF !== '1') return {};
  const dir = path.join(root, '.cache/bench/prof', name);
  fs.mkdirSync(dir, { recursive: true });
  log(`CPU profiles of the services go to ${path.relative(root, dir)}`);
  return { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${path.join(root, 'bench/cpu-prof-hook.cjs')}`.trim(), BENCH_CPU_PROF_DIR: dir };
}

/** Keep-alive HTTP/1.1 client on node:http: less client CPU than fetch, which matters on 2 cores. */
export class Client {
  constructor(baseUrl, maxSockets = 512) {
    const url = new URL(baseUrl);
    this.host = url.hostname;
    this.port = Number(url.port);
    this.agent = new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
  }

  /** → {status, text, json()} ; never rejects on an HTTP status, only on a network error. */
  request(method, urlPath, { key, body, headers } = {}) {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: this.host,
          port: this.port,
          method,
          path: urlPath,
          agent: this.agent,
          headers: {
            ...(key ? { XApiKey: key } : {}),
            ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
            ...(headers ?? {}),
          },
        },
        (res) => {
          const chunks = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            resolve({ status: res.statusCode, text, json: () => (text ? JSON.parse(text) : undefined) });
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  async expect(status, method, urlPath, opts) {
    const res = await this.request(method, urlPath, opts);
    if (res.status !== status) throw new Error(`${method} ${urlPath}: expected ${status}, got ${res.status} ${res.text.slice(0, 500)}`);
    return res.json();
  }

  newPartner(companyName) {
    return this.expect(201, 'POST', '/admin/partners', {
      key: ADMIN,
      body: { companyName, officeEmail: `${companyName.toLowerCase().replace(/[^a-z0-9]/g, '')}@example.test` },
    });
  }

  newCase(partnerId, extra = {}) {
    return this.expect(201, 'POST', '/admin/cases', { key: ADMIN, body: { partnerId, currency: 'EUR', grossAmount: 1_000_000_000, successFee: 20, ...extra } });
  }

  close() {
    this.agent.destroy();
  }
}

/** Runs `task(i)` for i in [0, count) with at most `concurrency` in flight. */
export async function forEachLimit(count, concurrency, task) {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      await task(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

/** Small PostgreSQL probe for quiescence checks (never used for the measured paths). */
function dbProbe(databaseUrl) {
  const pg = require('pg');
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  let ended = false;
  return {
    query: (sql, params) => pool.query(sql, params),
    /** runs `fn(client)` on one connection (for a transaction) */
    async withClient(fn) {
      const client = await pool.connect();
      try {
        return await fn(client);
      } finally {
        client.release();
      }
    },
    end: async () => {
      if (ended) return;
      ended = true;
      await pool.end();
    },
  };
}

/**
 * Waits until every outbox is published and the inboxes have stopped growing: the asynchronous
 * work of the previous phase (Kafka consumers, webhook deliveries) no longer competes for the CPU.
 */
export async function quiesce(db, { timeoutMs = 120_000, stableMs = 1_500 } = {}) {
  const deadline = now() + timeoutMs;
  let last = '';
  let since = now();
  for (;;) {
    const { rows } = await db.query(
      `SELECT (SELECT count(*) FROM ledger.outbox WHERE published_at IS NULL)
            + (SELECT count(*) FROM cases.outbox WHERE published_at IS NULL)
            + (SELECT count(*) FROM followup.outbox WHERE published_at IS NULL) AS unpublished,
              (SELECT count(*) FROM cases.inbox) || '/' || (SELECT count(*) FROM followup.inbox)
            || '/' || (SELECT count(*) FROM cases.webhook_deliveries WHERE status = 'Pending') AS progress`,
    );
    const { unpublished, progress } = rows[0];
    if (progress !== last || Number(unpublished) > 0) {
      last = progress;
      since = now();
    } else if (now() - since >= stableMs) return;
    if (now() > deadline) {
      log(`quiesce: still busy after ${timeoutMs} ms (unpublished ${unpublished}, inboxes ${progress}); going on`);
      return;
    }
    await sleep(250);
  }
}

const TICK_MS = 1000 / (Number(process.env.CLK_TCK) || 100);

function procTicks(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]); // utime + stime
  } catch {
    return 0;
  }
}

function childPids(ppid) {
  const pids = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === ppid) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

function componentOf(pid) {
  try {
    const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    const service = cmd.match(/services\/([a-z-]+)\/dist\/main\.js/);
    if (service) return service[1];
    if (cmd.includes('kafka')) return 'kafka';
    return undefined;
  } catch {
    return undefined;
  }
}

/**
 * CPU time (ms) so far of this benchmark's own processes: the four services and the Kafka broker
 * (children of this process; Linux /proc only), this database's PostgreSQL backends, and this client.
 * Backends that exited between two snapshots are missed, so the PostgreSQL figure is a lower bound.
 */
export async function cpuSnapshot(db) {
  const out = { gateway: 0, ledger: 0, 'case-lifecycle': 0, 'follow-up': 0, kafka: 0, postgres: 0, 'bench client': 0 };
  if (process.platform !== 'linux') return out;
  for (const pid of childPids(process.pid)) {
    const name = componentOf(pid);
    if (name) out[name] = (out[name] ?? 0) + procTicks(pid) * TICK_MS;
  }
  const { rows } = await db.query('SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()');
  const backends = new Map(rows.map((r) => [r.pid, procTicks(r.pid) * TICK_MS]));
  const self = process.cpuUsage();
  out['bench client'] = (self.user + self.system) / 1000;
  const stat = await db.query('SELECT xact_commit::bigint AS commits FROM pg_stat_database WHERE datname = current_database()');
  return { ...out, backends, commits: Number(stat.rows[0]?.commits ?? 0) };
}

/** CPU ms per component between two snapshots (PostgreSQL: per backend, so exited ones do not subtract). */
export function cpuDelta(before, after) {
  const out = {};
  for (const k of Object.keys(after)) if (k !== 'backends' && k !== 'postgres' && k !== 'commits') out[k] = after[k] - (before[k] ?? 0);
  let pg = 0;
  for (const [pid, t] of after.backends) pg += t - (before.backends.get(pid) ?? 0);
  out.postgres = pg;
  return { cpu: out, commits: after.commits - before.commits };
}

export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export function stats(samples) {
  const s = Float64Array.from(samples).sort();
  const sum = s.reduce((a, b) => a + b, 0);
  return {
    n: s.length,
    mean: s.length ? sum / s.length : NaN,
    p50: percentile(s, 50),
    p95: percentile(s, 95),
    p99: percentile(s, 99),
    max: s.length ? s[s.length - 1] : NaN,
  };
}

export const ms = (v) => (Number.isFinite(v) ? v.toFixed(1) : '-');

/** Prints a plain-text table (also valid Markdown) to stdout. */
export function table(title, header, rows) {
  const cells = [header, ...rows].map((r) => r.map((c) => String(c)));
  const widths = header.map((_, i) => Math.max(...cells.map((r) => r[i]?.length ?? 0)));
  const line = (r) => `| ${r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  const out = [
    `\n### ${title}\n`,
    line(cells[0]),
    `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`,
    ...cells.slice(1).map(line),
    '',
  ];
  process.stdout.write(`${out.join('\n')}\n`);
}

export const verdict = (ok) => (ok ? 'met' : 'MISSED');
