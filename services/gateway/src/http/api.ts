// The REST contract (SPEC.md) as data: every operation the gateway serves with its request fields and
// response shapes. The route handlers read their bodies and queries through these declarations, and
// GET /openapi.json is generated from them; a served route without an entry here stops the gateway
// at start (./openapi, assertDocumented).
import {
  CLOSE_CODE_NAMES,
  COMMISSION_STATUSES,
  ENGAGEMENT_PHASES,
  ERROR_TYPES,
  LIFECYCLES,
  PAYMENT_RECIPIENTS,
  TASK_STATUSES,
  WEBHOOK_EVENTS,
  type ErrorType,
} from '@pp/domain';
import { anyCaseBody, Reader, t, type JsonSchema, type Shape } from './schema';
import { INVOICE_CSV_COLUMNS } from './invoices';
import { ACTOR_TYPES } from './timeline';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export type Auth = 'partner' | 'admin' | 'public';

export interface ResponseSpec {
  readonly description: string;
  /** JSON body; absent for a response without body */
  readonly schema?: JsonSchema;
  /** another content type than application/json, with its schema */
  readonly content?: { readonly type: string; readonly schema: JsonSchema };
  readonly headers?: Readonly<Record<string, { readonly description: string; readonly schema: JsonSchema }>>;
}

type NoFields = Record<never, never>;

export interface OperationSpec<B extends Shape = NoFields, Q extends Shape = NoFields> {
  readonly method: Method;
  /** the route as Fastify has it: /cases/:id */
  readonly path: string;
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  readonly tag: string;
  readonly auth: Auth;
  readonly body?: B;
  /** JSON Schema of the rules across body fields that the handler checks in code (combined with allOf) */
  readonly bodyRules?: readonly JsonSchema[];
  /** a missing or null body counts as {} */
  readonly bodyOptional?: boolean;
  readonly query?: Q;
  /** the query answers 400 at its first bad parameter (otherwise every bad field is listed) */
  readonly queryFailFast?: boolean;
  /** descriptions of the path parameters (each one a UUID) */
  readonly params?: Readonly<Record<string, string>>;
  /** takes an Idempotency-Key (SPEC §4.2) */
  readonly idempotent?: boolean;
  readonly responses: Readonly<Record<number, ResponseSpec>>;
}

export interface Operation<B extends Shape = NoFields, Q extends Shape = NoFields> extends OperationSpec<B, Q> {
  readBody(raw: unknown): Reader<B>;
  readQuery(raw: unknown): Reader<Q>;
}

/** The body shape of an operation. */
export type BodyOf<O> = O extends Operation<infer B, Shape> ? B : never;

const OPERATIONS: Operation<Shape, Shape>[] = [];

function op<B extends Shape = NoFields, Q extends Shape = NoFields>(spec: OperationSpec<B, Q>): Operation<B, Q> {
  const operation: Operation<B, Q> = {
    ...spec,
    readBody: (raw) => {
      const duplicates: string[] = [];
      const reader = new Reader(spec.body ?? ({} as B), anyCaseBody(spec.body ?? {}, spec.bodyOptional ? (raw ?? {}) : raw, duplicates));
      for (const path of duplicates) reader.fields.problem(path, 'is sent in two spellings (property names are case-insensitive)');
      return reader;
    },
    readQuery: (raw) => new Reader(spec.query ?? ({} as Q), raw, { failFast: spec.queryFailFast === true }),
  };
  OPERATIONS.push(operation as unknown as Operation<Shape, Shape>);
  return operation;
}

/** Every documented operation, in the order of the document. */
export function operations(): readonly Operation<Shape, Shape>[] {
  return OPERATIONS;
}

// ---- response shapes (components.schemas)

const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });
const nullable = (schema: JsonSchema): JsonSchema =>
  typeof schema.type === 'string'
    ? { ...schema, type: [schema.type, 'null'], ...(Array.isArray(schema.enum) ? { enum: [...(schema.enum as unknown[]), null] } : {}) }
    : { oneOf: [schema, { type: 'null' }] };
const str = (description?: string): JsonSchema => ({ type: 'string', ...(description ? { description } : {}) });
const uuid = (description?: string): JsonSchema => ({ type: 'string', format: 'uuid', ...(description ? { description } : {}) });
const timestamp = (description = 'ISO 8601 UTC timestamp'): JsonSchema => ({ type: 'string', format: 'date-time', description });
/** A calendar date in an answer: RFC 3339 midnight UTC (SPEC §1), as the original's document declares it. */
const calendarDate = (description = 'Calendar date, as RFC 3339 midnight UTC: 2024-05-10T00:00:00Z'): JsonSchema => ({
  type: 'string',
  format: 'date-time',
  pattern: '^\\d{4}-\\d{2}-\\d{2}T00:00:00Z$',
  description,
});
const money = (description = 'Major units of the currency (1250.5 = 1,250.50)'): JsonSchema => ({ type: 'number', description });
const int = (description?: string): JsonSchema => ({ type: 'integer', ...(description ? { description } : {}) });
const bool = (description?: string): JsonSchema => ({ type: 'boolean', ...(description ? { description } : {}) });
const oneOfValues = (values: readonly string[], description?: string): JsonSchema => ({
  type: 'string',
  enum: [...values],
  ...(description ? { description } : {}),
});
const arrayOf = (items: JsonSchema, description?: string): JsonSchema => ({ type: 'array', items, ...(description ? { description } : {}) });
/** A field of the original API that has no meaning here (or that the platform does not record): always null. */
const unknownHere = (description = 'Not recorded by the platform: always null'): JsonSchema => ({ type: 'null', description });
/** An object whose every listed property is always present. */
const obj = (properties: Record<string, JsonSchema>, description?: string): JsonSchema => ({
  type: 'object',
  ...(description ? { description } : {}),
  properties,
  required: Object.keys(properties),
});

/** The services that consume messages and keep dead letters (the ledger and the gateway consume none). */
export const DEAD_LETTER_SERVICES = ['case-lifecycle', 'follow-up'] as const;
export const DEAD_LETTER_STATUSES = ['Parked', 'Resolved'] as const;
/** SPEC §10: the orders of GET /cases and GET /managed-cases. */
export const CASE_SORTS = ['dateCreated', '-dateCreated', 'dateUpdated', '-dateUpdated', 'remainder', '-remainder', 'reference', '-reference'] as const;
const AUDIT_TYPES = ['PaymentRecorded', 'PaymentUpdated', 'PaymentDeleted', 'CommissionSettled', 'CaseClosed', 'CaseReopened', 'FeesUpdated'] as const;
const TIMELINE_TYPES = ['CaseCreated', ...AUDIT_TYPES] as const;
// webhook-disabled: the notice of a subscription the platform disabled (issue 16), with no case or payment
const EMAIL_KINDS = ['invoice', 'chase', 'reminder', 'webhook-disabled'] as const;
const TASK_TYPES = ['InvoiceClient', 'ChaseClient'] as const;

const partnerProfile = {
  id: uuid(),
  companyName: str(),
  officeEmail: { type: 'string', format: 'email' },
  preLegalRevenueShare: {
    type: 'number',
    minimum: 0,
    maximum: 1,
    description: "The platform's share of the partner's commission on pre-legal cases (0.4 = 40 %)",
  },
  legalRevenueShare: { type: 'number', minimum: 0, maximum: 1, description: "The platform's share of the partner's commission on legal cases" },
};

const webhookProperties = {
  id: uuid(),
  url: { type: 'string', format: 'uri' },
  events: arrayOf(oneOfValues(WEBHOOK_EVENTS)),
  isActive: bool(),
  isTestMode: bool('Receives the events of test cases only (otherwise production events only)'),
  createdUtc: timestamp(),
  updatedUtc: timestamp(),
  disabledReason: nullable(str('Why the platform disabled the subscription (a 410 answer, or too many failed events)')),
};

const invoiceProperties = {
  id: uuid(),
  partnerId: uuid(),
  currency: { type: 'string', pattern: '^[A-Z]{3}$', description: 'ISO 4217' },
  totalPlatformFee: money('The sum of the platformFee of its payouts'),
  payoutCount: int(),
  createdAt: timestamp('When the invoicing run that made it committed'),
};

const eventBase = { caseId: uuid(), reference: str('The case reference'), sequence: int('Per-case event counter, to order the events of a case') };

