// The first minute of `npm start` (SPEC §9, issue 16). Without ADMIN_API_KEY the embedded default makes
// its own operator key on first start and keeps it under DATA_DIR; with it, it sets up a demo partner
// with one test case through its own REST API (so the operator audit log shows it like any other write),
// once: a restart finds what it made and makes nothing again, even after a crash half-way. A banner then
// tells a newcomer where everything is and which keys to paste.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

const STATE_FILE = 'first-run.json';
const DEMO = { companyName: 'Demo Collections', officeEmail: 'demo-partner@example.com', tag: 'demo' };

export interface FirstRunState {
  /** the generated operator key (absent when ADMIN_API_KEY is set) */
  readonly adminApiKey?: string;
  readonly demo?: { readonly partnerId: string; readonly apiKey: string; readonly caseId?: string };
}

const statePath = (dataDir: string) => path.join(dataDir, STATE_FILE);

export function readState(dataDir: string): FirstRunState {
  try {
    return JSON.parse(fs.readFileSync(statePath(dataDir), 'utf8')) as FirstRunState;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new Error(`${statePath(dataDir)} is not readable (${(error as Error).message}); remove it to start over`);
  }
}

/** Written whole or not at all (a crash mid-write leaves the previous state), readable by its owner only: it holds keys. */
function writeState(dataDir: string, state: FirstRunState): void {
  fs.mkdirSync(dataDir, { recursive: true });
  const temporary = `${statePath(dataDir)}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  fs.renameSync(temporary, statePath(dataDir));
}

/** The operator key: ADMIN_API_KEY when set, else the one generated on first start and kept under DATA_DIR. */
export function operatorKey(dataDir: string, configured: string | undefined): { key: string; generated: boolean } {
  if (configured) return { key: configured, generated: false };
  const state = readState(dataDir);
  if (state.adminApiKey) return { key: state.adminApiKey, generated: true };
  const key = `ak_${randomBytes(32).toString('base64url')}`;
  writeState(dataDir, { ...state, adminApiKey: key });
  return { key, generated: true };
}

type Call = (method: string, path: string, key: string, body?: unknown) => Promise<{ status: number; body: Record<string, unknown> }>;

function restClient(baseUrl: string): Call {
  return async (method, urlPath, key, body) => {
    const res = await fetch(`${baseUrl}${urlPath}`, {
      method,
      headers: { XApiKey: key, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
  };
}

function expectStatus(what: string, res: { status: number; body: unknown }, status: number): Record<string, unknown> {
  if (res.status !== status) throw new Error(`setting up the demo partner: ${what} answered ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
  return res.body as Record<string, unknown>;
}

/** The demo partner and its test case, made once; each step is saved as soon as it is done. */
export async function ensureDemo(baseUrl: string, dataDir: string, adminKey: string): Promise<NonNullable<FirstRunState['demo']>> {
  const call = restClient(baseUrl);
  let state = readState(dataDir);
  const save = (demo: NonNullable<FirstRunState['demo']>) => {
    state = { ...state, demo };
    writeState(dataDir, state);
    return demo;
  };
  let demo = state.demo;
  if (!demo || (await call('GET', '/me', demo.apiKey)).status !== 200) {
    // Made before a crash that lost its key, or its key revoked since: the same partner with a new key.
    const partners = expectStatus('GET /admin/partners', await call('GET', '/admin/partners?PageSize=100', adminKey), 200).partners as {
      id: string;
      officeEmail: string;
    }[];
    const existing = partners.find((p) => p.id === demo?.partnerId) ?? partners.find((p) => p.officeEmail === DEMO.officeEmail);
    if (existing) {
      const key = expectStatus('POST /admin/partners/{id}/keys', await call('POST', `/admin/partners/${existing.id}/keys`, adminKey), 201);
      demo = save({ partnerId: existing.id, apiKey: String(key.apiKey) });
    } else {
      const partner = expectStatus(
        'POST /admin/partners',
        await call('POST', '/admin/partners', adminKey, { companyName: DEMO.companyName, officeEmail: DEMO.officeEmail }),
        201,
      );
      demo = save({ partnerId: String(partner.id), apiKey: String(partner.apiKey) });
    }
  }
  if (demo.caseId) return demo;
  const cases = expectStatus('GET /cases', await call('GET', '/cases?includeTestCases=true&PageSize=1&Sort=dateCreated', demo.apiKey), 200).cases as {
    id: string;
  }[];
  const caseId =
    cases[0]?.id ??
    String(
      expectStatus(
        'POST /managed-cases',
        await call('POST', '/managed-cases', demo.apiKey, {
          isTest: true,
          currencyCode: 'EUR',
          amountToRecover: 1000,
          date: new Date().toISOString().slice(0, 10),
          creditorCompanyName: 'Demo Creditor Ltd',
          debtor: { type: 'Person', name: 'Demo Debtor' },
          tag: DEMO.tag,
        }),
        200,
      ).id,
    );
  return save({ ...demo, caseId });
}

/** What a newcomer needs on one screen: where the API, its docs and the Portal are, and which keys to use. */
export function banner(opts: {
  url: string;
  dataDir: string;
  database: string;
  operator: { key: string; generated: boolean };
  demo?: FirstRunState['demo'];
}): string {
  const rule = '─'.repeat(72);
  const lines = [
    rule,
    ` Partner payments is running: the embedded default (${opts.database}, in-process bus)`,
    `   API            ${opts.url}`,
    `   API reference  ${opts.url}/docs`,
    `   Portal         ${opts.url}/portal`,
    opts.operator.generated
      ? `   Operator key   ${opts.operator.key}   (ADMIN_API_KEY, kept in ${statePath(opts.dataDir)})`
      : '   Operator key   the ADMIN_API_KEY you set',
  ];
  if (opts.demo) {
    lines.push(`   Demo partner   ${opts.demo.apiKey}   (XApiKey of "${DEMO.companyName}")`);
    if (opts.demo.caseId) lines.push(`   Demo test case ${opts.demo.caseId}`);
    lines.push('', ` Try it:  curl -H "XApiKey: ${opts.demo.apiKey}" "${opts.url}/cases?includeTestCases=true"`);
  }
  lines.push(rule);
  return `${lines.join('\n')}\n`;
}
