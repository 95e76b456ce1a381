// Partner Portal: a small client of the partner REST API (the same calls a partner's systems make,
// with the same XApiKey header). The key is kept in sessionStorage only: it goes when the tab closes.
const KEY = 'pp.portal.apiKey';
const ME = 'pp.portal.me';
const PAGE_SIZE = 20;

const main = document.getElementById('main');
const statusRegion = document.getElementById('status');

// ---------------------------------------------------------------- DOM and formatting helpers

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

const formatters = new Map();
/** Money in the currency's own minor digits (ISO 4217, from Intl) and the user's locale. */
function money(amount, currency) {
  if (amount === null || amount === undefined || !currency) return '—';
  if (!formatters.has(currency)) {
    let f = null;
    try {
      f = new Intl.NumberFormat(undefined, { style: 'currency', currency });
    } catch {
      f = null;
    }
    formatters.set(currency, f);
  }
  const f = formatters.get(currency);
  return f ? f.format(amount) : `${amount} ${currency}`;
}

const dayFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeZone: 'UTC' });
const stampFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const daysFormat = new Intl.NumberFormat(undefined, { style: 'unit', unit: 'day', unitDisplay: 'long' });

/** A calendar date (YYYY-MM-DD): the same day everywhere. */
function dayText(s) {
  if (!s) return '—';
  const d = new Date(`${s.slice(0, 10)}T00:00:00Z`);
  return Number.isNaN(d.getTime()) ? s : dayFormat.format(d);
}

function day(s) {
  return s ? h('time', { datetime: s.slice(0, 10) }, dayText(s)) : '—';
}

/** A timestamp, in the user's time zone. */
function stamp(s) {
  if (!s) return '—';
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? s : h('time', { datetime: s }, stampFormat.format(d));
}

function ageInDays(date) {
  const days = Math.max(0, Math.floor((Date.now() - Date.parse(`${date.slice(0, 10)}T00:00:00Z`)) / 86_400_000));
  return daysFormat.format(days);
}

/** "InvoiceClient" → "Invoice client". */
function words(s) {
  if (!s) return '—';
  const parts = s.replace(/([a-z0-9])([A-Z])/g, '$1 $2').split(' ');
  return parts.map((w, i) => (i === 0 ? w.charAt(0).toUpperCase() + w.slice(1) : w.toLowerCase())).join(' ');
}

const AUDIT_FIELDS = [
  ['date', 'Date', 'day'],
  ['paymentAmount', 'Amount', 'money'],
  ['paymentRecipient', 'Recipient', 'words'],
  ['commissionPaymentStatus', 'Commission', 'text'],
  ['payoutCreditor', 'Creditor payout', 'money'],
  ['payoutCollectionPartner', 'Your commission', 'money'],
  ['platformFee', 'Platform fee', 'money'],
  ['lifecycle', 'Lifecycle', 'text'],
  ['closeCode', 'Close code', 'words'],
  ['remainder', 'Remainder', 'money'],
  ['comment', 'Comment', 'text'],
  // a fee change (FeesUpdated)
  ['grossAmount', 'Amount to recover', 'money'],
  ['interestFees', 'Interest fees', 'money'],
  ['reminderFees', 'Reminder fees', 'money'],
  ['collectionFees', 'Collection fees', 'money'],
  ['totalAddedFees', 'Added fees', 'money'],
];

/** What an audit entry changed, in words: "Amount: €100.00 → €120.00". */
function auditChanges(entry, currency) {
  const before = entry.before ?? {};
  const after = entry.after ?? {};
  const show = (kind, v) => {
    if (v === null || v === undefined || v === '') return '—';
    if (kind === 'money') return money(v, currency); // the API shows money in major units (SPEC §10)
    if (kind === 'day') return dayText(String(v));
    if (kind === 'words') return words(String(v));
    return String(v);
  };
  const items = [];
  for (const [field, label, kind] of AUDIT_FIELDS) {
    const inBefore = field in before;
    const inAfter = field in after;
    if (!inBefore && !inAfter) continue;
    if (inBefore && inAfter && before[field] === after[field]) continue;
    const text = inBefore && inAfter ? `${show(kind, before[field])} → ${show(kind, after[field])}` : show(kind, inAfter ? after[field] : before[field]);
    items.push(h('li', {}, `${label}: ${text}`));
  }
  return items.length > 0 ? h('ul', { class: 'plain changes' }, items) : '—';
}

