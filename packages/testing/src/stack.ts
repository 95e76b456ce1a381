// The distributed stack as real processes: ledger, case-lifecycle, follow-up and gateway, each its own
// Node process on PostgreSQL and Kafka. Used by `npm run stack` and the end-to-end tests.
import { spawn, type ChildProcess } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';

const repoRoot = path.resolve(__dirname, '../../..');
export type ServiceName = 'ledger' | 'case-lifecycle' | 'follow-up' | 'gateway';

export interface StackOptions {
  /** what every service connects as */
  databaseUrl: string;
  /**
   * The schema owner's connection, when `databaseUrl`'s role is a runtime role with DML only: each
   * service's migrate command (its Kubernetes Job) runs first with it and grants the runtime role, and the
   * services start with DB_MIGRATE_AT_START=false (README, "PostgreSQL: TLS and least privilege").
   */
  migrationDatabaseUrl?: string;
  kafkaBrokers: string;
  port?: number;
  env?: Record<string, string>;
  /** extra environment of one service only, on top of `env` (e.g. a test-only fault for the ledger) */
  serviceEnv?: Partial<Record<ServiceName, Record<string, string>>>;
  /** forward service output to this stream (default: discard except errors) */
  output?: NodeJS.WritableStream;
}

export interface RunningStack {
  readonly gatewayUrl: string;
  readonly ports: Record<ServiceName, number>;
  /** where each service process serves GET /metrics (the gateway on its own HTTP port) */
  readonly metricsPorts: Record<ServiceName, number>;
  kill(service: ServiceName, signal?: NodeJS.Signals): Promise<void>;
  /** Starts the service again on its port; `env`, when given, replaces its `serviceEnv` from now on. */
  restart(service: ServiceName, env?: Record<string, string>): Promise<void>;
  /** Starts one more process of `service` (a second replica on its own port); stopped with the stack. */
  spawnReplica(
    service: Exclude<ServiceName, 'gateway'>,
    env?: Record<string, string>,
  ): Promise<{ readonly exited: Promise<number | null>; kill(signal?: NodeJS.Signals): Promise<void> }>;
  stop(): Promise<void>;
}

/**
 * How long a service may take to print `{"ready"}`. A service never exits for a late dependency (it
 * prints `{"listening"}`, then waits and retries): past this bound the launch fails with its last lines.
 */
const READY_TIMEOUT_MS = 150_000;

function startProcess(
  service: ServiceName,
  env: Record<string, string>,
  output?: NodeJS.WritableStream,
): Promise<{ child: ChildProcess; ready: Record<string, number> }> {
  const child = spawn(process.execPath, [path.join(repoRoot, 'services', service, 'dist/main.js')], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    const lines = readline.createInterface({ input: child.stdout! });
    const stderr: string[] = [];
    const recent: string[] = [];
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `${service} was not ready after ${READY_TIMEOUT_MS} ms; its last output:\n${recent.join('\n').slice(-3000)}\n${stderr.join('').slice(-1000)}`,
        ),
      );
    }, READY_TIMEOUT_MS);
    child.stderr!.on('data', (d: Buffer) => {
      stderr.push(d.toString());
      output?.write(d);
    });
    lines.on('line', (line) => {
      output?.write(`${line}\n`);
      recent.push(line.slice(0, 500));
      if (recent.length > 20) recent.shift();
      if (line.startsWith('{"ready"')) {
        clearTimeout(timer);
        resolve({ child, ready: JSON.parse(line) as Record<string, number> });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${service} exited with ${code} before it was ready: ${stderr.join('').slice(-2000)}`));
    });
  });
}

const SERVICES: readonly ServiceName[] = ['ledger', 'case-lifecycle', 'follow-up', 'gateway'];

/**
 * Runs every service's `dist/migrate.js` (what the Kubernetes migrate Jobs run) with the runtime role's
 * DATABASE_URL and the owner's MIGRATION_DATABASE_URL, and fails with its output if one exits non-zero.
 */
export async function runMigrateJobs(options: { databaseUrl: string; migrationDatabaseUrl: string; output?: NodeJS.WritableStream }): Promise<void> {
  await Promise.all(
    SERVICES.map(
      (service) =>
        new Promise<void>((resolve, reject) => {
          const env = { ...process.env, DATABASE_URL: options.databaseUrl, MIGRATION_DATABASE_URL: options.migrationDatabaseUrl, LOG_LEVEL: 'info' };
          const child = spawn(process.execPath, [path.join(repoRoot, 'services', service, 'dist/migrate.js')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
          const out: string[] = [];
          const keep = (d: Buffer) => {
            out.push(d.toString());
            options.output?.write(d);
          };
          child.stdout.on('data', keep);
          child.stderr.on('data', keep);
          child.once('error', reject);
          child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${service} migrate exited with ${code}: ${out.join('').slice(-2000)}`))));
        }),
    ),
  );
}