export const SCHEMAS = {
  ErrorBody: {
    type: 'object',
    description: 'The error body of every 4xx and 5xx answer except 401 and 403. `error` and `message` repeat the first entry.',
    properties: {
      businessErrors: arrayOf(
        obj({ type: oneOfValues(ERROR_TYPES), message: str(), field: nullable(str('The offending field on validation errors')) }),
        'One entry per problem',
      ),
      error: oneOfValues(ERROR_TYPES),
      message: str(),
      errorId: str('On 5xx only: the id under which the server logged the failure'),
    },
    required: ['businessErrors', 'error', 'message'],
  },
  Problem: {
    ...obj({ type: oneOfValues(['Unauthorized', 'Forbidden']), title: str(), status: { type: 'integer', enum: [401, 403] }, detail: str() }),
    description: 'RFC 9457 problem details: a missing or unknown key (401), a partner key on the operator API (403).',
  },
  RateLimited: obj(
    { error: { type: 'string', const: 'rate_limit_exceeded' }, message: str(), retryAfter: int('Seconds to wait, as in the Retry-After header') },
    'The per-key rate limit (RATE_LIMIT_PER_MINUTE) is exceeded.',
  ),
  Partner: obj(partnerProfile, 'A collection partner'),
  PartnerCreated: obj({ ...partnerProfile, apiKey: str('The partner API key (header XApiKey), shown this once: only its hash is stored') }),
  PartnerAccount: obj(
    {
      ...partnerProfile,
      active: bool('false: deactivated; its keys answer 401, its data stays'),
      createdAt: timestamp(),
      updatedAt: timestamp(),
    },
    'A collection partner as the operator sees it',
  ),
  PartnerPage: obj({ page: ref('PageInfo'), partners: arrayOf(ref('PartnerAccount')) }),
  ApiKey: obj(
    {
      id: uuid('The key id (not the key)'),
      prefix: nullable(str('The first characters of the key, to tell keys apart; null for keys made before keys were listed')),
      createdAt: timestamp(),
      lastUsedAt: nullable(timestamp('When the key last authenticated, to within about 10 seconds; null when never')),
    },
    'A live API key of a partner; the key itself is never shown again',
  ),
  ApiKeyCreated: obj({
    id: uuid('The key id (not the key)'),
    prefix: str('The first characters of the key'),
    createdAt: timestamp(),
    lastUsedAt: { type: 'null' },
    apiKey: str('The API key (header XApiKey), shown this once: only its hash is stored'),
  }),
  OperatorAuditEntry: obj(
    {
      id: uuid(),
      at: timestamp('When the write was received'),
      operatorKeyId: str('Which operator key made it: a fingerprint of ADMIN_API_KEY (op_ and 12 hex digits), never the key'),
      operation: str('The operationId of the write (createPartner, updatePartner, …)'),
      method: str(),
      path: str('The path as requested, without the query'),
      targetId: nullable(uuid('The partner, case, key, invoice or dead letter written, when there is one')),
      request: nullable(str('The JSON body as sent, cut to 4 KiB')),
      status: nullable(int('The answer; null while running, or when the process stopped before answering')),
      completedAt: nullable(timestamp()),
    },
    'One write to the operator API',
  ),
  OperatorAuditPage: obj({ page: ref('PageInfo'), entries: arrayOf(ref('OperatorAuditEntry')) }),
  PageInfo: obj({ totalResults: int(), pageSize: int(), currentPage: int(), responseCount: int(), totalPages: int() }, 'The page object of SPEC §1'),
  // issue 16: the lists that answer a whole array unless Page or PageSize is sent
  PaymentPage: obj({ page: ref('PageInfo'), payments: arrayOf(ref('Payment'), 'date descending, then creation descending, then id') }),
  CaseAuditPage: obj({ page: ref('PageInfo'), entries: arrayOf(ref('AuditEntry'), 'Oldest first') }),
  TaskPage: obj({ page: ref('PageInfo'), tasks: arrayOf(ref('Task'), 'Newest first (createdAt descending, then id)') }),
  WebhookDeliveryPage: obj({ page: ref('PageInfo'), events: arrayOf(ref('WebhookDelivery'), 'Newest first (createdAt descending, then id)') }),
  Creditor: obj({
    id: uuid('The creditor of this case, assigned by the platform'),
    companyName: nullable(str()),
    officeEmail: nullable(str()),
    companyRegistrationNumber: unknownHere(),
    officePhone: unknownHere(),
    address: unknownHere(),
    city: unknownHere(),
    zipCode: unknownHere(),
    state: unknownHere(),
    country: unknownHere(),
    division: unknownHere('Creditor divisions do not exist here'),
  }),
  Debtor: obj({
    id: uuid('As given at creation (debtor.id), else assigned by the platform'),
    type: nullable(oneOfValues(['Company', 'Person'])),
    name: nullable(str()),
    contactPerson: unknownHere(),
    companyRegistrationNumber: unknownHere(),
    address: unknownHere(),
    zipCode: unknownHere(),
    city: unknownHere(),
    state: unknownHere(),
    stateAlpha2: unknownHere(),
    countryAlpha2: unknownHere(),
    country: unknownHere(),
    email: unknownHere(),
    phone: unknownHere(),
  }),
  CollectionPartner: obj(
    {
      id: uuid('The partner (GET /me)'),
      name: str("The partner's company name"),
      officeEmail: nullable(str()),
      officePhone: unknownHere(),
      publicSite: unknownHere(),
      surveyCadenceMode: unknownHere('Surveys do not exist here'),
    },
    'The collection partner the case is assigned to: the caller',
  ),
  Case: obj(
    {
      id: uuid(),
      reference: { type: 'string', pattern: '^[A-Z0-9]{8}$', description: 'Unique case reference, 8 characters [A-Z0-9]' },
      isTestCase: bool(),
      lifecycle: oneOfValues(LIFECYCLES),
      closeCode: nullable(oneOfValues(CLOSE_CODE_NAMES, 'Set only when the lifecycle is Closed')),
      currency: { type: 'string', pattern: '^[A-Z]{3}$', description: 'ISO 4217' },
      grossAmount: money(),
      interestFees: money(),
      reminderFees: money(),
      collectionFees: money(),
      totalAddedFees: money('interestFees + reminderFees + collectionFees'),
      totalPayments: money(),
      remainder: money('grossAmount + totalAddedFees − totalPayments; negative when overpaid'),
      preLegalSuccessFee: { type: 'number', minimum: 0, maximum: 100, description: "The partner's success fee in percent (20.5 = 20.5 %)" },
      currentEngagementPhase: oneOfValues(ENGAGEMENT_PHASES),
      creditorReference: nullable(str()),
      creditor: ref('Creditor'),
      debtor: ref('Debtor'),
      collectionPartner: ref('CollectionPartner'),
      date: nullable(calendarDate("The claim's issue date as given at creation, as RFC 3339 midnight UTC; null when not given")),
      dueDate: nullable(calendarDate("The claim's due date as given at creation, as RFC 3339 midnight UTC; null when not given")),
      dateCreated: timestamp(),
      dateUpdated: timestamp(),
      dateFinished: nullable(timestamp('When the case closed; null unless Closed')),
      dateCollectionStarted: timestamp('Collection starts when the case is created (cases start Active): dateCreated'),
      creditorComments: unknownHere(),
      claimDescription: unknownHere(),
      claimType: unknownHere(),
      creditorDivisionId: unknownHere('Creditor divisions do not exist here'),
      bankAccount: unknownHere("Payouts to the creditor are the partner's: the platform holds no bank accounts"),
      blendedAgeUpliftPoints: unknownHere('The success fee does not depend on the age of the claim'),
      solutionUrl: unknownHere('No contracts to sign here'),
      signingHandoff: unknownHere('No contracts to sign here'),
      exclusivePeriodEndDate: unknownHere('No exclusive collection periods here'),
      disputeStatus: unknownHere(),
      validation: unknownHere('No case validation here'),
      assignedUser: unknownHere('The API knows no individual users'),
      allocationOutstanding: unknownHere('Payments are not allocated to buckets here'),
    },
    'A debt-collection case. Fields of the original API that have no meaning here are always null.',
  ),
  CasePage: obj({
    page: obj({ totalResults: int(), pageSize: int(), currentPage: int(), responseCount: int(), totalPages: int() }),
    cases: arrayOf(ref('Case')),
  }),
  CloseResult: obj({
    caseReference: str(),
    closeCode: oneOfValues(CLOSE_CODE_NAMES),
    closeCodeDescription: str(),
    comment: nullable(str()),
    closedAt: timestamp(),
    closedBy: obj({ userId: { type: 'null', description: 'The API knows no individual users' }, userName: str("The partner's company name") }),
    finalOutstandingAmount: money(),
    totalPayments: money(),
    totalRecovered: money(),
  }),
  AuditEntry: obj(
    {
      id: uuid(),
      type: oneOfValues(AUDIT_TYPES),
      paymentId: nullable(uuid()),
      before: nullable({ type: 'object', description: 'The payment or case values before the change' }),
      after: nullable({ type: 'object', description: 'The payment or case values after the change' }),
      actor: str(),
      at: timestamp(),
    },
    'An append-only audit entry',
  ),
  Payment: obj(
    {
      id: uuid(),
      date: calendarDate(),
      paymentAmount: money(),
      grossAmount: money('Same value as paymentAmount'),
      currency: str('The case currency'),
      paymentRecipient: oneOfValues(PAYMENT_RECIPIENTS),
      recipient: oneOfValues(PAYMENT_RECIPIENTS, 'Same value as paymentRecipient'),
      method: { type: 'null', description: 'No payment method is recorded' },
      commissionPaymentStatus: oneOfValues(COMMISSION_STATUSES),
      payoutCreditor: money(),
      payoutCollectionPartner: money(),
      platformFee: money("The platform's revenue share of payoutCollectionPartner"),
      invoice: obj(
        { invoiceId: uuid('The case id'), reference: str('The case reference'), status: oneOfValues(LIFECYCLES, 'The case lifecycle') },
        'The case the payment belongs to',
      ),
      invoiced: bool('An invoicing run took the payout: the payment is frozen'),
      platformInvoiceId: nullable(uuid('The revenue-share invoice; null until an invoicing run took the payout')),
      dateCreated: timestamp(),
      dateUpdated: timestamp(),
    },
    'A payment of a case',
  ),
  PaymentRecorded: obj({
    paymentId: uuid(),
    caseReference: str(),
    date: calendarDate(),
    paymentAmount: money(),
    payoutCreditor: money(),
    payoutCollectionPartner: money(),
    platformFee: money(),
    paymentRecipient: oneOfValues(PAYMENT_RECIPIENTS),
    commissionPaymentStatus: oneOfValues(COMMISSION_STATUSES),
    closeCase: bool('As sent'),
    caseClosed: bool('The payment closed the case as Paid'),
    closeCode: nullable(oneOfValues(CLOSE_CODE_NAMES)),
    remainingAmount: money('The case remainder after this payment'),
    warnings: arrayOf(str(), 'Advisory only; empty when there is nothing to flag'),
  }),
  ManagedPaymentRecorded: obj(
    {
      paymentId: uuid(),
      caseReference: str(),
      date: calendarDate(),
      paymentAmount: money(),
      caseClosed: bool('The payment closed the case as Paid'),
      remainingAmount: money('The case remainder after this payment'),
    },
    'A payment recorded on a managed test case (the whole amount to the creditor)',
  ),
  InvoicingRun: obj({
    invoicedPayouts: int('Payouts invoiced by this run'),
    invoices: arrayOf(
      obj({ id: uuid(), partnerId: uuid(), currency: str(), totalPlatformFee: money(), payoutCount: int() }),
      'One revenue-share invoice per partner and currency',
    ),
  }),
  Invoice: obj(invoiceProperties, "A revenue-share invoice: the platform fees of one partner's payouts in one currency, made by one invoicing run"),
  InvoicePage: obj({
    page: obj({ totalResults: int(), pageSize: int(), currentPage: int(), responseCount: int(), totalPages: int() }),
    invoices: arrayOf(ref('Invoice'), 'Newest first: createdAt descending, then id descending (the invoices of one run share createdAt)'),
  }),
  InvoicePayout: obj(
    {
      paymentId: uuid(),
      caseId: uuid(),
      caseReference: str('The case reference'),
      date: calendarDate("The payment's date"),
      currency: str("The invoice's currency (the case currency)"),
      paymentAmount: money(),
      payoutCreditor: money(),
      payoutCollectionPartner: money(),
      platformFee: money("The platform's revenue share of payoutCollectionPartner: what the invoice charges for this payout"),
    },
    'A payout on an invoice, with the payment it is the split of',
  ),
  InvoiceWithPayouts: obj(
    { ...invoiceProperties, payouts: arrayOf(ref('InvoicePayout'), 'By payment date, then payment id') },
    'A revenue-share invoice with its payouts',
  ),
  Task: obj({
    id: uuid(),
    type: oneOfValues(TASK_TYPES),
    status: oneOfValues(TASK_STATUSES),
    caseId: uuid(),
    paymentId: uuid(),
    amountOwed: money('The commission owed (payoutCollectionPartner)'),
    currency: str(),
    dueAt: timestamp(),
    reminderCount: int('ChaseClient: reminder emails sent after the chase email'),
    createdAt: timestamp(),
    completedAt: nullable(timestamp()),
  }),
  Email: obj({
    id: uuid(),
    kind: oneOfValues(EMAIL_KINDS),
    to: str(),
    subject: str(),
    text: str(),
    caseId: nullable(uuid()),
    paymentId: nullable(uuid()),
    createdAt: timestamp(),
    sentAt: nullable(timestamp()),
    attempts: int(),
    lastError: nullable(str()),
  }),
  Webhook: obj(webhookProperties, 'A webhook subscription'),
  WebhookWithSecret: obj(
    {
      ...webhookProperties,
      secret: { type: 'string', pattern: '^whsec_', description: 'whsec_ + base64 of the signing key; shown only on creation and regeneration' },
    },
    'A webhook subscription with its signing secret',
  ),
  WebhookAttempt: obj(
    {
      attempt: int('1 for the first attempt; a replay starts again at 1'),
      at: timestamp('When the attempt ended'),
      responseCode: nullable(int('The HTTP status the receiver answered')),
      error: nullable(str('Why the attempt failed (a connection error, a timeout, or HTTP <status>); null when it was delivered')),
      durationMs: int('From connecting to the end of the answer'),
      replay: bool('Made for a replay (POST /webhooks/events/{id}/replay)'),
      responseBodyExcerpt: nullable(str("The start of the receiver's answer (at most 1 KiB)")),
    },
    'One attempt to deliver an event',
  ),
  WebhookDelivery: obj({
    id: uuid(),
    subscriptionId: uuid(),
    caseId: uuid(),
    eventType: oneOfValues(WEBHOOK_EVENTS),
    payload: str('The delivered envelope (WebhookEnvelope) as a JSON string'),
    createdAt: timestamp(),
    deliveredAt: nullable(timestamp()),
    attemptCount: int(),
    lastResponseCode: nullable(int()),
    lastError: nullable(str()),
  }),
  ReplayResult: obj({ eventId: uuid(), subscriptionId: uuid(), eventType: oneOfValues(WEBHOOK_EVENTS) }),
  FireWebhookResult: obj({
    eventType: oneOfValues(WEBHOOK_EVENTS, 'The event type that was fired'),
    caseId: uuid('The test case the event was built from'),
    enqueuedCount: int('Deliveries queued, one per receiving subscription; 0 when no active test-mode subscription of the caller takes this event'),
  }),
  AdvanceResult: obj({
    advanced: bool('false when the case was already in that state'),
    state: str('Active, Paused, Closed:Paid, Closed:NoPayment or Closed:<closeCode>'),
  }),
  DeadLetter: obj(
    {
      id: uuid(),
      service: oneOfValues(DEAD_LETTER_SERVICES, 'The service whose consumer parked the message (it keeps the message in its own schema)'),
      groupId: str('The consumer group'),
      topic: str(),
      partition: int(),
      offset: str('The Kafka offset (a 64-bit integer, as a string)'),
      key: str(),
      value: str('The message as received'),
      headers: { type: 'object', additionalProperties: { type: 'string' }, description: 'The message headers' },
      error: str('The last failure: `Name: message`'),
      attempts: int('How often the handler ran on the message: the bounded attempts (CONSUMER_MAX_ATTEMPTS), then one per retry'),
      firstFailedAt: timestamp(),
      lastFailedAt: timestamp(),
      status: oneOfValues(DEAD_LETTER_STATUSES, 'Parked until a retry succeeds, then Resolved'),
      resolvedAt: nullable(timestamp('When a retry succeeded')),
    },
    "A message a consumer's handler kept failing on, parked so that it does not block its partition",
  ),
  Health: obj({ status: { type: 'string', const: 'ok' } }),
  Readiness: obj({ status: oneOfValues(['ready', 'not-ready']), checks: obj({ database: bool(), ledger: bool(), caseLifecycle: bool(), followUp: bool() }) }),
  WebhookEnvelope: obj({
    id: uuid('The delivery id; also the webhook-id header, the same on every retry'),
    specVersion: { type: 'string', const: '1.0' },
    event: oneOfValues(WEBHOOK_EVENTS),
    timestamp: timestamp(),
    classification: oneOfValues(['production', 'test']),
    data: {
      type: 'object',
      description: 'The event data (CaseUpdatedData, CaseClosedData, PaymentEventData or PaymentDeletedData); always carries `sequence`',
      required: ['caseId', 'reference', 'sequence'],
    },
  }),
  CaseUpdatedData: obj({ ...eventBase, oldLifecycle: oneOfValues(LIFECYCLES), newLifecycle: oneOfValues(LIFECYCLES), remainder: money() }),
  CaseClosedData: obj({ ...eventBase, closeCode: oneOfValues(CLOSE_CODE_NAMES), comment: nullable(str()), remainder: money() }),
  PaymentEventData: obj({ ...eventBase, payment: ref('Payment') }),
  PaymentDeletedData: obj({ ...eventBase, paymentId: uuid(), paymentAmount: money() }),
  CaseFees: obj(
    {
      caseId: uuid(),
      grossAmount: money('The principal after the update'),
      interestFees: money(),
      reminderFees: money(),
      collectionFees: money(),
      totalAddedFees: money('interestFees + reminderFees + collectionFees'),
      recalculatedSuccessFee: {
        type: 'number',
        minimum: 0,
        maximum: 100,
        description: "The case's success fee in percent, as preLegalSuccessFee: it does not depend on the amounts, so it is unchanged",
      },
      remainder: money('grossAmount + totalAddedFees − totalPayments after the update; negative when overpaid'),
    },
    'The amounts of a case after a fee change',
  ),
  TimelineItem: obj(
    {
      date: timestamp('When it happened'),
      type: oneOfValues(TIMELINE_TYPES, 'CaseCreated, or the type of the audit entry it shows'),
      title: str(),
      description: str('What happened, as a sentence; amounts as the API shows money, with the currency (300 EUR)'),
      actor: obj({ type: oneOfValues(ACTOR_TYPES), name: nullable(str("The partner's company name; null for the system")) }, 'Who did it'),
    },
    'One event in the history of a case',
  ),
  CaseTimeline: obj(
    {
      items: arrayOf(ref('TimelineItem'), 'Oldest first: the creation, then every audit entry once'),
      currentEngagementPhase: nullable(oneOfValues(ENGAGEMENT_PHASES)),
    },
    'The readable history of a case',
  ),
  // ---- what the partner is owed (issue 16)
  OwedCommission: obj(
    {
      caseId: uuid(),
      caseReference: str('The case reference'),
      currency: str('The case currency'),
      amountOwed: money("The sum of the partner's unpaid commissions (payoutCollectionPartner) on the case"),
      paymentCount: int('How many payments the sum is made of'),
      oldestPaymentDate: calendarDate('The date of the oldest of those payments'),
      isTestCase: bool(),
    },
    "The partner's unpaid commissions on one case: payments the debtor made to the creditor (paymentRecipient Creditor) whose commission is still Unpaid",
  ),
  OwedTotal: obj(
    {
      currency: str(),
      amountOwed: money('The sum over every case in this currency (all pages)'),
      paymentCount: int(),
      caseCount: int(),
    },
    'What is owed in one currency, over all pages',
  ),
  OwedCommissionPage: obj({
    page: ref('PageInfo'),
    owed: arrayOf(ref('OwedCommission'), 'By case reference, then currency'),
    totals: arrayOf(ref('OwedTotal'), 'One per currency, by currency code'),
  }),
} satisfies Record<string, JsonSchema>;