function announce(message) {
  statusRegion.textContent = '';
  setTimeout(() => {
    statusRegion.textContent = message;
  }, 50);
}

function table(caption, headers, rows, opts = {}) {
  const t = h(
    'table',
    { class: opts.class },
    h('caption', {}, caption),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        headers.map((c) => h('th', { scope: 'col', class: c.num ? 'num' : undefined }, c.label ?? c)),
      ),
    ),
    h('tbody', {}, rows),
  );
  // A wide table scrolls inside its own region, which the keyboard can reach.
  return h('div', { class: 'table-wrap', role: 'region', 'aria-label': caption, tabindex: '0' }, t);
}

const cell = (content, num = false) => h('td', { class: num ? 'num' : undefined }, content);

// ---------------------------------------------------------------- the REST API

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

function errorMessage(res, data) {
  if (res.status === 401) return 'The API key was not accepted. Check that you copied the whole key and that it has not been replaced.';
  if (res.status === 429) {
    const wait = data?.retryAfter ?? res.headers.get('Retry-After') ?? 'a few';
    return `Too many requests. Try again in ${wait} seconds.`;
  }
  const messages = Array.isArray(data?.businessErrors) ? data.businessErrors.map((e) => e?.message).filter(Boolean) : [];
  if (messages.length > 0) return messages.join(' ');
  if (typeof data?.detail === 'string') return data.detail;
  if (res.status >= 500) return `The server could not complete the request${data?.errorId ? ` (error id ${data.errorId})` : ''}. Try again in a moment.`;
  if (typeof data?.message === 'string') return data.message;
  if (typeof data?.title === 'string') return data.title;
  return `The request failed (HTTP ${res.status}).`;
}