export async function startStack(options: StackOptions): Promise<RunningStack> {
  if (options.migrationDatabaseUrl !== undefined) {
    await runMigrateJobs({ databaseUrl: options.databaseUrl, migrationDatabaseUrl: options.migrationDatabaseUrl, output: options.output });
  }
  const common = {
    DATABASE_URL: options.databaseUrl,
    ...(options.migrationDatabaseUrl !== undefined ? { DB_MIGRATE_AT_START: 'false' } : {}),
    KAFKA_BROKERS: options.kafkaBrokers,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    // several processes on one machine: every metrics endpoint on a free port (announced when ready)
    METRICS_PORT: '0',
    DATA_DIR: process.env.DATA_DIR ?? path.join(os.tmpdir(), `pp-stack-${process.pid}`),
    ...(options.env ?? {}),
  };
  const children = new Map<ServiceName, ChildProcess>();
  const ports = {} as Record<ServiceName, number>;
  const metricsPorts = {} as Record<ServiceName, number>;
  const serviceEnv: Partial<Record<ServiceName, Record<string, string>>> = { ...(options.serviceEnv ?? {}) };
  const envFor = (service: ServiceName): Record<string, string> => ({ ...baseEnvFor(service), ...(serviceEnv[service] ?? {}) });
  const baseEnvFor = (service: ServiceName): Record<string, string> => {
    const grpc = (s: ServiceName) => `127.0.0.1:${ports[s]}`;
    switch (service) {
      case 'ledger':
        return { ...common, GRPC_PORT: String(ports.ledger ?? 0) };
      case 'case-lifecycle':
        return { ...common, GRPC_PORT: String(ports['case-lifecycle'] ?? 0) };
      case 'follow-up':
        return { ...common, GRPC_PORT: String(ports['follow-up'] ?? 0) };
      case 'gateway':
        return {
          ...common,
          PORT: String(ports.gateway ?? options.port ?? 0),
          HOST: '127.0.0.1',
          LEDGER_GRPC_ADDRESS: grpc('ledger'),
          CASE_LIFECYCLE_GRPC_ADDRESS: grpc('case-lifecycle'),
          FOLLOW_UP_GRPC_ADDRESS: grpc('follow-up'),
        };
    }
  };
  const launch = async (service: ServiceName) => {
    const { child, ready } = await startProcess(service, envFor(service), options.output);
    children.set(service, child);
    ports[service] = service === 'gateway' ? Number(ready.port ?? 0) : Number(ready.grpcPort ?? 0);
    metricsPorts[service] = service === 'gateway' ? ports.gateway : Number(ready.metricsPort ?? 0);
  };
  // Migrations of each schema run at start (or ran above); the first two can go together.
  await Promise.all([launch('ledger'), launch('follow-up')]);
  await launch('case-lifecycle');
  await launch('gateway');
  const replicas: ChildProcess[] = [];
  const kill = async (service: ServiceName, signal: NodeJS.Signals = 'SIGKILL') => {
    const child = children.get(service);
    if (child) await stopChild(child, signal);
  };
  return {
    gatewayUrl: `http://127.0.0.1:${ports.gateway}`,
    ports,
    metricsPorts,
    kill,
    restart: async (service, env) => {
      if (env !== undefined) serviceEnv[service] = env;
      await launch(service);
    },
    spawnReplica: async (service, env) => {
      const { child } = await startProcess(service, { ...envFor(service), GRPC_PORT: '0', ...(env ?? {}) }, options.output);
      replicas.push(child);
      const exited = new Promise<number | null>((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code))));
      return { exited, kill: (signal: NodeJS.Signals = 'SIGKILL') => stopChild(child, signal) };
    },
    stop: async () => {
      await Promise.all(replicas.map((child) => stopChild(child, 'SIGTERM')));
      for (const s of ['gateway', 'case-lifecycle', 'follow-up', 'ledger'] as const) await kill(s, 'SIGTERM');
    },
  };
}

function stopChild(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}