// ---- response helpers

const json = (description: string, schema: JsonSchema, headers?: ResponseSpec['headers']): ResponseSpec => ({
  description,
  schema,
  ...(headers ? { headers } : {}),
});
const noContent = (description: string): ResponseSpec => ({ description });

/** An error answer: the ErrorBody with `error` one of `types`. */
function failure(types: readonly ErrorType[], description: string, headers?: ResponseSpec['headers']): ResponseSpec {
  return {
    description: `${types.join(', ')}: ${description}`,
    schema: { allOf: [ref('ErrorBody'), { type: 'object', properties: { error: { enum: [...types] } } }] },
    ...(headers ? { headers } : {}),
  };
}

export const HEADERS = {
  // issue 16: on every answer of the gateway, whatever its status
  requestId: {
    description:
      "The id of this request in the gateway's log lines (and of a 5xx's errorId line): the caller's x-request-id when it is 1–128 visible ASCII characters, else a UUID the gateway made",
    schema: { type: 'string', minLength: 1, maxLength: 128 },
  },
  retryAfter: { description: 'Seconds to wait before retrying', schema: { type: 'integer', minimum: 0 } },
  replayed: {
    description: '`true` when this is the stored answer to an earlier request with the same Idempotency-Key',
    schema: { type: 'string', enum: ['true'] },
  },
  // draft-ietf-httpapi-ratelimit-headers: on every answer to a request with a known key
  rateLimitLimit: {
    description: "The key's requests per window (RATE_LIMIT_PER_MINUTE), across every gateway replica",
    schema: { type: 'integer', minimum: 1 },
  },
  rateLimitRemaining: { description: 'Requests left in the current window', schema: { type: 'integer', minimum: 0 } },
  rateLimitReset: { description: 'Seconds until the current window ends and the budget is full again', schema: { type: 'integer', minimum: 1 } },
  rateLimitPolicy: { description: 'The policy: `<limit>;w=60` (limit requests per 60-second window)', schema: { type: 'string' } },
};

const caseNotFound = failure(['CaseNotFound'], 'No such case, or not yours (an id that is no UUID answers the same).');
const paymentNotFound = failure(['PaymentNotFound'], 'No such payment (deleted, of another case, or not yours).');
const idempotencyAnswers = {
  409: failure(['IdempotencyKeyInUse'], 'A request with this Idempotency-Key is still running; retry after Retry-After. (Also CaseClosed on a closed case.)', {
    'Retry-After': HEADERS.retryAfter,
  }),
  422: failure(['IdempotencyConflict'], 'The Idempotency-Key was used with another body or path.'),
};
const replayedHeader = { 'Idempotency-Replayed': HEADERS.replayed };

