// The embedded default as `npm start` runs it: one process (services/embedded/dist/main.js) on PGlite
// and the in-process bus, on a fresh DATA_DIR and a free port. Used by the embedded end-to-end tests
// and by `npm run fuzz` / the benchmarks.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';

const repoRoot = path.resolve(__dirname, '../../..');
const READY_TIMEOUT_MS = 150_000;

export interface EmbeddedOptions {
  /** environment on top of the defaults (PORT 0, HOST 127.0.0.1, a fresh DATA_DIR, LOG_LEVEL warn) */
  readonly env?: Record<string, string>;
  /** where the process's output goes (default: kept only for the error of a failed start) */
  readonly output?: NodeJS.WritableStream;
  /** an existing DATA_DIR, kept on stop (a restart on the same data); default: a fresh one, removed on stop */
  readonly dataDir?: string;
}

export interface RunningEmbedded {
  readonly url: string;
  readonly dataDir: string;
  /** of the process, for CPU figures */
  readonly pid: number;
  /** SIGTERM, wait for the exit, remove DATA_DIR */
  stop(): Promise<void>;
}

export async function startEmbedded(options: EmbeddedOptions = {}): Promise<RunningEmbedded> {
  const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'pp-embedded-'));
  const env: Record<string, string | undefined> = { ...process.env, PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'warn', ...options.env };
  // the embedded default: PGlite and the in-process bus, whatever the caller's environment says
  for (const name of ['DATABASE_URL', 'KAFKA_BROKERS', 'SMTP_URL', 'ADMIN_API_KEY']) if (!options.env?.[name]) delete env[name];
  const child = spawn(process.execPath, [path.join(repoRoot, 'services/embedded/dist/main.js')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const recent: string[] = [];
  child.stderr.on('data', (d: Buffer) => {
    options.output?.write(d);
    recent.push(d.toString().slice(0, 1000));
    if (recent.length > 20) recent.shift();
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    if (!options.dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`the embedded default was not ready after ${READY_TIMEOUT_MS} ms:\n${recent.join('\n')}`)),
        READY_TIMEOUT_MS,
      );
      readline.createInterface({ input: child.stdout }).on('line', (line) => {
        options.output?.write(`${line}\n`);
        if (!line.startsWith('{"ready"')) return;
        clearTimeout(timer);
        resolve((JSON.parse(line) as { port: number }).port);
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the embedded default exited with ${code}:\n${recent.join('\n')}`));
      });
    });
    return { url: `http://127.0.0.1:${port}`, dataDir, pid: child.pid!, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
