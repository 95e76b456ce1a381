// Closed set of business error codes. Every transport maps each of them exhaustively
// (see assertNever), so adding a code without mapping it fails to compile.
export const ERROR_TYPES = [
  'ValidationError',
  'Unauthorized',
  'Forbidden',
  'NotFound',
  'PartnerNotFound',
  'CaseNotFound',
  'PaymentNotFound',
  'TaskNotFound',
  'WebhookNotFound',
  'EventNotFound',
  'InvoiceNotFound',
  'CaseClosed',
  'CaseAlreadyClosed',
  'CloseCodeNotAllowed',
  'PaymentInvoiced',
  'ReopenConsentRequired',
  'IdempotencyConflict',
  'IdempotencyKeyInUse',
  'RateLimited',
  'ServiceUnavailable',
  'InternalError',
  'EventDataMissing',
] as const;

export type ErrorType = (typeof ERROR_TYPES)[number];

export interface FieldProblem {
  readonly field?: string;
  readonly message: string;
}

export class DomainError extends Error {
  constructor(
    readonly type: ErrorType,
    message: string,
    readonly field?: string,
    readonly problems: readonly FieldProblem[] = [],
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export function validationError(problems: readonly FieldProblem[]): DomainError {
  const first = problems[0] ?? { message: 'Invalid request' };
  return new DomainError('ValidationError', first.message, first.field, problems);
}

export function isErrorType(value: string): value is ErrorType {
  return (ERROR_TYPES as readonly string[]).includes(value);
}

export function assertNever(value: never): never {
  throw new Error(`Unhandled value: ${String(value)}`);
}

/** A result type for decisions that can be refused with a business error. */
export type Decision<T> = { ok: true; value: T } | { ok: false; error: DomainError };

export const ok = <T>(value: T): Decision<T> => ({ ok: true, value });
export const refuse = <T = never>(type: ErrorType, message: string, field?: string): Decision<T> => ({
  ok: false,
  error: new DomainError(type, message, field),
});