// ---- shared request fields

const debtor = (required: boolean) =>
  t.object(
    {
      type: t.oneOf(['Company', 'Person'] as const, { required: true }),
      name: t.string({ required: true, max: 200 }),
      id: t.uuid({
        description: "The debtor's id in your system; the platform assigns one when absent. Cases of one debtor share it (GET /cases?DebtorIds=).",
      }),
    },
    { required, description: 'The debtor' },
  );
const caseMoney = {
  interestFees: t.money({ default: 0 }),
  reminderFees: t.money({ default: 0 }),
  collectionFees: t.money({ default: 0 }),
};
const caseDetails = {
  currentEngagementPhase: t.oneOf(ENGAGEMENT_PHASES, { default: 'Pre-legal' }),
  creditorReference: t.string({ max: 200 }),
  dueDate: t.date({ description: "The claim's due date; the case answers it as RFC 3339 midnight UTC (null when not given)." }),
};
const split = {
  payoutCreditor: t.money({
    description: 'Explicit split: sent together with payoutCollectionPartner (both or neither); the two sum to paymentAmount within 0.01.',
  }),
  payoutCollectionPartner: t.money({ description: 'Explicit split: sent together with payoutCreditor (both or neither).' }),
};
const PAYOUTS_TOGETHER: JsonSchema = { dependentRequired: { payoutCreditor: ['payoutCollectionPartner'], payoutCollectionPartner: ['payoutCreditor'] } };
const caseIdParam = { id: 'The case id' };
const paymentParams = { id: 'The case id', paymentId: 'The payment id' };
const SPLIT_RULES =
  'Without payouts, payoutCollectionPartner = round_half_up(paymentAmount × successFee / 100) in minor units and the creditor gets the rest; platformFee = round_half_up(payoutCollectionPartner × revenue share of the case phase). Rules checked after the fields: payoutCreditor and payoutCollectionPartner both or neither; amounts with the digits of the case currency.';

// ---- the operations (SPEC §2–§8)

export const createPartner = op({
  method: 'POST',
  path: '/admin/partners',
  operationId: 'createPartner',
  tag: 'Operator',
  auth: 'admin',
  summary: 'Create a collection partner and its API key',
  description: 'The API key in the answer is shown this once; only its hash is stored.',
  body: {
    companyName: t.string({ required: true, max: 200 }),
    officeEmail: t.email({ required: true, description: 'Where follow-up emails go' }),
    preLegalRevenueShare: t.rate({
      unit: 1,
      max: 1,
      default: 0.4,
      invalid: 'must be a fraction between 0 and 1 with at most 6 decimals',
      description: "The platform's share of the commission on pre-legal cases.",
    }),
    legalRevenueShare: t.rate({
      unit: 1,
      max: 1,
      default: 0.2,
      invalid: 'must be a fraction between 0 and 1 with at most 6 decimals',
      description: "The platform's share of the commission on legal cases.",
    }),
  },
  responses: { 201: json('The partner, with its API key', ref('PartnerCreated')) },
});

export const createCase = op({
  method: 'POST',
  path: '/admin/cases',
  operationId: 'createCase',
  tag: 'Operator',
  auth: 'admin',
  summary: 'Create a case for a partner',
  description:
    'The case starts Active. partnerId and currency are checked first; the amounts are then checked against the currency digits. An unknown partnerId → 400 ValidationError on partnerId.',
  body: {
    partnerId: t.uuid({ required: true }),
    currency: t.currency({ required: true }),
    grossAmount: t.money({ required: true, positive: true, description: 'The debt to recover.' }),
    ...caseMoney,
    successFee: t.rate({
      unit: 100,
      max: 100,
      required: true,
      invalid: 'at most 4 decimals',
      description: "The partner's success fee in percent (20.5 = 20.5 %).",
    }),
    isTestCase: t.boolean(false),
    ...caseDetails,
    date: t.date({ description: "The claim's issue date; the case answers it as RFC 3339 midnight UTC (null when not given)." }),
    creditor: t.object({ companyName: t.string({ max: 200 }), officeEmail: t.email() }),
    debtor: debtor(false),
  },
  responses: { 201: json('The case', ref('Case')) },
});

export const runInvoicing = op({
  method: 'POST',
  path: '/admin/invoicing-runs',
  operationId: 'runInvoicing',
  tag: 'Operator',
  auth: 'admin',
  summary: 'Invoice the platform revenue share of every payout not invoiced yet',
  description:
    'One revenue-share invoice per partner and currency; invoiced payments are frozen (edits and deletes answer 422 PaymentInvoiced). Running it again invoices only new payouts. The body may be empty.',
  body: { partnerId: t.uuid({ description: 'Only this partner; all partners when absent.' }) },
  bodyOptional: true,
  responses: { 200: json('The run', ref('InvoicingRun')) },
});

/** Page and PageSize of a paginated list (SPEC §1): cases, partners, invoices, the operator audit log. */
const pageQuery = {
  Page: t.query.int({ min: 1, max: 1_000_000, default: 1, digits: 9, aliases: ['page'], description: 'Page number, from 1.' }),
  PageSize: t.query.int({ min: 1, max: 100, default: 10, digits: 9, aliases: ['pageSize'] }),
};

// ---- optional pagination (issue 16): GET /cases/{id}/payments, /cases/{id}/audit, /tasks, /webhooks/events

/** Without Page and PageSize these lists answer the array they always did; with either, one page object. */
const OPTIONAL_PAGES =
  'Optional pagination: with Page or PageSize (or both) the answer is one page of SPEC §1, `{"page": {…}, "<items>": […]}`, in the same order (the database pages it, a unique key breaking ties, so no item shows on two pages); without both, the array of every item, as before.';
/** The 200 of such a list: the array, or the page object `page` (a components schema) when paginated. */
const listOrPage = (description: string, items: JsonSchema, page: string, headers?: ResponseSpec['headers']): ResponseSpec =>
  json(`${description}: the array, or one page of it with Page or PageSize`, { oneOf: [items, ref(page)] }, headers);
/** GET /webhooks/events without a page answers at most this many deliveries, the newest (as before issue 16, but no longer silently). */
export const UNPAGED_EVENTS_MAX = 1000;
export const TOTAL_COUNT_HEADER = {
  description: 'How many deliveries match; more than the answer holds when the unpaginated list was cut at 1000 (then Link tells the next page)',
  schema: { type: 'integer', minimum: 0 },
};
export const NEXT_LINK_HEADER = {
  description: 'Only when the unpaginated list was cut at 1000: `<…/webhooks/events?…&Page=11&PageSize=100>; rel="next"`, the page after the 1000 answered',
  schema: { type: 'string' },
};

const partnerParam = { id: 'The partner id' };
const partnerNotFound = failure(['PartnerNotFound'], 'No such partner (an id that is no UUID answers the same).');
const keyNotFound = failure(['NotFound'], 'No such live key of this partner (revoked already, of another partner, or an id that is no UUID).');

export const listPartners = op({
  method: 'GET',
  path: '/admin/partners',
  operationId: 'listPartners',
  tag: 'Operator',
  auth: 'admin',
  summary: 'Every partner, oldest first, paginated',
  query: pageQuery,
  queryFailFast: true,
  responses: { 200: json('One page of partners', ref('PartnerPage')) },
});

export const getPartner = op({
  method: 'GET',
  path: '/admin/partners/:id',
  operationId: 'getPartner',
  tag: 'Operator',
  auth: 'admin',
  summary: 'One partner',
  params: partnerParam,
  responses: { 200: json('The partner', ref('PartnerAccount')), 404: partnerNotFound },
});

export const updatePartner = op({
  method: 'PATCH',
  path: '/admin/partners/:id',
  operationId: 'updatePartner',
  tag: 'Operator',
  auth: 'admin',
  summary: 'Change a partner, or deactivate it',
  description:
    'Only the fields sent change. Revenue shares apply to cases created afterwards (a case keeps the shares it was created with). active false deactivates the partner: every key of it answers 401 at once, in every gateway replica; its cases, payments and invoices stay. active true lets its live keys in again.',
  params: partnerParam,
  body: {
    companyName: t.string({ min: 1, max: 200 }),
    officeEmail: t.email({ description: 'Where follow-up emails go' }),
    preLegalRevenueShare: t.rate({ unit: 1, max: 1, invalid: 'must be a fraction between 0 and 1 with at most 6 decimals' }),
    legalRevenueShare: t.rate({ unit: 1, max: 1, invalid: 'must be a fraction between 0 and 1 with at most 6 decimals' }),
    active: t.boolean(undefined, { description: 'false deactivates the partner, true reactivates it' }),
  },
  bodyOptional: true,
  responses: { 200: json('The partner after the change', ref('PartnerAccount')), 404: partnerNotFound },
});

export const listPartnerKeys = op({
  method: 'GET',
  path: '/admin/partners/:id/keys',
  operationId: 'listPartnerKeys',
  tag: 'Operator',
  auth: 'admin',
  summary: "A partner's live API keys (never the keys themselves)",
  params: partnerParam,
  responses: { 200: json('The live keys, oldest first', arrayOf(ref('ApiKey'))), 404: partnerNotFound },
});

export const createPartnerKey = op({
  method: 'POST',
  path: '/admin/partners/:id/keys',
  operationId: 'createPartnerKey',
  tag: 'Operator',
  auth: 'admin',
  summary: 'Give a partner another API key',
  description: 'Rotation with overlap: create the new key, move the integration over (both keys work), then revoke the old one. The body is ignored.',
  params: partnerParam,
  responses: { 201: json('The new key, shown this once', ref('ApiKeyCreated')), 404: partnerNotFound },
});

export const revokePartnerKey = op({
  method: 'DELETE',
  path: '/admin/partners/:id/keys/:keyId',
  operationId: 'revokePartnerKey',
  tag: 'Operator',
  auth: 'admin',
  summary: "Revoke one of a partner's keys, at once",
  params: { id: 'The partner id', keyId: 'The key id' },
  responses: { 204: noContent('Revoked: the key answers 401 from now on, in every gateway replica'), 404: keyNotFound },
});

