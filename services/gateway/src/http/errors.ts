// Domain error → HTTP, exhaustively; and the error bodies of the contract.
import { randomUUID } from 'node:crypto';
import { assertNever, DomainError, type ErrorType, type FieldProblem } from '@pp/domain';

export function httpStatusFor(type: ErrorType): number {
  switch (type) {
    case 'ValidationError':
    case 'CloseCodeNotAllowed':
      return 400;
    case 'Unauthorized':
      return 401;
    case 'Forbidden':
      return 403;
    case 'NotFound':
    case 'PartnerNotFound':
    case 'CaseNotFound':
    case 'PaymentNotFound':
    case 'TaskNotFound':
    case 'WebhookNotFound':
    case 'EventNotFound':
    case 'InvoiceNotFound':
      return 404;
    case 'CaseClosed':
    case 'CaseAlreadyClosed':
    case 'ReopenConsentRequired':
    case 'IdempotencyKeyInUse':
      return 409;
    case 'PaymentInvoiced':
    case 'IdempotencyConflict':
    case 'EventDataMissing':
      return 422;
    case 'RateLimited':
      return 429;
    case 'ServiceUnavailable':
      return 503;
    case 'InternalError':
      return 500;
    default:
      return assertNever(type);
  }
}

export interface ErrorBody {
  businessErrors: { type: string; message: string; field: string | null }[];
  error: string;
  message: string;
  errorId?: string;
}

export function errorBody(type: ErrorType, problems: readonly FieldProblem[], fallbackMessage: string): ErrorBody {
  const list = (problems.length > 0 ? problems : [{ message: fallbackMessage }]).map((p) => ({ type, message: p.message, field: p.field ?? null }));
  return { businessErrors: list, error: type, message: list[0]?.message ?? fallbackMessage };
}

export function bodyForDomainError(error: DomainError): { status: number; body: ErrorBody } {
  const problems = error.problems.length > 0 ? error.problems : [{ message: error.message, ...(error.field ? { field: error.field } : {}) }];
  const status = httpStatusFor(error.type);
  const body = errorBody(error.type, problems, error.message);
  if (status >= 500) body.errorId = randomUUID();
  return { status, body };
}

/** RFC 9457 problem details, used for 401 and 403. */
export function problemDetails(status: 401 | 403, detail: string) {
  return { type: status === 401 ? 'Unauthorized' : 'Forbidden', title: status === 401 ? 'Unauthorized' : 'Forbidden', status, detail };
}

/** The errorId of a request's 5xx answer, kept for the request's own log line (server.ts): body, error line and request line share it. */
const errorIds = new WeakMap<object, string>();

export function noteErrorId(req: object, errorId: string): string {
  errorIds.set(req, errorId);
  return errorId;
}

export function errorIdOf(req: object): string | undefined {
  return errorIds.get(req);
}
