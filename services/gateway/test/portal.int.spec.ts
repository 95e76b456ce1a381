// Issue 7: the Partner Portal (SPEC §8) in a real browser — Debian's Chromium driven by playwright-core —
// against the distributed stack on PostgreSQL and Kafka. Sign-in, cases, a case's payments, amounts
// owed, tasks and sent mail; axe-core on each main view (no serious or critical violation); one walk
// with the keyboard only. Screenshots of each main view go to .cache/portal-screenshots/.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Api, CHROMIUM, ensureChromium, pollUntil, startStack, type RunningStack } from '@pp/testing';

const ADMIN = 'portal-admin-key';
const SHOTS = path.resolve(__dirname, '../../../.cache/portal-screenshots');
const AXE_SOURCE = readFileSync(createRequire(__filename).resolve('axe-core/axe.min.js'), 'utf8');

interface Task {
  id: string;
  type: string;
  status: string;
  caseId: string;
  paymentId: string;
  dueAt: string;
}
interface Mail {
  id: string;
  kind: string;
  to: string;
  subject: string;
  text: string;
  caseId: string | null;
  paymentId: string | null;
  createdAt: string;
  sentAt: string | null;
  attempts: number;
  lastError: string | null;
}
type Case = { id: string; reference: string; currency: string };

let stack: RunningStack;
let api: Api;
let context: BrowserContext;
let page: Page;
const dirs: string[] = [];
let partner: { id: string; apiKey: string; officeEmail: string; companyName: string };
let euro: Case;
let yen: Case;
let closed: Case;
let testCase: Case;
let foreign: Case;
let euroUnpaid: string;
let yenUnpaid: string;

const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10);
const tasksOf = (caseId: string) => api.expect<Task[]>(200, 'GET', `/tasks?caseId=${caseId}`, { key: partner.apiKey });

async function screenshot(p: Page, name: string): Promise<void> {
  await p.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

/** axe-core in the page: no serious or critical violation on the view shown. */
async function accessible(p: Page, view: string): Promise<void> {
  if (!(await p.evaluate('typeof axe !== "undefined"'))) await p.addScriptTag({ content: AXE_SOURCE });
  const violations = (await p.evaluate(
    `axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) })))`,
  )) as { id: string; impact: string | null; help: string; nodes: string[] }[];
  const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(bad, `${view}: ${JSON.stringify(bad, null, 2)}`).toEqual([]);
}

async function heading(p: Page, name: string | RegExp): Promise<void> {
  await p.getByRole('heading', { level: 1, name }).waitFor();
}

const rowOf = (p: Page, reference: string) => p.locator('main tbody tr', { has: p.getByRole('link', { name: reference, exact: true }) });

/** Presses Tab (or Shift+Tab) until the focused element matches `selector`; keyboard only. */
async function tabTo(p: Page, selector: string, backwards = false): Promise<void> {
  for (let i = 0; i < 60; i++) {
    await p.keyboard.press(backwards ? 'Shift+Tab' : 'Tab');
    if (await p.evaluate(`document.activeElement?.matches(${JSON.stringify(selector)}) ?? false`)) return;
  }
  throw new Error(`Tab never reached ${selector}`);
}

beforeAll(() => ensureChromium(), 600_000);

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  const dataDir = mkdtempSync(path.join(tmpdir(), 'pp-portal-data-'));
  const profile = mkdtempSync(path.join(tmpdir(), 'pp-portal-chromium-'));
  dirs.push(dataDir, profile);
  // No SMTP_URL: the follow-up keeps its mail under DATA_DIR and in its database (GET /mail).
  stack = await startStack({ databaseUrl: inject('databaseUrl'), kafkaBrokers: inject('kafkaBrokers'), env: { ADMIN_API_KEY: ADMIN, DATA_DIR: dataDir } });
  api = new Api(stack.gatewayUrl, ADMIN);

  partner = await api.newPartner('Portal Recovery AB');
  euro = await api.newCase(partner.id, {
    grossAmount: 1000,
    successFee: 20,
    creditor: { companyName: 'Acme GmbH' },
    debtor: { type: 'Person', name: 'Jane Roe' },
  });
  yen = await api.newCase(partner.id, { currency: 'JPY', grossAmount: 50000, successFee: 20 });
  closed = await api.newCase(partner.id, { currency: 'KWD', grossAmount: 300.125, successFee: 20 });
  testCase = await api.newCase(partner.id, { isTestCase: true, grossAmount: 500 });
  const other = await api.newPartner('Someone Else Ltd');
  foreign = await api.newCase(other.id);
  const pay = (c: Case, body: Record<string, unknown>) =>
    api.expect<{ paymentId: string }>(200, 'POST', `/cases/${c.id}/payments`, { key: partner.apiKey, body });
  euroUnpaid = (await pay(euro, { date: daysAgo(12), paymentAmount: 200, paymentRecipient: 'Creditor', commissionPaymentStatus: 'Unpaid' })).paymentId;
  await pay(euro, { date: daysAgo(3), paymentAmount: 100, paymentRecipient: 'CollectionPartner' });
  yenUnpaid = (await pay(yen, { date: daysAgo(30), paymentAmount: 10000, paymentRecipient: 'Creditor', commissionPaymentStatus: 'Unpaid' })).paymentId;
  await api.expect(200, 'POST', `/cases/${closed.id}/close`, { key: partner.apiKey, body: { closeCode: 'WithdrawnByClient' } });
  // the follow-up starts asynchronously (Kafka): wait for both tasks and both emails
  await pollUntil(async () => (await api.expect<Task[]>(200, 'GET', '/tasks', { key: partner.apiKey })).length === 2, {
    timeoutMs: 20_000,
    what: 'two InvoiceClient tasks',
  });
  await pollUntil(async () => (await api.expect<Mail[]>(200, 'GET', '/mail', { key: partner.apiKey })).filter((m) => m.sentAt).length === 2, {
    timeoutMs: 20_000,
    what: 'two sent emails',
  });

  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
    locale: 'en-US',
    viewport: { width: 1280, height: 900 },
    bypassCSP: true, // only so axe-core can be injected as an inline script; the Portal itself needs no exception
  });
  page = await context.newPage();
}, 180_000);