export const listOperatorAudit = op({
  method: 'GET',
  path: '/admin/audit',
  operationId: 'listOperatorAudit',
  tag: 'Operator',
  auth: 'admin',
  summary: 'Every write to the operator API, newest first, paginated',
  description:
    'Each POST, PATCH, PUT and DELETE under /admin is recorded before it runs (who, what, when) and completed with its answer. A write the process did not finish shows status null.',
  query: { ...pageQuery, targetId: t.query.uuid({ description: 'Only the writes to this partner, case, key, invoice or dead letter' }) },
  queryFailFast: true,
  responses: { 200: json('One page of the audit log', ref('OperatorAuditPage')) },
});

export const listDeadLetters = op({
  method: 'GET',
  path: '/admin/dead-letters',
  operationId: 'listDeadLetters',
  tag: 'Operator',
  auth: 'admin',
  summary: 'Messages the consumers parked after their bounded attempts, newest first',
  description:
    "A message a consumer's handler keeps failing on is retried CONSUMER_MAX_ATTEMPTS times with a short, growing pause, then parked in its service's dead_letters table and skipped, so that it does not block its partition. Failures of a dependency (the database, a service) are not counted: the message is redelivered until the dependency is back. Each service is asked for at most `limit` rows; the merged list is cut to `limit`.",
  query: {
    service: t.query.oneOf(DEAD_LETTER_SERVICES, { description: 'Only the dead letters of this service (both when absent)' }),
    status: t.query.oneOf(DEAD_LETTER_STATUSES, { description: 'Only Parked or only Resolved ones (both when absent)' }),
    limit: t.query.int({ min: 1, max: 500, default: 100, digits: 3 }),
  },
  queryFailFast: true,
  responses: {
    200: json('The dead letters', arrayOf(ref('DeadLetter'))),
    503: failure(['ServiceUnavailable'], 'A service holding dead letters is unavailable.'),
  },
});

export const retryDeadLetter = op({
  method: 'POST',
  path: '/admin/dead-letters/:id/retry',
  operationId: 'retryDeadLetter',
  tag: 'Operator',
  auth: 'admin',
  summary: "Run the consumer's handler again on a parked message",
  description:
    'On success the dead letter is marked Resolved; on failure it stays Parked with the new error and one more attempt. Either way the answer is 200 with its state. A Resolved one is answered as it is. The body is ignored.',
  params: { id: 'The dead letter id' },
  responses: {
    200: json('The dead letter after the retry', ref('DeadLetter')),
    404: failure(['NotFound'], 'No such dead letter (an id that is no UUID answers the same).'),
    503: failure(['ServiceUnavailable'], 'A service holding dead letters, or a dependency of the handler, is unavailable; nothing was recorded.'),
  },
});

// ---- the invoices of earlier invoicing runs (issue 15)

const invoiceIdParam = { id: 'The invoice id (from POST /admin/invoicing-runs or GET /admin/invoices)' };
const invoiceNotFound = failure(['InvoiceNotFound'], 'No such invoice (an id that is no UUID answers the same).');

export const listInvoices = op({
  method: 'GET',
  path: '/admin/invoices',
  operationId: 'listInvoices',
  tag: 'Operator',
  auth: 'admin',
  summary: 'The revenue-share invoices of earlier invoicing runs, paginated, newest first',
  description:
    'Newest first; the invoices of one run share createdAt and follow each other by id, descending. A PartnerId of no partner is no error: it has no invoices.',
  query: {
    PartnerId: t.uuid({ aliases: ['partnerId'], description: 'Only the invoices of this partner.' }),
    Currency: t.currency({ aliases: ['currency'], description: 'Only the invoices in this currency.' }),
    ...pageQuery,
  },
  queryFailFast: true,
  responses: { 200: json('One page of invoices', ref('InvoicePage')) },
});

export const getInvoice = op({
  method: 'GET',
  path: '/admin/invoices/:id',
  operationId: 'getInvoice',
  tag: 'Operator',
  auth: 'admin',
  summary: 'One invoice with its payouts',
  description: 'The payouts the run put on the invoice, each with its payment (id, case, date, amount) and the platform fee charged for it.',
  params: invoiceIdParam,
  responses: { 200: json('The invoice with its payouts', ref('InvoiceWithPayouts')), 404: invoiceNotFound },
});

export const getInvoiceCsv = op({
  method: 'GET',
  path: '/admin/invoices/:id/csv',
  operationId: 'getInvoiceCsv',
  tag: 'Operator',
  auth: 'admin',
  summary: 'One invoice as a CSV file, a row per payout',
  description: `RFC 4180 (comma-separated, CRLF line ends, fields quoted when they hold a comma, a quote or a line end), UTF-8. A header row, then one row per payout in the order of GET /admin/invoices/{id}. Columns: ${INVOICE_CSV_COLUMNS.join(', ')}. Amounts are decimal numbers in major units with exactly the digits of the currency (EUR 12.50, JPY 1250, KWD 1.125); dates are YYYY-MM-DD. A text value that a spreadsheet would read as a formula (one starting with =, +, -, @, a tab or a carriage return) is written with a leading apostrophe.`,
  params: invoiceIdParam,
  responses: {
    200: {
      description: 'The invoice as a CSV file',
      content: { type: 'text/csv', schema: { type: 'string' } },
      headers: { 'Content-Disposition': { description: 'attachment; filename="invoice-{id}.csv"', schema: { type: 'string' } } },
    },
    404: invoiceNotFound,
  },
});

/** The query of a case list, GET /cases and GET /managed-cases alike. */
const caseListQuery = {
  Statuses: t.query.list(LIFECYCLES, { label: 'lifecycle', aliases: ['statuses'], description: 'Only cases in these lifecycles.' }),
  ...pageQuery,
  Ids: t.query.uuids({ max: 100, aliases: ['ids'], description: 'Only these cases (at most 100 ids).' }),
  DebtorIds: t.query.uuids({ max: 100, aliases: ['debtorIds'], description: 'Only the cases of these debtors (debtor.id; at most 100 ids).' }),
  Sort: t.query.oneOf(CASE_SORTS, {
    aliases: ['sort'],
    description: 'The order: a field, descending with a leading minus. Default -dateCreated (newest first); ties are broken by id.',
  }),
};

export const listCases = op({
  method: 'GET',
  path: '/cases',
  operationId: 'listCases',
  tag: 'Cases',
  auth: 'partner',
  summary: "The caller's cases, paginated",
  query: {
    ...caseListQuery,
    includeTestCases: t.query.boolean({ aliases: ['IncludeTestCases'], description: 'Test cases are hidden unless true.' }),
  },
  queryFailFast: true,
  responses: { 200: json('One page of cases', ref('CasePage')) },
});

export const getCase = op({
  method: 'GET',
  path: '/cases/:id',
  operationId: 'getCase',
  tag: 'Cases',
  auth: 'partner',
  summary: 'One case (test cases too)',
  params: caseIdParam,
  responses: { 200: json('The case', ref('Case')), 404: caseNotFound },
});

export const listManagedCases = op({
  method: 'GET',
  path: '/managed-cases',
  operationId: 'listManagedCases',
  tag: 'Test cases',
  auth: 'partner',
  summary: 'The cases the caller created with POST /managed-cases, paginated, newest first',
  query: caseListQuery,
  queryFailFast: true,
  responses: { 200: json('One page of cases', ref('CasePage')) },
});

export const getManagedCase = op({
  method: 'GET',
  path: '/managed-cases/:id',
  operationId: 'getManagedCase',
  tag: 'Test cases',
  auth: 'partner',
  summary: 'One case the caller created with POST /managed-cases',
  params: caseIdParam,
  responses: { 200: json('The case', ref('Case')), 404: failure(['CaseNotFound'], 'No case you created has that id.') },
});

export const getManagedCaseByReference = op({
  method: 'GET',
  path: '/managed-cases/case-reference/:caseReference',
  operationId: 'getManagedCaseByReference',
  tag: 'Test cases',
  auth: 'partner',
  summary: 'One case the caller created with POST /managed-cases, by its reference',
  params: { caseReference: 'The case reference (caseReference of the case)' },
  responses: { 200: json('The case', ref('Case')), 404: failure(['CaseNotFound'], 'No case you created has that reference.') },
});

export const getCaseByReference = op({
  method: 'GET',
  path: '/cases/case-reference/:caseReference',
  operationId: 'getCaseByReference',
  tag: 'Cases',
  auth: 'partner',
  summary: 'One case by the reference printed on its letters (test cases too)',
  params: { caseReference: 'The case reference (caseReference of the case)' },
  responses: { 200: json('The case', ref('Case')), 404: failure(['CaseNotFound'], 'No case of yours has that reference.') },
});

export const getAudit = op({
  method: 'GET',
  path: '/cases/:id/audit',
  operationId: 'getCaseAudit',
  tag: 'Cases',
  auth: 'partner',
  summary: 'The append-only audit trail of a case',
  description: OPTIONAL_PAGES,
  params: caseIdParam,
  query: pageQuery,
  queryFailFast: true,
  responses: { 200: listOrPage('Oldest first', arrayOf(ref('AuditEntry')), 'CaseAuditPage'), 404: caseNotFound },
});

export const updateFees = op({
  method: 'PUT',
  path: '/cases/:id/fees',
  operationId: 'updateCaseFees',
  tag: 'Cases',
  auth: 'partner',
  summary: 'Change the principal and the added fees of a case',
  description:
    'Each amount given (≥ 0, with the digits of the case currency) replaces the current one; an omitted or null one is kept. totalAddedFees and the remainder follow, at once for the close rules and every read. The audit trail gets a FeesUpdated entry with the old and new values; no webhook is sent (the lifecycle does not change). The success fee does not depend on the amounts, so confirmPriceChange and keepIntentionalRate are accepted and change nothing.',
  params: caseIdParam,
  body: {
    grossAmount: t.money({ description: 'The principal.' }),
    interestFees: t.money(),
    reminderFees: t.money(),
    collectionFees: t.money(),
    confirmPriceChange: t.boolean(false, { description: 'Accepted; changes nothing (the success fee does not depend on the amounts).' }),
    keepIntentionalRate: t.boolean(false, { description: 'Accepted; changes nothing.' }),
  },
  responses: {
    200: json('The amounts after the change', ref('CaseFees')),
    400: failure(['ValidationError', 'CaseClosed'], 'A bad field, or the case is closed (nothing changed).'),
    404: caseNotFound,
  },
});

