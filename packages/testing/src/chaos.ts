// Chaos run (issue 11, "Prove it, and keep proving it"): a bounded load of payments with
// Idempotency-Keys, edits, deletes, settlements and closes over many cases, while each service is
// killed with SIGKILL and restarted in turn and the Kafka broker is restarted. Every unanswered request
// is retried (same key) until it is answered; then the run audits PostgreSQL and the REST API until the
// system has converged or a deadline passes. Used by `npm run chaos` (bench/chaos.mjs) and by
// services/gateway/test/chaos.int.spec.ts; the caller owns the stack, this module owns load and audit.
import { createHmac } from 'node:crypto';
import * as http from 'node:http';
import pg from 'pg';
import { rawRequest } from './http-raw';
import { Rng } from './random';
import type { MailSink, WebhookSink } from './sinks';
import type { ServiceName } from './stack';

export type ChaosFault = ServiceName | 'kafka';
export const CHAOS_FAULTS: readonly ChaosFault[] = ['gateway', 'ledger', 'case-lifecycle', 'follow-up', 'kafka'];

/** What the run may do to the system under test. */
export interface ChaosControl {
  /** SIGKILL the service, then start it again on its port; resolves when it is ready */
  killAndRestart(service: ServiceName): Promise<void>;
  restartKafka(): Promise<void>;
}

/** The stack settings the audit relies on (pass them to startStack's env with the sinks' addresses). */
export function chaosStackEnv(opts: { smtpUrl: string; chaseAfter?: string }): Record<string, string> {
  return {
    SMTP_URL: opts.smtpUrl,
    WEBHOOK_ALLOW_INSECURE: 'true',
    WEBHOOK_ALLOW_PRIVATE: 'true',
    // a delivery cut by a kill is retried within seconds, not after the default 5 minutes
    WEBHOOK_RETRY_SCHEDULE: '0s,1s,2s,5s,10s,20s,30s,60s',
    // escalations (chase e-mails) happen during the run; reminders stay out of it
    FOLLOW_UP_CHASE_AFTER: opts.chaseAfter ?? 'PT5S',
    FOLLOW_UP_REMINDER_INTERVAL: 'P7D',
    RATE_LIMIT_PER_MINUTE: '100000000',
  };
}

export interface ChaosOptions {
  readonly gatewayUrl: string;
  readonly databaseUrl: string;
  readonly adminKey: string;
  readonly mail: MailSink;
  readonly webhooks: WebhookSink;
  readonly control: ChaosControl;
  /** faults in the order they happen, spread evenly over the load */
  readonly faults: readonly ChaosFault[];
  readonly partners: number;
  readonly cases: number;
  /** payments recorded in all (POST /cases/{id}/payments answered 2xx) */
  readonly payments: number;
  readonly concurrency: number;
  readonly seed: number;
  /** a request is retried until answered, at most this long */
  readonly requestDeadlineMs: number;
  /** per attempt */
  readonly attemptTimeoutMs: number;
  /** the audit polls until converged, at most this long after the load stopped */
  readonly convergeTimeoutMs: number;
  readonly log: (line: string) => void;
  /** called once the load has stopped, before the audit (a self-test of the audit breaks something here) */
  readonly afterLoad?: () => Promise<void>;
}

export const CHAOS_DEFAULTS = {
  partners: 2,
  cases: 40,
  payments: 1000,
  concurrency: 12,
  seed: 11,
  requestDeadlineMs: 120_000,
  attemptTimeoutMs: 15_000,
  convergeTimeoutMs: 120_000,
};

export interface ChaosCheck {
  readonly name: string;
  /** the figures, in print order; a check fails when any of `must` is non-zero */
  readonly figures: Record<string, number>;
  readonly must: readonly string[];
  /** figures that may still fall to zero while asynchronous work finishes; the others are final */
  readonly inflight: readonly string[];
  readonly examples: string[];
}

export interface ChaosReport {
  readonly ok: boolean;
  readonly checks: ChaosCheck[];
  /** ms from the end of the load to the first audit where everything held; undefined: never within the deadline */
  readonly convergedMs: number | undefined;
  readonly loadMs: number;
  readonly stats: LoadStats;
  readonly faults: { fault: ChaosFault; atPercent: number; tookMs: number }[];
  readonly lines: string[];
}

export interface LoadStats {
  requests: number;
  attempts: number;
  retried: number;
  retriedAfter5xx: number;
  retriedAfterNetwork: number;
  retriedAfterInUse: number;
  /** answers with Idempotency-Replayed: true (a retry that found the payment its lost attempt had recorded) */
  replayed: number;
  unanswered: number;
  unexpected: number;
  recorded: number;
  owed: number;
  edits: number;
  deletes: number;
  settlements: number;
  closes: number;
}

interface PaymentModel {
  id: string;
  key: string;
  caseIdx: number;
  amount: number; // cents
  recipient: 'CollectionPartner' | 'Platform' | 'Creditor';
  status: 'Paid' | 'Unpaid';
  owed: boolean;
  settled: boolean;
  deleted: boolean;
  closing: boolean;
}

interface CaseModel {
  idx: number;
  id: string;
  partnerIdx: number;
  gross: number; // cents
  live: PaymentModel[];
  closed: boolean;
  budget: number;
  rng: Rng;
  seq: number;
}

interface Partner {
  id: string;
  apiKey: string;
  secret: string;
  path: string;
}

