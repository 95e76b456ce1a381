// `pp-client listen` against the stack (issue 16): the real CLI process follows the partner's event
// stream and forwards each event, signed with the secret it printed, to a local HTTP server that verifies
// it. The gateway is killed and restarted mid-way, with payments recorded while the CLI is away: every
// event arrives once, none is lost, and test-case events never reach a production listener.
import { spawn, type ChildProcess } from 'node:child_process';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { pollUntil, startStack, type RunningStack } from '@pp/testing';
import { createClient, unwrap, verifyWebhook, type PaymentsClient, type WebhookEvent } from '../src';
import { sseMessages, type SseMessage } from '../src/sse';

const ADMIN = 'listen-int-admin-key';
let stack: RunningStack;
let receiver: http.Server;
let cli: ChildProcess | undefined;
const received: { event: WebhookEvent; verified: boolean }[] = [];
const output: string[] = [];
let secret = '';

beforeAll(async () => {
  stack = await startStack({ databaseUrl: inject('databaseUrl'), kafkaBrokers: inject('kafkaBrokers'), env: { ADMIN_API_KEY: ADMIN } });
  receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      try {
        received.push({ event: verifyWebhook(body, req.headers, secret), verified: true });
        res.writeHead(204).end();
      } catch {
        received.push({ event: JSON.parse(body) as WebhookEvent, verified: false });
        res.writeHead(400).end();
      }
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  cli?.kill('SIGTERM');
  await stack?.stop();
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
});

/** Resolves when the CLI has printed a line matching `pattern` (from now on or already). */
function printed(pattern: RegExp, from = 0): Promise<RegExpExecArray> {
  return pollUntil(
    async () =>
      output
        .slice(from)
        .map((line) => pattern.exec(line))
        .find(Boolean) ?? undefined,
    {
      timeoutMs: 60_000,
      what: `the CLI to print ${pattern}\n${output.join('\n')}`,
    },
  );
}

describe('pp-client listen', () => {
  it('forwards each event once, signed, across a gateway restart, and only production events', async () => {
    const admin = createClient({ baseUrl: stack.gatewayUrl, apiKey: ADMIN });
    const partner = await unwrap(admin.POST('/admin/partners', { body: { companyName: 'Listen Co', officeEmail: 'listen@example.test' } }));
    const caseId = (await unwrap(admin.POST('/admin/cases', { body: { partnerId: partner.id, currency: 'EUR', grossAmount: 1000, successFee: 20 } }))).id;
    const api: PaymentsClient = createClient({ baseUrl: stack.gatewayUrl, apiKey: partner.apiKey });
    const pay = async (amount: number) =>
      (
        await unwrap(
          api.POST('/cases/{id}/payments', {
            params: { path: { id: caseId } },
            body: { date: '2026-11-01', paymentAmount: amount, paymentRecipient: 'CollectionPartner' },
          }),
        )
      ).paymentId;
    const forwardTo = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;

    cli = spawn(process.execPath, [path.resolve(__dirname, '../dist/cli.js'), 'listen', '--base-url', stack.gatewayUrl, '--forward-to', forwardTo], {
      env: { ...process.env, PP_API_KEY: partner.apiKey },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    readline.createInterface({ input: cli.stdout! }).on('line', (line) => output.push(line));
    readline.createInterface({ input: cli.stderr! }).on('line', (line) => output.push(`stderr: ${line}`));
    secret = (await printed(/signing secret is (whsec_\S+)/))[1]!;
    await printed(/^connected to /);

    const paid = [await pay(10)];
    const payments = () => received.filter((r) => r.event.event === 'payment.created');
    await pollUntil(async () => payments().length === 1, { timeoutMs: 30_000, what: 'the first forwarded payment' });

    // the gateway goes away; the CLI keeps trying; payments made once it is back, before the CLI has
    // reconnected, still arrive: it resumes from the last event it forwarded
    const before = output.length;
    await stack.kill('gateway');
    await printed(/the stream (ended|is not reachable)/, before);
    await stack.restart('gateway');
    paid.push(await pay(20), await pay(30));
    await printed(/^connected to .*resuming after /, before);

    // a test case's events go to test listeners only
    const testCase = await unwrap(
      api.POST('/managed-cases', {
        body: { isTest: true, currencyCode: 'EUR', amountToRecover: 100, date: '2026-11-01', creditorCompanyName: 'T', debtor: { type: 'Person', name: 'D' } },
      }),
    );
    await unwrap(api.POST('/test/cases/{id}/advance', { params: { path: { id: testCase.id } }, body: { to: 'Closed:Paid', amount: 100 } }));
    // a last payment after all of that: once it is in, everything before it is
    paid.push(await pay(40));
    await pollUntil(async () => payments().some((r) => r.event.event === 'payment.created' && r.event.data.payment.id === paid.at(-1)), {
      timeoutMs: 30_000,
      what: 'the last payment',
    });

    expect(received.every((r) => r.verified)).toBe(true);
    expect(received.every((r) => r.event.classification === 'production')).toBe(true);
    const ids = received.map((r) => r.event.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(payments().map((r) => (r.event.event === 'payment.created' ? r.event.data.payment.id : ''))).toEqual(paid);
  });

  it('GET /webhooks/events/stream resumes from Last-Event-ID with exactly what happened meanwhile', async () => {
    const admin = createClient({ baseUrl: stack.gatewayUrl, apiKey: ADMIN });
    const partner = await unwrap(admin.POST('/admin/partners', { body: { companyName: 'Stream Co', officeEmail: 'stream@example.test' } }));
    const caseId = (await unwrap(admin.POST('/admin/cases', { body: { partnerId: partner.id, currency: 'EUR', grossAmount: 1000, successFee: 20 } }))).id;
    const api = createClient({ baseUrl: stack.gatewayUrl, apiKey: partner.apiKey });
    const pay = async (amount: number) =>
      (
        await unwrap(
          api.POST('/cases/{id}/payments', {
            params: { path: { id: caseId } },
            body: { date: '2026-11-01', paymentAmount: amount, paymentRecipient: 'CollectionPartner' },
          }),
        )
      ).paymentId;
    /** Opens the stream, takes `count` messages, closes it. */
    const take = async (count: number, lastEventId?: string, during?: () => Promise<unknown>) => {
      const abort = new AbortController();
      const res = await fetch(`${stack.gatewayUrl}/webhooks/events/stream`, {
        headers: { XApiKey: partner.apiKey, ...(lastEventId ? { 'Last-Event-ID': lastEventId } : {}) },
        signal: abort.signal,
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
      const got: SseMessage[] = [];
      const reading = (async () => {
        for await (const m of sseMessages(res.body!)) if (got.push(m) >= count) break;
      })();
      await during?.();
      await reading;
      abort.abort();
      return got;
    };
    const first = await take(1, undefined, () => pay(1));
    const paymentOf = (m: SseMessage) => (JSON.parse(m.data) as { data: { payment: { id: string } } }).data.payment.id;
    expect(first[0]!.event).toBe('payment.created');
    const missed = [await pay(2), await pay(3)];
    const resumed = await take(2, first[0]!.id);
    expect(resumed.map(paymentOf)).toEqual(missed);
    expect(resumed.map((m) => m.event)).toEqual(['payment.created', 'payment.created']);
    const bad = await fetch(`${stack.gatewayUrl}/webhooks/events/stream`, { headers: { XApiKey: partner.apiKey, 'Last-Event-ID': 'nope' } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { businessErrors: { field: string }[] }).businessErrors[0]!.field).toBe('Last-Event-ID');
  });
});