export const getTimeline = op({
  method: 'GET',
  path: '/cases/:id/timeline',
  operationId: 'getCaseTimeline',
  tag: 'Cases',
  auth: 'partner',
  summary: 'The history of a case, readable',
  description:
    'The case creation, then every payment recorded, corrected or deleted, fee change, close, reopen and commission settlement, each once, oldest first: the audit trail as sentences.',
  params: caseIdParam,
  responses: { 200: json('Oldest first', ref('CaseTimeline')), 404: caseNotFound },
});

export const closeCase = op({
  method: 'POST',
  path: '/cases/:id/close',
  operationId: 'closeCase',
  tag: 'Cases',
  auth: 'partner',
  summary: 'Close a case with a close code',
  description: 'Paid needs ≥ 1 payment and remainder ≤ 0; PartiallyPaid needs ≥ 1 payment and remainder > 0; the other codes need nothing.',
  params: caseIdParam,
  body: {
    closeCode: t.oneOf(CLOSE_CODE_NAMES, { required: true }),
    comment: t.string({ max: 2000 }),
  },
  responses: {
    200: json('The case is closed', ref('CloseResult')),
    400: failure(['ValidationError', 'CloseCodeNotAllowed'], 'A bad field, or the close code is not allowed for the balance.'),
    404: caseNotFound,
    409: failure(['CaseAlreadyClosed'], 'The case is already closed.'),
  },
});

const updatePaymentBody = {
  date: t.date({ required: true }),
  paymentAmount: t.money({ required: true, positive: true }),
  ...split,
  paymentRecipient: t.oneOf(['Creditor', 'CollectionPartner'] as const, { required: true }),
  commissionPaymentStatus: t.oneOf(COMMISSION_STATUSES),
  reopenCaseIfNeeded: t.boolean(false),
};
const paymentListQuery = {
  dateFrom: t.query.date(),
  dateTo: t.query.date(),
  minAmount: t.query.amount(),
  maxAmount: t.query.amount(),
  ...pageQuery,
};
const reopenQuery = {
  reopenCaseIfNeeded: t.query.boolean({ description: 'Consent to reopen a case closed as Paid that the delete leaves with remainder > 0.' }),
};

/** What refuses a payment record after its body was read: a closed case, or its Idempotency-Key. */
const recordRefusals = {
  409: failure(
    ['CaseClosed', 'IdempotencyKeyInUse'],
    'The case is closed; or a request with this Idempotency-Key is still running (retry after Retry-After).',
    { 'Retry-After': HEADERS.retryAfter },
  ),
  422: idempotencyAnswers[422],
};

export const recordPayment = op({
  method: 'POST',
  path: '/cases/:id/payments',
  operationId: 'recordPayment',
  tag: 'Payments',
  auth: 'partner',
  summary: 'Record a payment and split it',
  description: `${SPLIT_RULES} commissionPaymentStatus is required when paymentRecipient is Creditor, else ignored and set to Paid. closeCase closes the case as Paid only when this payment brings the remainder to ≤ 0 (otherwise the payment is recorded and the case stays open).`,
  params: caseIdParam,
  idempotent: true,
  body: {
    date: t.date({ required: true }),
    paymentAmount: t.money({ required: true, positive: true }),
    ...split,
    paymentRecipient: t.oneOf(PAYMENT_RECIPIENTS, {
      required: true,
      description: 'CollectionPartner: the debtor paid the partner; Creditor: the debtor paid the creditor directly; Platform: paid through the platform.',
    }),
    commissionPaymentStatus: t.oneOf(COMMISSION_STATUSES, { description: 'Required when paymentRecipient is Creditor; otherwise ignored (Paid).' }),
    closeCase: t.boolean(false),
    createUnpaidCommissionFollowUp: t.boolean(true, {
      description: 'Start the unpaid-commission follow-up for a Creditor + Unpaid payment on a production case.',
    }),
  },
  bodyRules: [
    PAYOUTS_TOGETHER,
    {
      if: { type: 'object', properties: { paymentRecipient: { const: 'Creditor' } }, required: ['paymentRecipient'] },
      then: { required: ['commissionPaymentStatus'] },
    },
  ],
  responses: {
    200: json('The payment is recorded', ref('PaymentRecorded'), replayedHeader),
    404: caseNotFound,
    ...recordRefusals,
  },
});

export const listPayments = op({
  method: 'GET',
  path: '/cases/:id/payments',
  operationId: 'listPayments',
  tag: 'Payments',
  auth: 'partner',
  summary: 'The live payments of a case, newest first',
  description: OPTIONAL_PAGES,
  params: caseIdParam,
  query: paymentListQuery,
  responses: { 200: listOrPage('date descending, then creation descending', arrayOf(ref('Payment')), 'PaymentPage'), 404: caseNotFound },
});

// ---- amounts owed and CSV exports of a partner's money (issue 16)

/** The columns of GET /payments/export, in order. */
export const PAYMENT_CSV_COLUMNS = [
  'paymentId',
  'caseId',
  'caseReference',
  'isTestCase',
  'date',
  'currency',
  'paymentAmount',
  'paymentRecipient',
  'commissionPaymentStatus',
  'payoutCreditor',
  'payoutCollectionPartner',
  'platformFee',
  'invoiced',
  'platformInvoiceId',
  'dateCreated',
  'dateUpdated',
] as const;
/** The columns of GET /commissions/owed/export, in order. */
export const OWED_CSV_COLUMNS = ['caseId', 'caseReference', 'isTestCase', 'currency', 'amountOwed', 'paymentCount', 'oldestPaymentDate'] as const;
const CSV_FORMAT =
  'RFC 4180 (comma-separated, CRLF line ends, fields quoted when they hold a comma, a quote or a line end), UTF-8, a header row first. Amounts are decimal numbers in major units with exactly the digits of the currency (EUR 12.50, JPY 1250, KWD 1.125); dates are YYYY-MM-DD. A text value that a spreadsheet would read as a formula (one starting with =, +, -, @, a tab or a carriage return) is written with a leading apostrophe. The rows are streamed as they are read, a bounded page at a time, so an export of any size holds little memory; a failure after the first rows ends the body early (the last line then lacks its CRLF).';
const OWED_RULE =
  "Owed: the partner's commission (payoutCollectionPartner) on a live payment the debtor made to the creditor directly (paymentRecipient Creditor) whose commissionPaymentStatus is Unpaid (SPEC §4.1, §5); it leaves this list once settled (POST /cases/{id}/payments/{paymentId}/commission), deleted, or edited so that nothing is owed. A commission of 0 owes nothing and is left out.";
const includeTestCasesQuery = { includeTestCases: t.query.boolean({ aliases: ['IncludeTestCases'], description: 'Test cases are left out unless true.' }) };
const csvFile = (description: string, filename: string): ResponseSpec => ({
  description,
  content: { type: 'text/csv', schema: { type: 'string' } },
  headers: { 'Content-Disposition': { description: `attachment; filename="${filename}"`, schema: { type: 'string' } } },
});

export const listOwedCommissions = op({
  method: 'GET',
  path: '/commissions/owed',
  operationId: 'listOwedCommissions',
  tag: 'Payments',
  auth: 'partner',
  summary: 'What the caller is owed: its unpaid commissions summed per case and currency, paginated',
  description: `${OWED_RULE} One row per case and currency, by case reference; \`totals\` sums every page per currency. Computed by the server in one query per page.`,
  query: { ...pageQuery, ...includeTestCasesQuery },
  queryFailFast: true,
  responses: { 200: json('One page of amounts owed, with the totals per currency', ref('OwedCommissionPage')) },
});

export const exportOwedCommissions = op({
  method: 'GET',
  path: '/commissions/owed/export',
  operationId: 'exportOwedCommissions',
  tag: 'Payments',
  auth: 'partner',
  summary: 'Every amount owed to the caller as a CSV file, a row per case and currency',
  description: `${OWED_RULE} The rows of every page of GET /commissions/owed, in its order. Columns: ${OWED_CSV_COLUMNS.join(', ')}. ${CSV_FORMAT}`,
  query: includeTestCasesQuery,
  queryFailFast: true,
  responses: { 200: csvFile('The amounts owed as a CSV file', 'commissions-owed.csv') },
});

export const exportPayments = op({
  method: 'GET',
  path: '/payments/export',
  operationId: 'exportPayments',
  tag: 'Payments',
  auth: 'partner',
  summary: "The caller's live payments of a date range, across its cases, as a CSV file",
  description: `Every live payment of the caller's cases dated from dateFrom to dateTo (both inclusive; an absent bound is open), oldest first (date, then payment id). Columns: ${PAYMENT_CSV_COLUMNS.join(', ')}; the values are those of GET /cases/{id}/payments. ${CSV_FORMAT}`,
  query: {
    dateFrom: t.query.date({ description: 'The first payment date included (YYYY-MM-DD or an ISO date-time, cut to its date).' }),
    dateTo: t.query.date({ description: 'The last payment date included; not before dateFrom.' }),
    ...includeTestCasesQuery,
  },
  queryFailFast: true,
  responses: { 200: csvFile('The payments as a CSV file', 'payments-{dateFrom}-{dateTo}.csv') },
});

const correctionAnswers = {
  404: paymentNotFound,
  409: failure(
    ['ReopenConsentRequired'],
    'The correction would leave a case closed as Paid with remainder > 0; send reopenCaseIfNeeded to consent. Nothing changed.',
  ),
  422: failure(['PaymentInvoiced'], 'An invoicing run took the payout; nothing changed.'),
};

export const updatePayment = op({
  method: 'PUT',
  path: '/cases/:id/payments/:paymentId',
  operationId: 'updatePayment',
  tag: 'Payments',
  auth: 'partner',
  summary: 'Correct a payment',
  description: `${SPLIT_RULES} Without payouts the split is recomputed. With reopenCaseIfNeeded a case closed as Paid that the correction leaves with remainder > 0 goes back to Active.`,
  params: paymentParams,
  body: updatePaymentBody,
  bodyRules: [PAYOUTS_TOGETHER],
  responses: { 200: json('The corrected payment', ref('Payment')), ...correctionAnswers },
});

export const deletePayment = op({
  method: 'DELETE',
  path: '/cases/:id/payments/:paymentId',
  operationId: 'deletePayment',
  tag: 'Payments',
  auth: 'partner',
  summary: 'Delete a payment (its payout goes with it)',
  description: 'The audit trail keeps a PaymentDeleted entry with the deleted values. A second delete → 404.',
  params: paymentParams,
  query: reopenQuery,
  queryFailFast: true,
  responses: { 204: noContent('Deleted'), ...correctionAnswers },
});