type Json = Record<string, unknown>;

const DATE = '2026-11-20';
const major = (cents: number) => cents / 100;
const toCents = (v: unknown) => Math.round(Number(v) * 100);

class Gateway {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

  constructor(
    private readonly baseUrl: string,
    private readonly opts: Pick<ChaosOptions, 'requestDeadlineMs' | 'attemptTimeoutMs' | 'log'>,
    readonly stats: LoadStats,
    private readonly unexpectedLog: string[],
  ) {}

  /**
   * Sends until answered with a final status: network errors, timeouts, 5xx, 429 and 409
   * IdempotencyKeyInUse are retried with the same request. `ambiguous`: an earlier attempt may have run.
   */
  async send(
    method: string,
    path: string,
    key: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; json: Json; ambiguous: boolean } | undefined> {
    const text = body === undefined ? undefined : JSON.stringify(body);
    const deadline = Date.now() + this.opts.requestDeadlineMs;
    this.stats.requests += 1;
    let ambiguous = false;
    for (let attempt = 0; ; attempt++) {
      this.stats.attempts += 1;
      const out = await rawRequest(this.baseUrl, {
        method,
        path,
        agent: this.agent,
        timeoutMs: this.opts.attemptTimeoutMs,
        headers: { XApiKey: key, ...(text !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
        ...(text !== undefined ? { body: text } : {}),
      });
      let wait = Math.min(1_000, 50 * 2 ** attempt);
      if (out.kind === 'answer') {
        let json: Json = {};
        try {
          json = out.text ? (JSON.parse(out.text) as Json) : {};
        } catch {
          json = { text: out.text };
        }
        const inUse = out.status === 409 && json.error === 'IdempotencyKeyInUse';
        if (out.status < 500 && out.status !== 429 && !inUse) {
          if (out.headers['idempotency-replayed'] === 'true') this.stats.replayed += 1;
          return { status: out.status, json, ambiguous };
        }
        if (out.status >= 500) {
          this.stats.retriedAfter5xx += 1;
          ambiguous = true;
        } else if (inUse) this.stats.retriedAfterInUse += 1;
        const retryAfter = Number(out.headers['retry-after']);
        if ((inUse || out.status === 429) && Number.isFinite(retryAfter)) wait = Math.min(5_000, Math.max(100, retryAfter * 1000));
      } else {
        this.stats.retriedAfterNetwork += 1;
        ambiguous = true;
      }
      if (attempt === 0) this.stats.retried += 1;
      if (Date.now() + wait > deadline) {
        this.stats.unanswered += 1;
        this.unexpectedLog.push(
          `${method} ${path}: no answer within ${this.opts.requestDeadlineMs} ms (last: ${out.kind === 'answer' ? out.status : out.kind})`,
        );
        return undefined;
      }
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Runs the load with the faults, then audits until converged. Never throws on a finding: see `ok`. */
export async function runChaos(o: ChaosOptions): Promise<ChaosReport> {
  const runId = `${Date.now().toString(36)}-${o.seed}`;
  const startedAt = new Date(Date.now() - 1000);
  const stats: LoadStats = {
    requests: 0,
    attempts: 0,
    retried: 0,
    retriedAfter5xx: 0,
    retriedAfterNetwork: 0,
    retriedAfterInUse: 0,
    replayed: 0,
    unanswered: 0,
    unexpected: 0,
    recorded: 0,
    owed: 0,
    edits: 0,
    deletes: 0,
    settlements: 0,
    closes: 0,
  };
  const unexpected: string[] = [];
  const gw = new Gateway(o.gatewayUrl, o, stats, unexpected);
  const db = new pg.Pool({ connectionString: o.databaseUrl, max: 3 });
  const rng = new Rng(o.seed);
  try {
    // ---- setup: partners with a webhook subscription each, and the cases
    const partners: Partner[] = [];
    for (let i = 0; i < o.partners; i++) {
      const p = await admin(gw, o.adminKey, '/admin/partners', { companyName: `Chaos ${runId} ${i}`, officeEmail: `chaos-${i}-${runId}@example.test` });
      const path = `/chaos/${runId}/${i}`;
      const sub = await gw.send('POST', '/webhooks', p.apiKey as string, { url: o.webhooks.url(path), events: ['payment.created'] });
      if (sub?.status !== 201) throw new Error(`webhook subscription failed: ${sub?.status} ${JSON.stringify(sub?.json)}`);
      partners.push({ id: p.id as string, apiKey: p.apiKey as string, secret: sub.json.secret as string, path });
    }
    const cases: CaseModel[] = [];
    const perCase = Math.floor(o.payments / o.cases);
    for (let i = 0; i < o.cases; i++) {
      const partnerIdx = i % partners.length;
      const gross = 500_000; // 5,000.00 EUR
      const c = await admin(gw, o.adminKey, '/admin/cases', {
        partnerId: partners[partnerIdx]!.id,
        currency: 'EUR',
        grossAmount: major(gross),
        successFee: 20,
      });
      cases.push({
        idx: i,
        id: c.id as string,
        partnerIdx,
        gross,
        live: [],
        closed: false,
        budget: perCase + (i < o.payments - perCase * o.cases ? 1 : 0),
        rng: rng.fork(i + 1),
        seq: 0,
      });
    }
    const allPayments: PaymentModel[] = [];
    const unansweredKeys = new Set<string>();
    o.log(`setup: ${partners.length} partners, ${cases.length} cases; load of ${o.payments} payments, faults: ${o.faults.join(', ') || 'none'}`);

    // ---- faults: fault i starts once (i+1)/(n+1) of the payments are recorded; the load may not
    // pass the next fault's mark before that fault has started, so every fault hits a running load
    const marks = o.faults.map((_, i) => Math.floor(((i + 1) * o.payments) / (o.faults.length + 1)));
    const faultLog: ChaosReport['faults'] = [];
    let started = 0; // faults started
    const waiters: (() => void)[] = [];
    const wake = () => waiters.splice(0).forEach((w) => w());
    const until = async (pred: () => boolean) => {
      while (!pred()) await new Promise<void>((resolve) => waiters.push(resolve));
    };
    const faultRunner = (async () => {
      for (let i = 0; i < o.faults.length; i++) {
        const fault = o.faults[i]!;
        await until(() => stats.recorded >= marks[i]!);
        started = i + 1;
        wake();
        const t0 = Date.now();
        const atPercent = Math.round((stats.recorded / o.payments) * 100);
        o.log(
          `fault ${i + 1}/${o.faults.length}: ${fault === 'kafka' ? 'restarting the Kafka broker' : `kill -9 ${fault}`} at ${stats.recorded} payments (${atPercent} %)`,
        );
        if (fault === 'kafka') await o.control.restartKafka();
        else await o.control.killAndRestart(fault);
        faultLog.push({ fault, atPercent, tookMs: Date.now() - t0 });
        o.log(`fault ${i + 1}/${o.faults.length}: ${fault} back after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      }
    })();
    // a fault that fails (a service that does not come back) ends the run: no point loading a dead stack
    let faultError: unknown;
    faultRunner.catch((e: unknown) => {
      faultError = e;
      wake();
    });

    // ---- load: one step at a time per case, cases interleaved across workers
    const queue = cases.filter((c) => c.budget > 0).map((c) => c.idx);
    const loadStart = Date.now();
    const maySpend = () => faultError !== undefined || started >= o.faults.length || stats.recorded < marks[started]!;
    const worker = async () => {
      while (queue.length > 0 && faultError === undefined) {
        const c = cases[queue.shift()!]!;
        await until(maySpend);
        await step(c);
        if (c.budget > 0) queue.push(c.idx);
      }
    };

    const step = async (c: CaseModel): Promise<void> => {
      const partner = partners[c.partnerIdx]!;
      const r = c.rng.next();
      const remainder = c.gross - c.live.reduce((s, p) => s + p.amount, 0);
      if (c.budget === 0) return;
      if (c.closed) {
        // closed as Paid by a settling payment: reopen it by deleting or halving that payment (a case
        // whose budget is spent stays closed, so the audit sees closed cases too)
        const target = c.live.find((p) => p.closing) ?? c.rng.pick(c.live);
        if (r < 0.5) return del(c, partner, target);
        return edit(c, partner, target, Math.max(1, Math.floor(target.amount / 2)));
      }
      if (r < 0.1 && c.live.length > 0) {
        const target = c.rng.pick(c.live);
        return edit(c, partner, target, c.rng.int(100, 4000));
      }
      if (r < 0.17 && c.live.length > 0) return del(c, partner, c.rng.pick(c.live));
      const owedLive = c.live.filter((p) => p.owed && !p.settled);
      if (r < 0.21 && owedLive.length > 0) return settle(c, partner, c.rng.pick(owedLive));
      if ((r < 0.24 || (c.budget === 1 && r < 0.5)) && remainder > 0)
        return record(c, partner, { amount: remainder, recipient: 'CollectionPartner', status: 'Paid', closeCase: true });
      const kind = c.rng.next();
      const recipient = kind < 0.4 ? 'CollectionPartner' : kind < 0.55 ? 'Platform' : 'Creditor';
      const status = recipient === 'Creditor' && kind >= 0.7 ? 'Unpaid' : 'Paid';
      return record(c, partner, { amount: c.rng.int(100, 4000), recipient, status, closeCase: false });
    };

    const note = (what: string, res: { status: number; json: Json } | undefined) => {
      if (!res) return;
      stats.unexpected += 1;
      unexpected.push(`${what}: ${res.status} ${JSON.stringify(res.json).slice(0, 300)}`);
    };

    const record = async (
      c: CaseModel,
      partner: Partner,
      p: { amount: number; recipient: PaymentModel['recipient']; status: PaymentModel['status']; closeCase: boolean },
    ) => {
      c.seq += 1;
      const key = `chaos-${runId}-${c.idx}-${c.seq}`;
      const body: Json = {
        date: DATE,
        paymentAmount: major(p.amount),
        paymentRecipient: p.recipient,
        ...(p.recipient === 'Creditor' ? { commissionPaymentStatus: p.status } : {}),
        ...(p.closeCase ? { closeCase: true } : {}),
      };
      const res = await gw.send('POST', `/cases/${c.id}/payments`, partner.apiKey, body, { 'Idempotency-Key': key });
      c.budget -= 1;
      if (!res) {
        unansweredKeys.add(key);
      } else if (res.status === 200) {
        const owed = p.recipient === 'Creditor' && p.status === 'Unpaid';
        const model: PaymentModel = {
          id: res.json.paymentId as string,
          key,
          caseIdx: c.idx,
          amount: p.amount,
          recipient: p.recipient,
          status: owed ? 'Unpaid' : 'Paid',
          owed,
          settled: false,
          deleted: false,
          closing: p.closeCase,
        };
        c.live.push(model);
        allPayments.push(model);
        if (owed) stats.owed += 1;
        if (res.json.caseClosed === true) {
          c.closed = true;
          stats.closes += 1;
        }
        if (p.closeCase && res.json.caseClosed !== true)
          note(`POST /cases/${c.id}/payments (key ${key}) settling ${major(p.amount)} with closeCase did not close`, res);
        if (toCents(res.json.paymentAmount) !== p.amount) note(`POST /cases/${c.id}/payments (key ${key}) answered another amount`, res);
      } else note(`POST /cases/${c.id}/payments (key ${key})`, res);
      stats.recorded += 1;
      wake();
    };

    const afterCorrection = (c: CaseModel) => {
      const remainder = c.gross - c.live.reduce((s, p) => s + p.amount, 0);
      if (c.closed && remainder > 0) c.closed = false; // consent given: a Paid case reopens
      for (const p of c.live) p.closing = p.closing && c.closed;
    };

    const edit = async (c: CaseModel, partner: Partner, p: PaymentModel, amount: number) => {
      const recipient = p.recipient === 'Platform' ? 'CollectionPartner' : p.recipient;
      const status = recipient === 'Creditor' ? (p.owed && !p.settled ? 'Unpaid' : 'Paid') : undefined;
      const res = await gw.send('PUT', `/cases/${c.id}/payments/${p.id}`, partner.apiKey, {
        date: DATE,
        paymentAmount: major(amount),
        paymentRecipient: recipient,
        ...(status ? { commissionPaymentStatus: status } : {}),
        reopenCaseIfNeeded: true,
      });
      stats.edits += 1;
      if (res?.status === 200) {
        p.amount = amount;
        p.recipient = recipient;
        afterCorrection(c);
      } else if (res) note(`PUT /cases/${c.id}/payments/${p.id}`, res);
    };

    const del = async (c: CaseModel, partner: Partner, p: PaymentModel) => {
      const res = await gw.send('DELETE', `/cases/${c.id}/payments/${p.id}?reopenCaseIfNeeded=true`, partner.apiKey);
      stats.deletes += 1;
      // a 404 after an attempt that may have run: that attempt deleted it
      if (res && (res.status === 204 || (res.status === 404 && res.ambiguous))) {
        p.deleted = true;
        c.live = c.live.filter((x) => x !== p);
        afterCorrection(c);
      } else if (res) note(`DELETE /cases/${c.id}/payments/${p.id}`, res);
    };

    const settle = async (c: CaseModel, partner: Partner, p: PaymentModel) => {
      const res = await gw.send('POST', `/cases/${c.id}/payments/${p.id}/commission`, partner.apiKey, { status: 'Paid' });
      stats.settlements += 1;
      if (res?.status === 200) {
        p.settled = true;
        p.status = 'Paid';
      } else if (res) note(`POST /cases/${c.id}/payments/${p.id}/commission`, res);
    };

    await Promise.all(Array.from({ length: Math.max(1, o.concurrency) }, worker));
    await faultRunner.catch(() => undefined);
    if (faultError !== undefined) throw faultError instanceof Error ? faultError : new Error(String(faultError));
    const loadMs = Date.now() - loadStart;
    o.log(
      `load done in ${(loadMs / 1000).toFixed(1)} s: ${stats.requests} requests, ${stats.retried} retried, ${stats.unanswered} unanswered; auditing until converged (at most ${o.convergeTimeoutMs / 1000} s)`,
    );

    // ---- audit until converged: nothing asynchronous is still missing (final defects do not wait)
    const loadStats = { ...stats };
    await o.afterLoad?.();
    const stopped = Date.now();
    let checks: ChaosCheck[] = [];
    let convergedMs: number | undefined;
    const settledAt = new Map<string, number | undefined>();
    for (let round = 0; ; round++) {
      checks = await audit({
        db,
        gw,
        partners,
        cases,
        payments: allPayments,
        unansweredKeys,
        mail: o.mail,
        webhooks: o.webhooks,
        startedAt,
        stats: loadStats,
        unexpected,
      });
      const waiting = checks.filter((c) => c.inflight.some((m) => (c.figures[m] ?? 0) > 0));
      for (const c of checks) {
        if (waiting.includes(c)) settledAt.set(c.name, undefined);
        else if (settledAt.get(c.name) === undefined) settledAt.set(c.name, Date.now() - stopped);
      }
      if (waiting.length === 0) {
        convergedMs = Date.now() - stopped;
        break;
      }
      if (Date.now() - stopped > o.convergeTimeoutMs) break;
      if (round % 10 === 9)
        o.log(
          `audit: not converged after ${((Date.now() - stopped) / 1000).toFixed(0)} s: ${waiting.map((c) => `${c.name}: ${c.inflight.map((m) => `${m} ${c.figures[m]}`).join(', ')}`).join('; ')}`,
        );
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
    const ok = convergedMs !== undefined && checks.every((c) => c.must.every((m) => (c.figures[m] ?? 0) === 0));
    const lines = reportLines(checks, loadStats, loadMs, convergedMs, o, faultLog);
    const slowest = [...settledAt].filter((e): e is [string, number] => e[1] !== undefined && e[1] >= 1_000).sort((a, b) => b[1] - a[1]);
    if (slowest.length > 0)
      lines.push(`settled after the load: ${slowest.map(([name, ms]) => `${name.replace(/ \(.*\)$/, '')} ${(ms / 1000).toFixed(1)} s`).join(', ')}`);
    return { ok, checks, convergedMs, loadMs, stats: loadStats, faults: faultLog, lines };
  } finally {
    gw.close();
    await db.end();
  }
}

async function admin(gw: Gateway, adminKey: string, path: string, body: Json): Promise<Json> {
  const res = await gw.send('POST', path, adminKey, body);
  if (res?.status !== 201) throw new Error(`${path}: expected 201, got ${res?.status} ${JSON.stringify(res?.json)}`);
  return res.json;
}

interface AuditInput {
  db: pg.Pool;
  gw: Gateway;
  partners: Partner[];
  cases: CaseModel[];
  payments: PaymentModel[];
  unansweredKeys: Set<string>;
  mail: MailSink;
  webhooks: WebhookSink;
  startedAt: Date;
  stats: LoadStats;
  unexpected: string[];
}

const MAX_EXAMPLES = 5;

function check(name: string, must: string[], inflight: string[] = []): ChaosCheck & { fail(figure: string, example: string): void } {
  const c = {
    name,
    must,
    inflight,
    figures: Object.fromEntries(must.map((m) => [m, 0])) as Record<string, number>,
    examples: [] as string[],
    fail(figure: string, example: string) {
      c.figures[figure] = (c.figures[figure] ?? 0) + 1;
      if (c.examples.length < MAX_EXAMPLES) c.examples.push(`${figure}: ${example}`);
    },
  };
  return c;
}

async function audit(a: AuditInput): Promise<ChaosCheck[]> {
  const partnerIds = a.partners.map((p) => p.id);
  const caseIds = a.cases.map((c) => c.id);
  const q = async <T>(sql: string, params: unknown[] = []) => (await a.db.query(sql, params)).rows as T[];
  const checks: ChaosCheck[] = [];

  // ---- the load itself: every request answered, as the model expected
  const load = check('requests', ['unanswered', 'unexpected answers']);
  load.figures.unanswered = a.stats.unanswered;
  load.figures['unexpected answers'] = a.stats.unexpected;
  load.examples.push(...a.unexpected.slice(0, MAX_EXAMPLES));
  checks.push(load);

  // ---- payments in the ledger, by Idempotency-Key
  const rows = await q<{ id: string; case_id: string; key: string | null; amount: string; recipient: string; commission_status: string; pcp: string | null }>(
    `SELECT p.id, p.case_id, p.idempotency_key AS key, p.amount::text, p.recipient, p.commission_status, o.payout_collection_partner::text AS pcp
       FROM ledger.payments p LEFT JOIN ledger.payouts o ON o.payment_id = p.id WHERE p.partner_id = ANY($1) OR p.case_id = ANY($2)`,
    [partnerIds, caseIds],
  );
  const byKey = new Map<string, typeof rows>();
  for (const r of rows) byKey.set(r.key ?? `(no key) ${r.id}`, [...(byKey.get(r.key ?? `(no key) ${r.id}`) ?? []), r]);
  const pay = check('payments (ledger, by Idempotency-Key)', ['lost', 'doubled', 'phantom', 'wrong']);
  const known = new Set<string>();
  for (const p of a.payments) {
    known.add(p.key);
    const found = byKey.get(p.key) ?? [];
    if (found.length > 1) pay.fail('doubled', `key ${p.key}: ${found.length} payments ${found.map((f) => f.id).join(', ')}`);
    if (p.deleted) {
      if (found.length > 0) pay.fail('wrong', `key ${p.key}: payment ${p.id} was deleted (204) but is still there`);
      continue;
    }
    if (found.length === 0) pay.fail('lost', `key ${p.key}: payment ${p.id} answered 200 but is not in ledger.payments`);
    else if (found[0]!.id !== p.id) pay.fail('wrong', `key ${p.key}: answered payment ${p.id}, ledger holds ${found[0]!.id}`);
    else if (Number(found[0]!.amount) !== p.amount || found[0]!.recipient !== p.recipient)
      pay.fail('wrong', `payment ${p.id}: ledger ${found[0]!.amount} ${found[0]!.recipient}, acknowledged ${p.amount} ${p.recipient}`);
  }
  for (const key of a.unansweredKeys) {
    known.add(key);
    if ((byKey.get(key)?.length ?? 0) > 1) pay.fail('doubled', `unanswered key ${key}: ${byKey.get(key)!.length} payments`);
  }
  for (const [key, found] of byKey)
    if (!known.has(key)) pay.fail('phantom', `payment ${found.map((f) => f.id).join(', ')} (key ${key}) was never acknowledged`);
  for (const r of rows) if (r.pcp === null) pay.fail('wrong', `payment ${r.id} has no payout row`);
  pay.figures.acknowledged = a.payments.length;
  pay.figures['deleted later'] = a.payments.filter((p) => p.deleted).length;
  checks.push(pay);

  // ---- account totals: the account row = Σ live payments = Σ journal postings = the acknowledged model
  const accounts = await q<{
    case_id: string;
    total: string;
    count: number;
    lifecycle: string;
    close_code: string | null;
    remainder: string;
    live_sum: string;
    live_count: number;
    journal: string;
    journal_payouts: string;
    payouts: string;
  }>(
    `SELECT a.case_id, a.total_payments::text AS total, a.payment_count AS count, a.lifecycle, a.close_code,
            (a.gross_amount + a.total_fees - a.total_payments)::text AS remainder,
            (SELECT coalesce(sum(amount), 0) FROM ledger.payments p WHERE p.case_id = a.case_id)::text AS live_sum,
            (SELECT count(*) FROM ledger.payments p WHERE p.case_id = a.case_id)::int AS live_count,
            (SELECT coalesce(sum(amount), 0) FROM ledger.journal j WHERE j.case_id = a.case_id)::text AS journal,
            (SELECT coalesce(sum(payout_creditor + payout_collection_partner + platform_fee), 0) FROM ledger.journal j WHERE j.case_id = a.case_id)::text AS journal_payouts,
            (SELECT coalesce(sum(o.payout_creditor + o.payout_collection_partner + o.platform_fee), 0) FROM ledger.payments p JOIN ledger.payouts o ON o.payment_id = p.id WHERE p.case_id = a.case_id)::text AS payouts
       FROM ledger.accounts a WHERE a.case_id = ANY($1)`,
    [caseIds],
  );
  const acc = check('account totals (= Σ live payments = Σ journal = acknowledged)', ['off']);
  const accountOf = new Map(accounts.map((r) => [r.case_id, r]));
  for (const c of a.cases) {
    const r = accountOf.get(c.id);
    const model = c.live.reduce((s, p) => s + p.amount, 0);
    if (!r) acc.fail('off', `case ${c.id}: no ledger account`);
    else if (r.total !== r.live_sum || r.total !== r.journal || r.count !== r.live_count || r.journal_payouts !== r.payouts || Number(r.total) !== model)
      acc.fail(
        'off',
        `case ${c.id}: account ${r.total} (${r.count} payments), Σ live ${r.live_sum} (${r.live_count}), Σ journal ${r.journal}, payouts ${r.payouts} vs journal ${r.journal_payouts}, acknowledged ${model}`,
      );
    else if (r.lifecycle === 'Closed' && r.close_code === 'Paid' && Number(r.remainder) > 0)
      acc.fail('off', `case ${c.id}: closed as Paid with remainder ${r.remainder}`);
  }
  acc.figures.accounts = a.cases.length;
  checks.push(acc);

  // ---- lifecycle: case-lifecycle's view = the ledger's = the API's = what the answers said
  const mirror = await q<{ id: string; lifecycle: string; close_code: string | null }>(`SELECT id, lifecycle, close_code FROM cases.cases WHERE id = ANY($1)`, [
    caseIds,
  ]);
  const mirrorOf = new Map(mirror.map((r) => [r.id, r]));
  const life = check('lifecycle (case-lifecycle = ledger = API = answers)', ['mismatched'], ['mismatched']);
  let dbAgrees = true;
  for (const c of a.cases) {
    const l = accountOf.get(c.id);
    const m = mirrorOf.get(c.id);
    const expected = c.closed ? 'Closed' : 'Active';
    if (!l || !m || l.lifecycle !== m.lifecycle || (l.close_code ?? null) !== (m.close_code ?? null) || l.lifecycle !== expected) {
      dbAgrees = false;
      life.fail('mismatched', `case ${c.id}: ledger ${l?.lifecycle}/${l?.close_code}, case-lifecycle ${m?.lifecycle}/${m?.close_code}, expected ${expected}`);
    }
  }
  if (dbAgrees) {
    // the API only once the databases agree: it reads the same rows
    for (const c of a.cases) {
      const res = await a.gw.send('GET', `/cases/${c.id}`, a.partners[c.partnerIdx]!.apiKey);
      const l = accountOf.get(c.id)!;
      if (
        res?.status !== 200 ||
        res.json.lifecycle !== l.lifecycle ||
        (res.json.closeCode ?? null) !== (l.close_code ?? null) ||
        toCents(res.json.totalPayments) !== Number(l.total)
      )
        life.fail(
          'mismatched',
          `GET /cases/${c.id}: ${res?.status} lifecycle ${String(res?.json.lifecycle)}/${String(res?.json.closeCode)} totalPayments ${String(res?.json.totalPayments)}; ledger ${l.lifecycle}/${l.close_code} ${l.total}`,
        );
    }
  }
  life.figures.cases = a.cases.length;
  life.figures.closed = a.cases.filter((c) => c.closed).length;
  checks.push(life);

  // ---- outboxes and dead letters
  const box = check('outbox', ['unpublished', 'dead letters'], ['unpublished']);
  const [ob] = await q<{ n: string }>(
    `SELECT ((SELECT count(*) FROM ledger.outbox WHERE published_at IS NULL) + (SELECT count(*) FROM cases.outbox WHERE published_at IS NULL) + (SELECT count(*) FROM followup.outbox WHERE published_at IS NULL))::text AS n`,
  );
  box.figures.unpublished = Number(ob?.n ?? 0);
  for (const schema of ['ledger', 'cases', 'followup']) {
    const [exists] = await q<{ t: string | null }>(`SELECT to_regclass($1)::text AS t`, [`${schema}.dead_letters`]);
    if (!exists?.t) continue;
    const parked = await q<{ topic: string; key: string; error: string }>(
      `SELECT topic, key, error FROM ${schema}.dead_letters WHERE resolved_at IS NULL AND first_failed_at >= $1`,
      [a.startedAt],
    );
    for (const d of parked) box.fail('dead letters', `${schema}: ${d.topic} key ${d.key}: ${d.error.slice(0, 200)}`);
  }
  checks.push(box);

  // ---- the public event log: one payment.created per payment
  const events = await q<{ pid: string; n: number }>(
    `SELECT data->'payment'->>'id' AS pid, count(*)::int AS n FROM cases.case_events WHERE case_id = ANY($1) AND type = 'payment.created' GROUP BY 1`,
    [caseIds],
  );
  const eventsOf = new Map(events.map((e) => [e.pid, e.n]));
  const pub = check('public events (payment.created in cases.case_events)', ['lost', 'doubled'], ['lost']);
  for (const p of a.payments) {
    const n = eventsOf.get(p.id) ?? 0;
    if (n === 0) pub.fail('lost', `payment ${p.id}`);
    if (n > 1) pub.fail('doubled', `payment ${p.id}: ${n} events`);
  }
  checks.push(pub);

  // ---- webhooks at the receiver: one payment.created per payment (by webhook-id), correctly signed
  const hooks = check(
    'webhooks (payment.created at the receiver, by webhook-id)',
    ['lost', 'doubled', 'bad signature', 'undelivered'],
    ['lost', 'undelivered'],
  );
  const ids = new Map<string, Set<string>>();
  let redelivered = 0;
  const secretOf = new Map(a.partners.map((p) => [p.path, p.secret]));
  const seenIds = new Set<string>();
  for (const w of a.webhooks.received) {
    const secret = secretOf.get(w.path);
    if (!secret) continue;
    const id = w.headers['webhook-id'] ?? '';
    const expected = createHmac('sha256', Buffer.from(secret.slice('whsec_'.length), 'base64'))
      .update(`${id}.${w.headers['webhook-timestamp'] ?? ''}.${w.body}`)
      .digest('base64');
    if (!(w.headers['webhook-signature'] ?? '').split(' ').includes(`v1,${expected}`)) hooks.fail('bad signature', `webhook-id ${id} on ${w.path}`);
    let env: { event?: string; data?: { payment?: { id?: string } } } = {};
    try {
      env = JSON.parse(w.body) as typeof env;
    } catch {
      hooks.fail('bad signature', `webhook-id ${id}: body is not JSON`);
    }
    if (env.event !== 'payment.created') continue;
    if (seenIds.has(id)) redelivered += 1;
    seenIds.add(id);
    const pid = env.data?.payment?.id ?? '';
    ids.set(pid, (ids.get(pid) ?? new Set()).add(id));
  }
  for (const p of a.payments) {
    const n = ids.get(p.id)?.size ?? 0;
    if (n === 0) hooks.fail('lost', `payment ${p.id}`);
    if (n > 1) hooks.fail('doubled', `payment ${p.id}: webhook-ids ${[...ids.get(p.id)!].join(', ')}`);
  }
  const [pending] = await q<{ n: number }>(`SELECT count(*)::int AS n FROM cases.webhook_deliveries WHERE partner_id = ANY($1) AND status <> 'Delivered'`, [
    partnerIds,
  ]);
  hooks.figures.undelivered = pending?.n ?? 0;
  hooks.figures['redelivered (same webhook-id)'] = redelivered;
  checks.push(hooks);

  // ---- follow-up: one InvoiceClient task and one invoice e-mail per owed commission; one ChaseClient
  // task and one chase e-mail per escalation; the open task matches the payment's state
  const tasks = await q<{ payment_id: string; type: string; status: string; amount_owed: string; due_at: Date }>(
    `SELECT payment_id, type, status, amount_owed::text, due_at FROM followup.tasks WHERE partner_id = ANY($1)`,
    [partnerIds],
  );
  const followups = await q<{ payment_id: string; stage: string; escalated: boolean }>(
    `SELECT payment_id, stage, escalated FROM followup.followups WHERE partner_id = ANY($1)`,
    [partnerIds],
  );
  const emails = await q<{ step_id: string; sent: boolean; attempts: number }>(
    `SELECT step_id, sent_at IS NOT NULL AS sent, attempts FROM followup.emails WHERE partner_id = ANY($1)`,
    [partnerIds],
  );
  const tasksOf = new Map<string, typeof tasks>();
  for (const t of tasks) tasksOf.set(t.payment_id, [...(tasksOf.get(t.payment_id) ?? []), t]);
  const pcpOf = new Map(rows.map((r) => [r.id, r.pcp]));
  const owed = a.payments.filter((p) => p.owed);
  const owedIds = new Set(owed.map((p) => p.id));
  const fu = check('follow-up tasks (InvoiceClient per owed commission)', ['lost', 'doubled', 'wrong state'], ['lost', 'wrong state']);
  const now = Date.now();
  let overdue = 0;
  let pendingEscalations = 0;
  for (const p of owed) {
    const ts = tasksOf.get(p.id) ?? [];
    const invoice = ts.filter((t) => t.type === 'InvoiceClient');
    if (invoice.length === 0) {
      fu.fail('lost', `payment ${p.id}: no InvoiceClient task`);
      continue;
    }
    if (invoice.length > 1) fu.fail('doubled', `payment ${p.id}: ${invoice.length} InvoiceClient tasks`);
    const open = ts.filter((t) => t.status === 'Open');
    if (p.deleted || p.settled) {
      if (open.length > 0) fu.fail('wrong state', `payment ${p.id} (${p.deleted ? 'deleted' : 'settled'}) still has an Open ${open[0]!.type} task`);
    } else if (open.length !== 1) fu.fail('wrong state', `payment ${p.id}: ${open.length} Open tasks (${ts.map((t) => `${t.type}:${t.status}`).join(', ')})`);
    else if (open[0]!.amount_owed !== pcpOf.get(p.id))
      fu.fail('wrong state', `payment ${p.id}: task amountOwed ${open[0]!.amount_owed}, ledger commission ${pcpOf.get(p.id)}`);
    else if (open[0]!.type === 'InvoiceClient' && open[0]!.due_at.getTime() < now + 60_000) {
      // with a short FOLLOW_UP_CHASE_AFTER every unpaid commission escalates soon: wait for it, and flag a late timer
      pendingEscalations += 1;
      if (open[0]!.due_at.getTime() < now - 10_000) overdue += 1;
    }
  }
  for (const [pid, ts] of tasksOf) if (!owedIds.has(pid)) fu.fail('doubled', `payment ${pid} owes nothing but has ${ts.length} task(s)`);
  fu.figures['owed commissions'] = owed.length;
  checks.push(fu);

  const chase = check(
    'chase (ChaseClient task + chase e-mail per escalation)',
    ['lost', 'doubled', 'pending escalations', 'overdue timers (10 s past due)'],
    ['lost', 'pending escalations', 'overdue timers (10 s past due)'],
  );
  chase.figures['pending escalations'] = pendingEscalations;
  chase.figures['overdue timers (10 s past due)'] = overdue;
  const escalated = followups.filter((f) => f.escalated);
  for (const f of escalated) {
    const n = (tasksOf.get(f.payment_id) ?? []).filter((t) => t.type === 'ChaseClient').length;
    if (n === 0) chase.fail('lost', `payment ${f.payment_id}: escalated without a ChaseClient task`);
    if (n > 1) chase.fail('doubled', `payment ${f.payment_id}: ${n} ChaseClient tasks`);
  }
  chase.figures.escalated = escalated.length;

  // e-mails: the SMTP server's messages by Message-ID (= the follow-up step); a resend of one step is at-least-once
  const mail = check('follow-up e-mails (at the SMTP server, by step Message-ID)', ['lost', 'doubled', 'unsent'], ['lost', 'unsent']);
  const received = new Map<string, number>();
  for (const m of a.mail.received) {
    const step = /^([0-9a-f-]{36}:\d+:[a-z]+:\d+)@/.exec(m.messageId)?.[1];
    if (step) received.set(step, (received.get(step) ?? 0) + 1);
  }
  const expectedSteps = new Set<string>();
  for (const p of owed) expectedSteps.add(`${p.id}:1:invoice:0`);
  for (const f of escalated) expectedSteps.add(`${f.payment_id}:1:chase:0`);
  for (const s of expectedSteps) {
    if (!received.has(s)) (s.includes(':chase:') ? chase : mail).fail('lost', `step ${s} never reached the SMTP server`);
  }
  let resent = 0;
  const ours = new Set([...owedIds, ...tasksOf.keys()]);
  for (const [s, n] of received) {
    if (!ours.has(s.slice(0, 36))) continue;
    if (n > 1) resent += n - 1;
    if (!expectedSteps.has(s)) (s.includes(':chase:') ? chase : mail).fail('doubled', `step ${s} was not owed`);
  }
  mail.figures.unsent = emails.filter((e) => !e.sent).length;
  mail.figures['resent (same step)'] = resent;
  mail.figures['sent after more than one attempt'] = emails.filter((e) => e.sent && e.attempts > 1).length;
  mail.figures.received = [...received.keys()].filter((s) => ours.has(s.slice(0, 36))).length;
  checks.push(mail, chase);
  return checks;
}

function reportLines(
  checks: ChaosCheck[],
  s: LoadStats,
  loadMs: number,
  convergedMs: number | undefined,
  o: ChaosOptions,
  faults: ChaosReport['faults'],
): string[] {
  const lines = [
    `load: ${s.recorded} payments (${s.owed} with commission owed), ${s.edits} edits, ${s.deletes} deletes, ${s.settlements} settlements, ${s.closes} closes, over ${o.cases} cases of ${o.partners} partners in ${(loadMs / 1000).toFixed(1)} s`,
    `requests: ${s.requests} in ${s.attempts} attempts; ${s.retried} requests needed retries (retries after a 5xx ${s.retriedAfter5xx}, after a network error or timeout ${s.retriedAfterNetwork}, after 409 IdempotencyKeyInUse ${s.retriedAfterInUse}); ${s.replayed} answered with Idempotency-Replayed`,
    `faults: ${faults.map((f) => `${f.fault === 'kafka' ? 'Kafka restarted' : `${f.fault} killed`} at ${f.atPercent} % (back in ${(f.tookMs / 1000).toFixed(1)} s)`).join(', ') || 'none'}`,
  ];
  for (const c of checks) {
    lines.push(
      `${c.name}: ${Object.entries(c.figures)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    );
    for (const e of c.examples) lines.push(`    ${e}`);
  }
  lines.push(
    convergedMs === undefined
      ? `NOT converged within ${o.convergeTimeoutMs / 1000} s after the load stopped`
      : `converged ${(convergedMs / 1000).toFixed(1)} s after the load stopped (goal ≤ 30 s)`,
  );
  return lines;
}