afterAll(async () => {
  await context?.close();
  await stack?.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('GET /mail and serving the Portal', () => {
  it('serves the Portal without a key, and GET /mail only with one, only the caller’s own', async () => {
    for (const [file, type] of [
      ['/portal', 'text/html'],
      ['/portal/', 'text/html'],
      ['/portal/portal.js', 'text/javascript'],
      ['/portal/portal.css', 'text/css'],
    ] as const) {
      const res = await fetch(`${stack.gatewayUrl}${file}`);
      expect(res.status, file).toBe(200);
      expect(res.headers.get('content-type'), file).toContain(type);
      expect(res.headers.get('content-security-policy'), file).toContain("script-src 'self'");
    }
    expect((await fetch(`${stack.gatewayUrl}/portal/../admin/partners`)).status).not.toBe(200);
    expect((await fetch(`${stack.gatewayUrl}/portal/nothing-here.js`)).status).toBe(404);
    const html = await (await fetch(`${stack.gatewayUrl}/portal`)).text();
    expect(html).not.toMatch(/https?:\/\//); // everything local, no CDN

    expect((await api.call('GET', '/mail')).status).toBe(401);
    expect((await api.call('GET', '/mail?limit=0', { key: partner.apiKey })).status).toBe(400);
    const mails = await api.expect<Mail[]>(200, 'GET', '/mail', { key: partner.apiKey });
    expect(mails).toHaveLength(2);
    const mail = mails.find((m) => m.paymentId === euroUnpaid)!;
    expect(mail).toMatchObject({ kind: expect.any(String), to: partner.officeEmail, caseId: euro.id, attempts: 1, lastError: null });
    expect(mail.subject).toContain(euro.reference);
    expect(mail.text).toContain('EUR 40.00');
    expect(Date.parse(mail.sentAt!)).toBeGreaterThanOrEqual(Date.parse(mail.createdAt));
    expect(await api.expect<Mail[]>(200, 'GET', '/mail', { key: (await api.newPartner('Quiet Partner')).apiKey })).toEqual([]);
    const openapi = await api.expect<{ paths: Record<string, unknown> }>(200, 'GET', '/openapi.json');
    expect(Object.keys(openapi.paths)).toContain('/mail');
    expect(Object.keys(openapi.paths).some((p) => p.startsWith('/portal'))).toBe(false);
  });
});

describe('the Partner Portal in Chromium', () => {
  it('refuses an invalid key with a readable message and keeps nothing', async () => {
    await page.goto(`${stack.gatewayUrl}/portal`);
    await heading(page, 'Sign in');
    await page.getByLabel('API key').fill('pk_this_is_not_a_key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'The API key was not accepted' }).waitFor();
    expect(await page.evaluate('sessionStorage.length + localStorage.length')).toBe(0);
    expect(await page.getByRole('navigation', { name: 'Main' }).isVisible()).toBe(false);
    await screenshot(page, '01-sign-in-refused');
    await accessible(page, 'sign-in');
  });

  it('signs in and lists the cases: money in each currency’s digits, lifecycle filter, test cases behind a toggle', async () => {
    await page.getByLabel('API key').fill(partner.apiKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await heading(page, 'Cases');
    expect(await page.evaluate(`sessionStorage.getItem('pp.portal.apiKey')`)).toBe(partner.apiKey);
    expect(await page.evaluate('localStorage.length')).toBe(0);
    expect(await page.locator('#company').innerText()).toBe('Portal Recovery AB');

    await rowOf(page, euro.reference).waitFor();
    expect(await rowOf(page, euro.reference).innerText()).toMatch(/Active[\s\S]*€700\.00[\s\S]*EUR/);
    expect(await rowOf(page, yen.reference).innerText()).toMatch(/Active[\s\S]*¥40,000[\s\S]*JPY/);
    expect(await rowOf(page, closed.reference).innerText()).toMatch(/Closed[\s\S]*Withdrawn by client[\s\S]*KWD\s300\.125/);
    const table = await page.locator('main table').innerText();
    expect(table).not.toContain(testCase.reference);
    expect(table).not.toContain(foreign.reference);
    await screenshot(page, '02-cases');
    await accessible(page, 'cases');

    await page.getByLabel('Show test cases').check();
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await rowOf(page, testCase.reference).waitFor();
    expect(await rowOf(page, testCase.reference).innerText()).toContain('Test');

    await page.getByLabel('Lifecycle').selectOption('Closed');
    await page.getByLabel('Show test cases').uncheck();
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.getByRole('table', { name: /Cases \(Closed\)/ }).waitFor();
    const closedOnly = await page.locator('main tbody').innerText();
    expect(closedOnly).toContain(closed.reference);
    expect(closedOnly).not.toContain(euro.reference);
  });

  it('shows a case with its fees, payments, follow-up tasks, audit trail and timeline', async () => {
    await api.expect(200, 'PUT', `/cases/${euro.id}/fees`, { key: partner.apiKey, body: { interestFees: 25, reminderFees: 5 } });
    await page.getByLabel('Lifecycle').selectOption('');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.getByRole('link', { name: euro.reference, exact: true }).click();
    await heading(page, `Case ${euro.reference}`);
    const payments = page.getByRole('table', { name: /Payments of case/ });
    expect(await payments.locator('tbody tr').count()).toBe(2);
    const unpaid = payments.locator(`tr[data-payment-id="${euroUnpaid}"]`);
    // amount, recipient, creditor payout, commission, platform fee (40 % of it), commission status, invoicing
    expect(await unpaid.innerText()).toMatch(/€200\.00[\s\S]*Creditor[\s\S]*€160\.00[\s\S]*€40\.00[\s\S]*€16\.00[\s\S]*Unpaid[\s\S]*Not invoiced/);
    expect(await unpaid.getByRole('button', { name: /Mark commission paid/ }).count()).toBe(1);
    expect(await payments.innerText()).toMatch(/Collection partner[\s\S]*€80\.00[\s\S]*€20\.00[\s\S]*€8\.00[\s\S]*Paid/);
    expect(await page.getByRole('table', { name: /Follow-up tasks/ }).innerText()).toMatch(/Invoice client[\s\S]*Open[\s\S]*€40\.00/);
    const audit = await page.getByRole('table', { name: /Audit trail/ }).innerText();
    expect(audit.match(/Payment recorded/g)).toHaveLength(2);
    expect(audit).toContain('Amount: €200.00');
    expect(audit).toContain('Portal Recovery AB');
    // the fee change (SPEC §10): in the summary, the audit trail and the timeline
    const summary = await page.locator('main dl.summary').innerText();
    expect(summary).toMatch(
      /Interest fees\s*€25\.00[\s\S]*Reminder fees\s*€5\.00[\s\S]*Collection fees\s*€0\.00[\s\S]*Added fees\s*€30\.00[\s\S]*Remainder\s*€730\.00/,
    );
    expect(audit).toContain('Interest fees: €0.00 → €25.00');
    const timeline = page.getByRole('list', { name: /Timeline of case/ });
    expect(await timeline.locator('li').evaluateAll((items) => items.map((i) => i.getAttribute('data-type')))).toEqual([
      'CaseCreated',
      'PaymentRecorded',
      'PaymentRecorded',
      'FeesUpdated',
    ]);
    const history = await timeline.innerText();
    expect(history).toMatch(/Case created[\s\S]*1000 EUR[\s\S]*Payment recorded[\s\S]*200 EUR[\s\S]*Fees updated[\s\S]*Interest fees 0 EUR → 25 EUR/);
    expect(history).toContain('Portal Recovery AB');
    await screenshot(page, '03-case');
    await accessible(page, 'case');
  });

  it('lists every unpaid commission under Amounts owed; "Mark commission paid" settles it and the task becomes Completed', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Amounts owed' }).click();
    await heading(page, 'Amounts owed');
    expect(await page.locator('main tbody tr').count()).toBe(2);
    expect(await rowOf(page, euro.reference).innerText()).toMatch(/12 days[\s\S]*€40\.00[\s\S]*Unpaid[\s\S]*Invoice client: Open/);
    expect(await rowOf(page, yen.reference).innerText()).toMatch(/30 days[\s\S]*¥2,000[\s\S]*Invoice client: Open/);
    expect(await page.locator('.totals').innerText()).toMatch(/Total owed in EUR\s*€40\.00/);
    await screenshot(page, '04-amounts-owed');
    await accessible(page, 'amounts owed');

    const row = rowOf(page, euro.reference);
    await row.getByRole('button', { name: /Mark commission paid/ }).click();
    await row.getByText('Commission marked paid').waitFor();
    expect(await row.innerText()).toMatch(/Paid/);
    const payments = await api.expect<{ id: string; commissionPaymentStatus: string }[]>(200, 'GET', `/cases/${euro.id}/payments`, { key: partner.apiKey });
    expect(payments.find((p) => p.id === euroUnpaid)?.commissionPaymentStatus).toBe('Paid');
    // the follow-up completes asynchronously; the page watches the task and shows it
    await row.getByText('Completed').waitFor({ timeout: 30_000 });
    expect((await tasksOf(euro.id)).find((t) => t.paymentId === euroUnpaid)?.status).toBe('Completed');
    expect(await page.locator('.totals').innerText()).not.toContain('EUR');
    await screenshot(page, '05-amounts-owed-settled');

    await row.getByRole('link', { name: euro.reference }).click();
    await heading(page, `Case ${euro.reference}`);
    expect(await page.getByRole('table', { name: /Follow-up tasks/ }).innerText()).toMatch(/Invoice client[\s\S]*Completed/);
    expect(await page.getByRole('table', { name: /Audit trail/ }).innerText()).toContain('Commission settled');
    expect(
      await page
        .getByRole('table', { name: /Payments of case/ })
        .getByRole('button')
        .count(),
    ).toBe(0);
  });

  it('lists the open tasks with their due dates', async () => {
    await page.getByRole('link', { name: 'Tasks', exact: true }).click();
    await heading(page, 'Tasks');
    const task = (await tasksOf(yen.id))[0]!;
    const due = new Intl.DateTimeFormat('en-US', { dateStyle: 'medium', timeZone: 'UTC' }).format(new Date(task.dueAt));
    await rowOf(page, yen.reference).waitFor();
    expect(await rowOf(page, yen.reference).innerText()).toMatch(new RegExp(`Invoice client[\\s\\S]*Open[\\s\\S]*¥2,000[\\s\\S]*${due}`));
    expect(await page.locator('main tbody').innerText()).not.toContain(euro.reference);
    await screenshot(page, '06-tasks');
    await accessible(page, 'tasks');

    await page.getByLabel('Status').selectOption('Completed');
    await page.getByRole('button', { name: 'Apply filter' }).click();
    await rowOf(page, euro.reference).waitFor();
    expect(await rowOf(page, euro.reference).innerText()).toContain('Completed');
  });

  it('shows the sent mail', async () => {
    await page.getByRole('link', { name: 'Sent mail' }).click();
    await heading(page, 'Sent mail');
    const articles = page.locator('main article');
    expect(await articles.count()).toBe(2);
    const text = await page.locator('main').innerText();
    expect(text).toContain(euro.reference);
    expect(text).toContain(yen.reference);
    expect(text).toContain(partner.officeEmail);
    expect(text).toContain('EUR 40.00');
    expect(text).not.toContain('Not sent yet');
    await screenshot(page, '07-sent-mail');
    await accessible(page, 'sent mail');
  });

  it('shows API errors as readable messages, and a key that stops working signs the tab out', async () => {
    await page.goto(`${stack.gatewayUrl}/portal#/cases/00000000-0000-4000-8000-000000000000`);
    await heading(page, 'Something went wrong');
    expect(await page.getByRole('alert').innerText()).toBe('Case not found');
    await page.getByRole('button', { name: 'Try again' }).waitFor();

    await page.evaluate(`sessionStorage.setItem('pp.portal.apiKey', 'pk_no_longer_valid')`);
    await page.goto(`${stack.gatewayUrl}/portal#/owed`);
    await heading(page, 'Sign in');
    await page.getByRole('alert').filter({ hasText: 'The API key was not accepted' }).waitFor();
    expect(await page.evaluate('sessionStorage.length')).toBe(0);
  });

  it('works with the keyboard alone: sign in, go to Amounts owed, mark a commission paid, sign out', async () => {
    const kb = await context.newPage(); // a new tab: a new sessionStorage, signed out
    try {
      await kb.goto(`${stack.gatewayUrl}/portal`);
      await heading(kb, 'Sign in');
      await tabTo(kb, 'a.skip-link');
      await tabTo(kb, '#api-key');
      await kb.keyboard.type(partner.apiKey);
      await kb.keyboard.press('Enter');
      await heading(kb, 'Cases');
      expect(await kb.evaluate('document.activeElement.tagName')).toBe('H1'); // focus moves to the new view

      await tabTo(kb, 'nav a[href="#/owed"]', true);
      await kb.keyboard.press('Enter');
      await heading(kb, 'Amounts owed');
      expect(await kb.evaluate('document.activeElement.textContent')).toBe('Amounts owed');
      await tabTo(kb, 'button.settle');
      // the focused control shows a visible focus ring
      expect(await kb.evaluate('getComputedStyle(document.activeElement).outlineStyle')).not.toBe('none');
      expect(await kb.evaluate('document.activeElement.closest("tr").textContent')).toContain(yen.reference);
      await kb.screenshot({ path: path.join(SHOTS, '08-keyboard-focus.png') });
      await kb.keyboard.press('Enter');
      await rowOf(kb, yen.reference).getByText('Commission marked paid').waitFor();
      expect(await kb.evaluate('document.activeElement.textContent')).toBe('Commission marked paid');
      await pollUntil(async () => (await tasksOf(yen.id)).some((t) => t.paymentId === yenUnpaid && t.status === 'Completed'), {
        timeoutMs: 20_000,
        what: 'yen task Completed',
      });

      await tabTo(kb, '#sign-out', true);
      await kb.keyboard.press('Enter');
      await heading(kb, 'Sign in');
      expect(await kb.evaluate('sessionStorage.length')).toBe(0);
    } finally {
      await kb.close();
    }
  });
});