export const settleCommission = op({
  method: 'POST',
  path: '/cases/:id/payments/:paymentId/commission',
  operationId: 'settleCommission',
  tag: 'Payments',
  auth: 'partner',
  summary: "Mark the partner's commission on a Creditor payment as paid",
  description:
    'Completes the unpaid-commission follow-up and writes CommissionSettled to the audit trail; repeating it is a no-op. Only for paymentRecipient Creditor (else 400 ValidationError).',
  params: paymentParams,
  body: { status: t.oneOf(['Paid'] as const, { required: true }) },
  responses: { 200: json('The payment', ref('Payment')), 404: paymentNotFound },
});

export const createTestCase = op({
  method: 'POST',
  path: '/managed-cases',
  operationId: 'createTestCase',
  tag: 'Test cases',
  auth: 'partner',
  summary: 'Create a test case assigned to the caller',
  description:
    'Partners create test cases only: isTest must be true. isTest, currencyCode, date, creditorCompanyName, tag and the presence of debtor are checked first; then the amounts (with the digits of currencyCode) and the rest. amountToRecover becomes the grossAmount, currencyCode the currency.',
  idempotent: true,
  body: {
    isTest: t.boolean(false, { documentRequired: true, schema: { const: true, default: undefined }, description: 'Must be true.' }),
    currencyCode: t.currency({ required: true }),
    date: t.date({ required: true }),
    creditorCompanyName: t.string({ required: true, max: 200 }),
    tag: t.string({ max: 100, description: 'A label for deleting test cases in bulk (DELETE /test/cases?tag=).' }),
    debtor: debtor(true),
    amountToRecover: t.money({ required: true, positive: true }),
    ...caseMoney,
    successFee: t.rate({ unit: 100, max: 100, default: 20, invalid: 'at most 4 decimals', description: 'Success fee in percent.' }),
    ...caseDetails,
  },
  responses: { 200: json('The test case', ref('Case'), replayedHeader), ...idempotencyAnswers },
});

export const advanceTestCase = op({
  method: 'POST',
  path: '/test/cases/:id/advance',
  operationId: 'advanceTestCase',
  tag: 'Test cases',
  auth: 'partner',
  summary: 'Move a test case to a state',
  description:
    'Closed:Paid records a payment of `amount` (required; it must settle the balance) and closes as Paid; Closed:NoPayment closes with PreLegalExhaustedNoPayment. Already in that state → advanced: false. A production case → 400.',
  params: caseIdParam,
  body: {
    to: t.oneOf(['Active', 'Closed:Paid', 'Closed:NoPayment'] as const, { required: true }),
    amount: t.money({ positive: true, description: 'Required for Closed:Paid; in the case currency.' }),
  },
  bodyRules: [{ if: { type: 'object', properties: { to: { const: 'Closed:Paid' } }, required: ['to'] }, then: { required: ['amount'] } }],
  responses: { 200: json('The state', ref('AdvanceResult')), 404: caseNotFound },
});

export const deleteTestCase = op({
  method: 'DELETE',
  path: '/test/cases/:id',
  operationId: 'deleteTestCase',
  tag: 'Test cases',
  auth: 'partner',
  summary: 'Hard-delete a test case with everything attached',
  description: 'A production case is never deleted.',
  params: caseIdParam,
  responses: { 204: noContent('Deleted'), 404: caseNotFound },
});

export const deleteTestCases = op({
  method: 'DELETE',
  path: '/test/cases',
  operationId: 'deleteTestCasesByTag',
  tag: 'Test cases',
  auth: 'partner',
  summary: "Hard-delete the caller's test cases with a tag",
  query: { tag: t.string({ required: true, max: 100 }) },
  responses: { 204: noContent('Deleted (also when none had the tag)') },
});

// ---- payments on the caller's own test cases (SPEC §10)

const MANAGED_ONLY =
  'Only on a test case the caller created with POST /managed-cases; a production case of the caller answers 400 ValidationError and nothing is recorded.';
const productionCase = failure(['ValidationError'], 'A bad field, or a production case (payments here are for test cases only).');

export const listManagedPayments = op({
  method: 'GET',
  path: '/managed-cases/:id/payments',
  operationId: 'listManagedCasePayments',
  tag: 'Test cases',
  auth: 'partner',
  summary: 'The live payments of a managed test case, newest first',
  description: `As GET /cases/{id}/payments. ${MANAGED_ONLY} ${OPTIONAL_PAGES}`,
  params: caseIdParam,
  query: paymentListQuery,
  responses: {
    200: listOrPage('date descending, then creation descending', arrayOf(ref('Payment')), 'PaymentPage'),
    400: productionCase,
    404: caseNotFound,
  },
});

export const recordManagedPayment = op({
  method: 'POST',
  path: '/managed-cases/:id/payments',
  operationId: 'recordManagedCasePayment',
  tag: 'Test cases',
  auth: 'partner',
  summary: 'Record a payment on a managed test case: the whole amount to the creditor',
  description: `The payout is the whole amount to the creditor: payoutCollectionPartner 0, platformFee 0, paymentRecipient CollectionPartner. Otherwise as POST /cases/{id}/payments: Idempotency-Key, closeCase closes as Paid only when the remainder reaches ≤ 0, webhooks fire. ${MANAGED_ONLY}`,
  params: caseIdParam,
  idempotent: true,
  body: {
    date: t.date({ required: true }),
    paymentAmount: t.money({ required: true, positive: true }),
    closeCase: t.boolean(false),
  },
  responses: {
    200: json('The payment is recorded', ref('ManagedPaymentRecorded'), replayedHeader),
    400: productionCase,
    404: caseNotFound,
    ...recordRefusals,
  },
});

export const updateManagedPayment = op({
  method: 'PUT',
  path: '/managed-cases/:id/payments/:paymentId',
  operationId: 'updateManagedCasePayment',
  tag: 'Test cases',
  auth: 'partner',
  summary: 'Correct a payment on a managed test case',
  description: `As PUT /cases/{id}/payments/{paymentId}, except that without payouts the whole amount goes to the creditor again. ${MANAGED_ONLY}`,
  params: paymentParams,
  body: updatePaymentBody,
  bodyRules: [PAYOUTS_TOGETHER],
  responses: { 200: json('The corrected payment', ref('Payment')), 400: productionCase, ...correctionAnswers },
});

export const deleteManagedPayment = op({
  method: 'DELETE',
  path: '/managed-cases/:id/payments/:paymentId',
  operationId: 'deleteManagedCasePayment',
  tag: 'Test cases',
  auth: 'partner',
  summary: 'Delete a payment on a managed test case',
  description: `As DELETE /cases/{id}/payments/{paymentId}. ${MANAGED_ONLY}`,
  params: paymentParams,
  query: reopenQuery,
  queryFailFast: true,
  responses: { 204: noContent('Deleted'), 400: productionCase, ...correctionAnswers },
});

export const getMe = op({
  method: 'GET',
  path: '/me',
  operationId: 'getMe',
  tag: 'Partner',
  auth: 'partner',
  summary: "The caller's partner profile",
  responses: { 200: json('The partner', ref('Partner')) },
});

export const listMyKeys = op({
  method: 'GET',
  path: '/me/keys',
  operationId: 'listMyKeys',
  tag: 'Partner',
  auth: 'partner',
  summary: "The caller's live API keys (never the keys themselves)",
  responses: { 200: json('The live keys, oldest first', arrayOf(ref('ApiKey'))) },
});

export const createMyKey = op({
  method: 'POST',
  path: '/me/keys',
  operationId: 'createMyKey',
  tag: 'Partner',
  auth: 'partner',
  summary: 'Create another API key for the caller (rotation)',
  description: 'Rotate with overlap: create a new key, move over to it, then revoke the old one with the new key. The body is ignored.',
  responses: { 201: json('The new key, shown this once', ref('ApiKeyCreated')) },
});

export const revokeMyKey = op({
  method: 'DELETE',
  path: '/me/keys/:keyId',
  operationId: 'revokeMyKey',
  tag: 'Partner',
  auth: 'partner',
  summary: "Revoke one of the caller's keys, at once",
  description: 'The key of this request cannot revoke itself (400): revoke it with another key, so that the caller is never locked out.',
  params: { keyId: 'The key id' },
  responses: {
    204: noContent('Revoked: the key answers 401 from now on'),
    400: failure(['ValidationError'], 'The key of this request names itself.'),
    404: keyNotFound,
  },
});

export const listTasks = op({
  method: 'GET',
  path: '/tasks',
  operationId: 'listTasks',
  tag: 'Follow-up',
  auth: 'partner',
  summary: "The caller's unpaid-commission follow-up tasks, newest first",
  description: OPTIONAL_PAGES,
  query: { caseId: t.query.uuid(), status: t.query.oneOf(TASK_STATUSES), ...pageQuery },
  queryFailFast: true,
  responses: { 200: listOrPage('The tasks, newest first', arrayOf(ref('Task')), 'TaskPage') },
});

export const listMail = op({
  method: 'GET',
  path: '/mail',
  operationId: 'listMail',
  tag: 'Follow-up',
  auth: 'partner',
  summary: "The caller's sent follow-up mail, newest first",
  query: { limit: t.query.int({ min: 1, max: 500, default: 100, digits: 3 }) },
  queryFailFast: true,
  responses: { 200: json('The emails', arrayOf(ref('Email'))) },
});

export const createWebhook = op({
  method: 'POST',
  path: '/webhooks',
  operationId: 'createWebhook',
  tag: 'Webhooks',
  auth: 'partner',
  summary: 'Subscribe to events',
  description:
    'The URL must be https and resolve to public addresses (checked again at delivery, no redirects followed) unless WEBHOOK_ALLOW_INSECURE / WEBHOOK_ALLOW_PRIVATE allow otherwise. The secret is shown only here and on regeneration.',
  idempotent: true,
  body: {
    url: t.string({ required: true, max: 2048, schema: { format: 'uri' } }),
    events: t.listOf(WEBHOOK_EVENTS, { required: true }),
    isTestMode: t.boolean(false, { description: 'Receive the events of test cases (and only those).' }),
  },
  responses: { 201: json('The subscription with its secret', ref('WebhookWithSecret'), replayedHeader), ...idempotencyAnswers },
});

export const listWebhooks = op({
  method: 'GET',
  path: '/webhooks',
  operationId: 'listWebhooks',
  tag: 'Webhooks',
  auth: 'partner',
  summary: "The caller's subscriptions",
  responses: { 200: json('The subscriptions (no secrets)', arrayOf(ref('Webhook'))) },
});