async function api(path, { method = 'GET', body, key = sessionStorage.getItem(KEY) } = {}) {
  let res;
  try {
    res = await fetch(path, {
      method,
      cache: 'no-store',
      headers: { Accept: 'application/json', ...(key ? { XApiKey: key } : {}), ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'The server could not be reached. Check your connection and try again.');
  }
  const text = await res.text();
  let data;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = undefined;
  }
  if (!res.ok) throw new ApiError(res.status, errorMessage(res, data));
  return data;
}

/** Runs `fn` over `items`, at most `limit` at a time. */
async function eachLimited(items, limit, fn) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

async function allCases() {
  const cases = [];
  for (let page = 1; page <= 50; page++) {
    const out = await api(`/cases?Page=${page}&PageSize=100&includeTestCases=true`);
    cases.push(...out.cases);
    if (page >= out.page.totalPages) break;
  }
  return cases;
}

const references = new Map();
/** Case id → reference, for tasks and mail, which carry only the id. */
async function referencesOf(caseIds) {
  const missing = [...new Set(caseIds.filter((id) => id && !references.has(id)))];
  await eachLimited(missing, 4, async (id) => {
    try {
      references.set(id, (await api(`/cases/${id}`)).reference);
    } catch (e) {
      if (e.status === 401) throw e;
      references.set(id, null);
    }
  });
}

const caseLink = (id, reference) => (id ? h('a', { href: `#/cases/${id}` }, reference ?? references.get(id) ?? 'Case') : '—');

async function settleCommission(caseId, paymentId) {
  return api(`/cases/${caseId}/payments/${paymentId}/commission`, { method: 'POST', body: { status: 'Paid' } });
}

function settleButton(label, onClick) {
  return h('button', { type: 'button', class: 'settle', onclick: onClick }, 'Mark commission paid', h('span', { class: 'visually-hidden' }, ` ${label}`));
}

// ---------------------------------------------------------------- views

function page(title, ...content) {
  return { title, node: h('div', { class: 'view' }, h('h1', { tabindex: '-1' }, title), content) };
}

function signInView(message) {
  const error = h('p', { id: 'sign-in-error', class: 'error', role: 'alert' }, message ?? '');
  const input = h('input', {
    id: 'api-key',
    name: 'apiKey',
    type: 'password',
    autocomplete: 'off',
    spellcheck: 'false',
    required: true,
    'aria-describedby': 'api-key-hint sign-in-error',
  });
  const button = h('button', { type: 'submit' }, 'Sign in');
  const form = h(
    'form',
    {
      class: 'card sign-in',
      novalidate: true,
      onsubmit: async (event) => {
        event.preventDefault();
        const key = input.value.trim();
        error.textContent = '';
        if (!key) {
          input.setAttribute('aria-invalid', 'true');
          error.textContent = 'Enter your API key.';
          input.focus();
          return;
        }
        button.disabled = true;
        try {
          const me = await api('/me', { key });
          sessionStorage.setItem(KEY, key);
          sessionStorage.setItem(ME, JSON.stringify(me));
          announce(`Signed in as ${me.companyName}.`);
          if (location.hash.startsWith('#/')) void render();
          else location.hash = '#/cases';
        } catch (e) {
          input.setAttribute('aria-invalid', 'true');
          error.textContent = e.message;
          input.focus();
          input.select();
        } finally {
          button.disabled = false;
        }
      },
    },
    h('label', { for: 'api-key' }, 'API key'),
    h('p', { id: 'api-key-hint', class: 'hint' }, 'The key your systems send in the XApiKey header. It is kept in this browser tab only.'),
    input,
    button,
  );
  return page('Sign in', h('p', {}, 'Sign in with your partner API key to see your cases, payments, tasks and amounts owed.'), form, error);
}

async function casesView(params) {
  const pageNo = Math.max(1, Math.floor(Number(params.get('page'))) || 1);
  const status = ['Active', 'Paused', 'Closed'].includes(params.get('status')) ? params.get('status') : '';
  const withTests = params.get('test') === '1';
  const query = new URLSearchParams({ Page: String(pageNo), PageSize: String(PAGE_SIZE), includeTestCases: String(withTests) });
  if (status) query.set('Statuses', status);
  const data = await api(`/cases?${query}`);

  const select = h(
    'select',
    { id: 'filter-lifecycle', name: 'status' },
    [
      ['', 'All lifecycles'],
      ['Active', 'Active'],
      ['Paused', 'Paused'],
      ['Closed', 'Closed'],
    ].map(([value, label]) => h('option', { value, selected: value === status }, label)),
  );
  const tests = h('input', { id: 'filter-test', name: 'test', type: 'checkbox', checked: withTests });
  const filters = h(
    'form',
    {
      class: 'filters',
      'aria-label': 'Filter cases',
      onsubmit: (event) => {
        event.preventDefault();
        location.hash = `#/cases?${new URLSearchParams({ status: select.value, test: tests.checked ? '1' : '0', page: '1' })}`;
      },
    },
    h('div', { class: 'field' }, h('label', { for: 'filter-lifecycle' }, 'Lifecycle'), select),
    h('div', { class: 'field check' }, tests, h('label', { for: 'filter-test' }, 'Show test cases')),
    h('button', { type: 'submit' }, 'Apply filters'),
  );

  const { totalResults, totalPages } = data.page;
  const rows = data.cases.map((c) =>
    h(
      'tr',
      {},
      h('th', { scope: 'row' }, h('a', { href: `#/cases/${c.id}` }, c.reference), c.isTestCase ? h('span', { class: 'badge' }, 'Test') : null),
      cell(c.lifecycle),
      cell(c.closeCode ? words(c.closeCode) : '—'),
      cell(money(c.remainder, c.currency), true),
      cell(c.currency),
    ),
  );
  const link = (n, label) => h('a', { href: `#/cases?${new URLSearchParams({ status, test: withTests ? '1' : '0', page: String(n) })}` }, label);
  const pager = h(
    'nav',
    { class: 'pager', 'aria-label': 'Case pages' },
    pageNo > 1 ? link(pageNo - 1, 'Previous page') : null,
    h('span', {}, `Page ${Math.min(pageNo, Math.max(totalPages, 1))} of ${Math.max(totalPages, 1)} · ${totalResults} ${totalResults === 1 ? 'case' : 'cases'}`),
    pageNo < totalPages ? link(pageNo + 1, 'Next page') : null,
  );
  const caption = `Cases${status ? ` (${status})` : ''}, page ${pageNo} of ${Math.max(totalPages, 1)}`;
  return page(
    'Cases',
    filters,
    rows.length > 0
      ? table(caption, ['Reference', 'Lifecycle', 'Close code', { label: 'Remainder', num: true }, 'Currency'], rows)
      : h('p', { class: 'empty' }, 'No cases match these filters.'),
    pager,
  );
}

function taskSummary(tasks) {
  if (!tasks || tasks.length === 0) return 'No follow-up';
  const order = { InvoiceClient: 0, ChaseClient: 1 };
  return h(
    'ul',
    { class: 'plain' },
    [...tasks]
      .sort((a, b) => (order[a.type] ?? 2) - (order[b.type] ?? 2))
      .map((t) =>
        h(
          'li',
          { 'data-task-type': t.type },
          `${words(t.type)}: `,
          h('strong', { class: `task-${t.status.toLowerCase()}` }, t.status),
          t.type === 'ChaseClient' && t.reminderCount > 0 ? ` (${t.reminderCount} ${t.reminderCount === 1 ? 'reminder' : 'reminders'})` : '',
          t.status === 'Open' && t.dueAt ? [' · due ', day(t.dueAt)] : '',
        ),
      ),
  );
}

async function caseView(id) {
  const [c, payments, audit, tasks, history] = await Promise.all([
    api(`/cases/${id}`),
    api(`/cases/${id}/payments`),
    api(`/cases/${id}/audit`),
    api(`/tasks?caseId=${id}`),
    api(`/cases/${id}/timeline`),
  ]);
  references.set(c.id, c.reference);
  const summary = h(
    'dl',
    { class: 'summary' },
    [
      ['Lifecycle', c.lifecycle],
      ['Close code', c.closeCode ? words(c.closeCode) : '—'],
      ['Amount to recover', money(c.grossAmount, c.currency)],
      ['Interest fees', money(c.interestFees, c.currency)],
      ['Reminder fees', money(c.reminderFees, c.currency)],
      ['Collection fees', money(c.collectionFees, c.currency)],
      ['Added fees', money(c.totalAddedFees, c.currency)],
      ['Payments', money(c.totalPayments, c.currency)],
      ['Remainder', money(c.remainder, c.currency)],
      ['Creditor', c.creditor?.companyName ?? '—'],
      ['Debtor', c.debtor?.name ?? '—'],
      ['Engagement phase', c.currentEngagementPhase],
      ['Success fee', `${c.preLegalSuccessFee} %`],
      ['Created', stamp(c.dateCreated)],
      ['Test case', c.isTestCase ? 'Yes' : 'No'],
    ].map(([k, v]) => h('div', {}, h('dt', {}, k), h('dd', {}, v))),
  );

  const paymentRows = payments.map((p) => {
    const owed = p.paymentRecipient === 'Creditor' && p.commissionPaymentStatus === 'Unpaid';
    return h(
      'tr',
      { 'data-payment-id': p.id },
      h('th', { scope: 'row' }, day(p.date)),
      cell(money(p.paymentAmount, p.currency), true),
      cell(words(p.paymentRecipient)),
      cell(money(p.payoutCreditor, p.currency), true),
      cell(money(p.payoutCollectionPartner, p.currency), true),
      cell(money(p.platformFee, p.currency), true),
      cell(p.commissionPaymentStatus),
      cell(p.invoiced ? 'Invoiced' : 'Not invoiced'),
      cell(
        owed
          ? settleButton(`on the payment of ${dayText(p.date)}`, async (event) => {
              const button = event.currentTarget;
              button.disabled = true;
              try {
                await settleCommission(c.id, p.id);
                announce(`Commission of ${money(p.payoutCollectionPartner, p.currency)} on case ${c.reference} marked paid.`);
                await render();
              } catch (e) {
                button.disabled = false;
                showInlineError(button, e);
              }
            })
          : '',
      ),
    );
  });

  const taskRows = tasks.map((t) =>
    h(
      'tr',
      {},
      h('th', { scope: 'row' }, words(t.type)),
      cell(h('span', { class: `task-${t.status.toLowerCase()}` }, t.status)),
      cell(money(t.amountOwed, t.currency), true),
      cell(day(t.dueAt)),
      cell(String(t.reminderCount)),
      cell(stamp(t.createdAt)),
      cell(stamp(t.completedAt)),
    ),
  );

  const auditRows = audit.map((e) =>
    h('tr', {}, h('th', { scope: 'row' }, stamp(e.at)), cell(words(e.type)), cell(e.actor || '—'), cell(auditChanges(e, c.currency))),
  );

  // the timeline (SPEC §10): the API's sentences, oldest first
  const timelineItems = history.items.map((item) =>
    h(
      'li',
      { 'data-type': item.type },
      h('p', { class: 'when' }, stamp(item.date), ' · ', item.actor.name ?? item.actor.type),
      h('p', {}, h('strong', {}, item.title), ': ', item.description),
    ),
  );

  return page(
    `Case ${c.reference}`,
    h('p', {}, h('a', { href: '#/cases' }, 'Back to cases')),
    h('section', { 'aria-labelledby': 'case-summary' }, h('h2', { id: 'case-summary' }, 'Summary'), summary),
    h(
      'section',
      { 'aria-labelledby': 'case-payments' },
      h('h2', { id: 'case-payments' }, 'Payments'),
      paymentRows.length > 0
        ? table(
            `Payments of case ${c.reference}, newest first`,
            [
              'Date',
              { label: 'Amount', num: true },
              'Recipient',
              { label: 'Creditor payout', num: true },
              { label: 'Your commission', num: true },
              { label: 'Platform fee', num: true },
              'Commission',
              'Invoicing',
              'Action',
            ],
            paymentRows,
          )
        : h('p', { class: 'empty' }, 'No payments recorded.'),
    ),
    h(
      'section',
      { 'aria-labelledby': 'case-tasks' },
      h('h2', { id: 'case-tasks' }, 'Follow-up tasks'),
      taskRows.length > 0
        ? table(
            `Follow-up tasks of case ${c.reference}`,
            ['Task', 'Status', { label: 'Amount owed', num: true }, 'Due', 'Reminders', 'Created', 'Completed'],
            taskRows,
          )
        : h('p', { class: 'empty' }, 'No follow-up tasks.'),
    ),
    h(
      'section',
      { 'aria-labelledby': 'case-audit' },
      h('h2', { id: 'case-audit' }, 'Audit trail'),
      auditRows.length > 0
        ? table(`Audit trail of case ${c.reference}, oldest first`, ['When', 'Event', 'By', 'Changes'], auditRows)
        : h('p', { class: 'empty' }, 'Nothing recorded yet.'),
    ),
    h(
      'section',
      { 'aria-labelledby': 'case-timeline' },
      h('h2', { id: 'case-timeline' }, 'Timeline'),
      h('ol', { class: 'plain timeline', 'aria-label': `Timeline of case ${c.reference}, oldest first` }, timelineItems),
    ),
  );
}

function showInlineError(anchor, error) {
  const old = anchor.parentElement.querySelector('.inline-error');
  if (old) old.remove();
  anchor.after(h('p', { class: 'error inline-error', role: 'alert' }, error.message));
}

async function owedView() {
  const [cases, tasks] = await Promise.all([allCases(), api('/tasks')]);
  const owed = [];
  await eachLimited(cases, 4, async (c) => {
    references.set(c.id, c.reference);
    for (const p of await api(`/cases/${c.id}/payments`)) {
      if (p.paymentRecipient === 'Creditor' && p.commissionPaymentStatus === 'Unpaid') owed.push({ c, p });
    }
  });
  owed.sort((a, b) => a.p.date.localeCompare(b.p.date) || a.c.reference.localeCompare(b.c.reference));
  const tasksOf = new Map();
  for (const t of tasks) tasksOf.set(t.paymentId, [...(tasksOf.get(t.paymentId) ?? []), t]);

  // Totals per currency, in thousandths (no currency has more than 3 digits), kept current as commissions are settled.
  const totals = new Map();
  const add = (p, sign) => {
    const next = (totals.get(p.currency) ?? 0) + sign * Math.round(p.payoutCollectionPartner * 1000);
    if (next === 0) totals.delete(p.currency);
    else totals.set(p.currency, next);
  };
  for (const { p } of owed) add(p, 1);
  const totalList = h('dl', { class: 'summary totals' });
  const showTotals = () =>
    totalList.replaceChildren(
      ...(totals.size === 0
        ? [h('div', {}, h('dt', {}, 'Total owed'), h('dd', {}, 'Nothing'))]
        : [...totals].map(([currency, thousandths]) =>
            h('div', {}, h('dt', {}, `Total owed in ${currency}`), h('dd', {}, money(thousandths / 1000, currency))),
          )),
    );
  showTotals();

  const rows = owed.map(({ c, p }) => {
    const followUp = cell(taskSummary(tasksOf.get(p.id)));
    const action = cell(null);
    const commission = cell('Unpaid');
    const label = `on case ${c.reference}, payment of ${dayText(p.date)}`;
    action.append(
      settleButton(label, async (event) => {
        const button = event.currentTarget;
        button.disabled = true;
        try {
          await settleCommission(c.id, p.id);
          commission.textContent = 'Paid';
          add(p, -1);
          showTotals();
          const done = h('span', { class: 'done', tabindex: '-1' }, 'Commission marked paid');
          button.replaceWith(done);
          done.focus();
          announce(`Commission of ${money(p.payoutCollectionPartner, p.currency)} on case ${c.reference} marked paid.`);
          void followTask(c.id, p.id, followUp);
        } catch (e) {
          button.disabled = false;
          showInlineError(button, e);
        }
      }),
    );
    return h(
      'tr',
      { 'data-payment-id': p.id },
      h('th', { scope: 'row' }, caseLink(c.id, c.reference), c.isTestCase ? h('span', { class: 'badge' }, 'Test') : null),
      cell(day(p.date)),
      cell(ageInDays(p.date)),
      cell(money(p.payoutCollectionPartner, p.currency), true),
      commission,
      followUp,
      action,
    );
  });

  const intro = h(
    'p',
    {},
    'Payments the debtor made to the creditor directly, where the creditor has not yet paid your commission. Mark a commission paid once the creditor has settled it: its follow-up stops.',
  );
  if (rows.length === 0) return page('Amounts owed', intro, h('p', { class: 'empty' }, 'Nothing is owed to you. Every commission is paid.'));
  return page(
    'Amounts owed',
    intro,
    totalList,
    table(
      `Unpaid commission on ${rows.length} ${rows.length === 1 ? 'payment' : 'payments'}, oldest first`,
      ['Case', 'Payment date', 'Age', { label: 'Amount owed', num: true }, 'Commission', 'Follow-up', 'Action'],
      rows,
    ),
  );
}

/** After a settlement, the follow-up completes asynchronously: watch it for a while and show it. */
async function followTask(caseId, paymentId, target) {
  for (let i = 0; i < 30 && target.isConnected; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    try {
      const tasks = (await api(`/tasks?caseId=${caseId}`)).filter((t) => t.paymentId === paymentId);
      target.replaceChildren(taskSummary(tasks));
      if (!tasks.some((t) => t.status === 'Open')) return;
    } catch {
      return;
    }
  }
}

async function tasksView(params) {
  const statuses = ['Open', 'Escalated', 'Completed', 'Cancelled'];
  const status = params.has('status') ? (statuses.includes(params.get('status')) ? params.get('status') : '') : 'Open';
  const tasks = await api(`/tasks${status ? `?status=${status}` : ''}`);
  await referencesOf(tasks.map((t) => t.caseId));
  tasks.sort((a, b) => (a.dueAt || '').localeCompare(b.dueAt || ''));
  const select = h(
    'select',
    { id: 'filter-task-status', name: 'status' },
    [...statuses.map((s) => [s, s]), ['', 'All statuses']].map(([value, label]) => h('option', { value, selected: value === status }, label)),
  );
  const filters = h(
    'form',
    {
      class: 'filters',
      'aria-label': 'Filter tasks',
      onsubmit: (event) => {
        event.preventDefault();
        location.hash = `#/tasks?${new URLSearchParams({ status: select.value })}`;
      },
    },
    h('div', { class: 'field' }, h('label', { for: 'filter-task-status' }, 'Status'), select),
    h('button', { type: 'submit' }, 'Apply filter'),
  );
  const now = Date.now();
  const rows = tasks.map((t) =>
    h(
      'tr',
      { 'data-task-id': t.id },
      h('th', { scope: 'row' }, words(t.type)),
      cell(h('span', { class: `task-${t.status.toLowerCase()}` }, t.status)),
      cell(caseLink(t.caseId)),
      cell(money(t.amountOwed, t.currency), true),
      cell([day(t.dueAt), t.status === 'Open' && Date.parse(t.dueAt) < now ? h('span', { class: 'badge warn' }, 'Overdue') : null]),
      cell(String(t.reminderCount)),
      cell(stamp(t.createdAt)),
    ),
  );
  return page(
    'Tasks',
    h(
      'p',
      {},
      'Invoice the client for your commission, then chase the client if it stays unpaid. Tasks complete by themselves when you mark the commission paid.',
    ),
    filters,
    rows.length > 0
      ? table(
          `${status ? `${status} tasks` : 'All tasks'}, soonest due first`,
          ['Task', 'Status', 'Case', { label: 'Amount owed', num: true }, 'Due', 'Reminders', 'Created'],
          rows,
        )
      : h('p', { class: 'empty' }, status ? `No ${status.toLowerCase()} tasks.` : 'No tasks.'),
  );
}

async function mailView() {
  const emails = await api('/mail?limit=50');
  await referencesOf(emails.map((e) => e.caseId));
  const items = emails.map((e) =>
    h(
      'li',
      {},
      h(
        'article',
        { class: 'mail card', 'aria-labelledby': `mail-${e.id}` },
        h('h2', { id: `mail-${e.id}` }, e.subject || '(no subject)'),
        h(
          'dl',
          { class: 'summary' },
          [
            ['To', e.to],
            ['Kind', words(e.kind)],
            ['Case', caseLink(e.caseId)],
            ['Created', stamp(e.createdAt)],
            ['Sent', e.sentAt ? stamp(e.sentAt) : `Not sent yet (${e.attempts} ${e.attempts === 1 ? 'attempt' : 'attempts'})`],
            e.lastError ? ['Last error', e.lastError] : null,
          ]
            .filter(Boolean)
            .map(([k, v]) => h('div', {}, h('dt', {}, k), h('dd', {}, v))),
        ),
        h('pre', { class: 'mail-text' }, e.text),
      ),
    ),
  );
  return page(
    'Sent mail',
    h('p', {}, 'The follow-up emails sent to your office address, newest first (the last 50).'),
    items.length > 0 ? h('ol', { class: 'mails plain' }, items) : h('p', { class: 'empty' }, 'No mail has been sent to you yet.'),
  );
}

// ---------------------------------------------------------------- routing

const ROUTES = [
  { pattern: /^#\/cases\/([0-9a-fA-F-]{36})$/, nav: 'cases', view: (m) => caseView(m[1]) },
  { pattern: /^#\/cases(?:\?(.*))?$/, nav: 'cases', view: (m) => casesView(new URLSearchParams(m[1] ?? '')) },
  { pattern: /^#\/owed$/, nav: 'owed', view: () => owedView() },
  { pattern: /^#\/tasks(?:\?(.*))?$/, nav: 'tasks', view: (m) => tasksView(new URLSearchParams(m[1] ?? '')) },
  { pattern: /^#\/mail$/, nav: 'mail', view: () => mailView() },
];

let sequence = 0;

function show(view, focus) {
  main.replaceChildren(view.node);
  main.removeAttribute('aria-busy');
  document.title = `${view.title} · Partner Portal`;
  if (focus) main.querySelector('h1')?.focus();
}

function chrome(signedIn, current) {
  document.getElementById('nav').hidden = !signedIn;
  document.getElementById('account').hidden = !signedIn;
  let me = null;
  try {
    me = JSON.parse(sessionStorage.getItem(ME) ?? 'null');
  } catch {
    me = null;
  }
  document.getElementById('company').textContent = me?.companyName ?? '';
  for (const a of document.querySelectorAll('#nav a')) {
    if (a.dataset.view === current) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

function signOut(message) {
  sessionStorage.removeItem(KEY);
  sessionStorage.removeItem(ME);
  references.clear();
  chrome(false);
  show(signInView(message), true);
  if (!message) announce('Signed out.');
}

async function render(focus = true) {
  const seq = ++sequence;
  if (!sessionStorage.getItem(KEY)) {
    chrome(false);
    show(signInView(), focus);
    return;
  }
  const hash = location.hash || '#/cases';
  const route = ROUTES.find((r) => r.pattern.test(hash));
  if (!route) {
    location.replace('#/cases');
    return;
  }
  chrome(true, route.nav);
  main.setAttribute('aria-busy', 'true');
  try {
    const view = await route.view(hash.match(route.pattern));
    if (seq === sequence) show(view, focus);
  } catch (e) {
    if (seq !== sequence) return;
    if (e.status === 401) return signOut(e.message);
    const retry = h('button', { type: 'button', onclick: () => void render() }, 'Try again');
    show(page('Something went wrong', h('p', { class: 'error', role: 'alert' }, e.message ?? String(e)), retry), focus);
  }
}

document.getElementById('sign-out').addEventListener('click', () => signOut());
window.addEventListener('hashchange', () => void render());
void render(false);