export const listWebhookEvents = op({
  method: 'GET',
  path: '/webhooks/events',
  operationId: 'listWebhookDeliveries',
  tag: 'Webhooks',
  auth: 'partner',
  summary: 'The delivery log, newest first',
  description: `${OPTIONAL_PAGES} Without a page the array holds the newest ${UNPAGED_EVENTS_MAX} deliveries at most; X-Total-Count says how many match, and when there are more, Link (rel="next") gives the page that follows them.`,
  query: { caseId: t.uuid(), since: t.timestamp(), ...pageQuery },
  responses: {
    200: listOrPage('Deliveries, newest first', arrayOf(ref('WebhookDelivery')), 'WebhookDeliveryPage', {
      'X-Total-Count': TOTAL_COUNT_HEADER,
      Link: NEXT_LINK_HEADER,
    }),
  },
});

export const streamWebhookEvents = op({
  method: 'GET',
  path: '/webhooks/events/stream',
  operationId: 'streamWebhookEvents',
  tag: 'Webhooks',
  auth: 'partner',
  summary: "The caller's events as they happen (Server-Sent Events), without a public URL",
  description:
    "Every public event of the caller's cases (the webhook events, whether or not a subscription wants them), as `text/event-stream`: each message has `id` (its stream position), `event` (the event type) and `data` (the WebhookEnvelope a webhook would carry; its id is the event's). Test-case and production events are separate streams (isTestMode). A new stream starts at the current end; to resume after a disconnect, send the last id received as the `Last-Event-ID` header (EventSource does this by itself): nothing is skipped or repeated. Events appear in the order their transactions committed. A comment line every 15 s keeps the connection open. `npx pp-client listen` forwards the stream to a local URL, signed.",
  query: { isTestMode: t.query.boolean({ description: 'true: the events of test cases; otherwise those of production cases.' }) },
  queryFailFast: true,
  responses: {
    200: {
      description: 'The stream: `id: <position>`, `event: <type>`, `data: <WebhookEnvelope JSON>`, a blank line; `: keep-alive` comments',
      content: { type: 'text/event-stream', schema: { type: 'string' } },
    },
    400: failure(['ValidationError'], 'A Last-Event-ID that is no position of this stream, or a bad isTestMode.'),
  },
});

export const replayWebhookEvent = op({
  method: 'POST',
  path: '/webhooks/events/:id/replay',
  operationId: 'replayWebhookDelivery',
  tag: 'Webhooks',
  auth: 'partner',
  summary: 'Deliver an event again',
  description: 'The same payload again as a fresh delivery (attempt 1), with the header webhook-replay: true.',
  params: { id: 'The delivery id' },
  responses: { 200: json('Queued', ref('ReplayResult')), 404: failure(['EventNotFound'], 'No such delivery, or not yours.') },
});

export const listWebhookAttempts = op({
  method: 'GET',
  path: '/webhooks/events/:id/attempts',
  operationId: 'listWebhookDeliveryAttempts',
  tag: 'Webhooks',
  auth: 'partner',
  summary: 'Every attempt to deliver an event, oldest first',
  description:
    "Why a delivery failed: each attempt's time, the receiver's status code (null when it did not answer: see error), the error, how long it took, whether it was a replay, and the start of the receiver's answer (its first 1 KiB as text; null for attempts without an answer).",
  params: { id: 'The delivery id (GET /webhooks/events)' },
  responses: { 200: json('Oldest first', arrayOf(ref('WebhookAttempt'))), 404: failure(['EventNotFound'], 'No such delivery, or not yours.') },
});

const webhookNotFound = failure(['WebhookNotFound'], 'No such subscription, or not yours.');

export const getWebhook = op({
  method: 'GET',
  path: '/webhooks/:id',
  operationId: 'getWebhook',
  tag: 'Webhooks',
  auth: 'partner',
  summary: 'One subscription',
  params: { id: 'The subscription id' },
  responses: { 200: json('The subscription (no secret)', ref('Webhook')), 404: webhookNotFound },
});

export const updateWebhook = op({
  method: 'PUT',
  path: '/webhooks/:id',
  operationId: 'updateWebhook',
  tag: 'Webhooks',
  auth: 'partner',
  summary: 'Change a subscription',
  description: 'Only the fields sent change. isActive: true re-enables a disabled subscription. regenerateSecret answers with the new secret.',
  params: { id: 'The subscription id' },
  body: {
    url: t.string({ max: 2048, schema: { format: 'uri' } }),
    events: t.listOf(WEBHOOK_EVENTS),
    isActive: t.boolean(false, { schema: { default: undefined }, description: 'Unchanged when absent.' }),
    regenerateSecret: t.boolean(false),
  },
  responses: { 200: json('The subscription; with `secret` only when regenerated', ref('WebhookWithSecret')), 404: webhookNotFound },
});

export const deleteWebhook = op({
  method: 'DELETE',
  path: '/webhooks/:id',
  operationId: 'deleteWebhook',
  tag: 'Webhooks',
  auth: 'partner',
  summary: 'Delete a subscription',
  params: { id: 'The subscription id' },
  responses: { 204: noContent('Deleted'), 404: webhookNotFound },
});

export const fireTestWebhook = op({
  method: 'POST',
  path: '/test/webhooks/fire',
  operationId: 'fireTestWebhook',
  tag: 'Test cases',
  auth: 'partner',
  summary: 'Fire an event of a test case to your test-mode subscriptions',
  description: [
    'A real event of type `event`, built from the test case as it is now, in the shape the real event of that type has (see the webhook events): `case.updated` carries the current lifecycle as both oldLifecycle and newLifecycle; `case.closed` the current close code (or that of the last close of a reopened case) and its comment; `payment.created` the newest payment, `payment.updated` the most recently changed one, `payment.deleted` the most recently deleted one. Every event takes the next `sequence` of the case.',
    'It goes through the normal delivery: signed (Standard Webhooks), retried by WEBHOOK_RETRY_SCHEDULE, listed in GET /webhooks/events, replayable. It is delivered to every active test-mode subscription of the caller that subscribes to `event`, or only to `subscriptionId` when given; the deliveries are queued when this answers, and `enqueuedCount` says how many.',
    'A production case, an unknown event or a `subscriptionId` that is not a test-mode subscription → 400 ValidationError. An unknown or foreign case → 404 CaseNotFound; an unknown or foreign subscriptionId → 404 WebhookNotFound. A given subscription that is disabled or does not subscribe to `event` receives nothing: 200 with enqueuedCount 0. Nothing to build the event from (no payment for payment.created or payment.updated, none deleted for payment.deleted, never closed for case.closed) → 422 EventDataMissing.',
    'Each call fires a new event (firing twice is two events with two ids). To retry a call safely, send an Idempotency-Key: the same key and body answer the stored result and fire nothing again.',
  ].join('\n\n'),
  idempotent: true,
  body: {
    event: t.oneOf(WEBHOOK_EVENTS, { required: true, description: 'The event type to fire' }),
    caseId: t.uuid({ required: true, description: 'The test case the event is built from' }),
    subscriptionId: t.uuid({ description: "Only this subscription (one of the caller's test-mode subscriptions); absent or null: every matching one" }),
  },
  responses: {
    200: json('The event was fired; its deliveries are queued', ref('FireWebhookResult'), replayedHeader),
    404: failure(['CaseNotFound', 'WebhookNotFound'], 'No such case or subscription, or not yours.'),
    409: idempotencyAnswers[409],
    422: failure(
      ['EventDataMissing', 'IdempotencyConflict'],
      'The case has nothing to build this event from, or the Idempotency-Key was used with another body.',
    ),
  },
});

export const replayLastTestCaseEvent = op({
  method: 'POST',
  path: '/test/cases/:id/replay-last-event',
  operationId: 'replayLastTestCaseEvent',
  tag: 'Test cases',
  auth: 'partner',
  summary: 'Deliver the newest event of a test case again',
  description:
    'The newest entry of GET /webhooks/events?caseId={id} delivered again, exactly as POST /webhooks/events/{id}/replay does: the same payload and webhook-id as a fresh delivery (attempt 1), with the header webhook-replay: true, to the subscription it was delivered to. No event sent for the case yet → 404 EventNotFound. A production case → 400 ValidationError.',
  params: caseIdParam,
  responses: {
    200: json('Queued', ref('ReplayResult')),
    400: failure(['ValidationError'], 'The case is a production case (field `id`).'),
    404: failure(['CaseNotFound', 'EventNotFound'], 'No such case, or not yours (an id that is no UUID answers the same); or no event sent for the case yet.'),
  },
});

export const healthz = op({
  method: 'GET',
  path: '/healthz',
  operationId: 'healthz',
  tag: 'Operations',
  auth: 'public',
  summary: 'The process is alive',
  responses: { 200: json('Alive', ref('Health')) },
});

export const readyz = op({
  method: 'GET',
  path: '/readyz',
  operationId: 'readyz',
  tag: 'Operations',
  auth: 'public',
  summary: 'The dependencies are reachable',
  responses: { 200: json('Ready', ref('Readiness')), 503: json('Not ready: a dependency is unreachable', ref('Readiness')) },
});

export const metrics = op({
  method: 'GET',
  path: '/metrics',
  operationId: 'metrics',
  tag: 'Operations',
  auth: 'public',
  summary: 'Prometheus metrics',
  responses: { 200: { description: 'Prometheus text exposition format', content: { type: 'text/plain', schema: { type: 'string' } } } },
});

export const openApiDocument = op({
  method: 'GET',
  path: '/openapi.json',
  operationId: 'openApiDocument',
  tag: 'Operations',
  auth: 'public',
  summary: 'This OpenAPI 3.1 document',
  responses: { 200: json('The document', { type: 'object', required: ['openapi', 'info', 'paths'] }) },
});

export const docs = op({
  method: 'GET',
  path: '/docs',
  operationId: 'docs',
  tag: 'Operations',
  auth: 'public',
  summary: 'This document, rendered as a web page',
  responses: {
    200: { description: 'An HTML page (no external assets) that renders /openapi.json', content: { type: 'text/html', schema: { type: 'string' } } },
  },
});

/** Routes served without an entry here: the Portal's static files (SPEC §8) and the files of the /docs page. */
export const UNDOCUMENTED = (method: string, url: string): boolean => method === 'HEAD' || url === '/portal' || url.startsWith('/portal/') || url === '/docs/*';
