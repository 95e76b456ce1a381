// The error answers of the API as values: every 4xx/5xx except 401/403 carries the §1 error body
// (`businessErrors`, one entry per problem, `type` a stable code); 401/403 carry RFC 9457 problem details.
import type { components } from './generated/schema';

export type ErrorBody = components['schemas']['ErrorBody'];
export type BusinessError = ErrorBody['businessErrors'][number];
export type ErrorType = BusinessError['type'];

export class ApiError extends Error {
  /** the stable codes of every problem (ValidationError, CaseClosed, …) */
  readonly businessErrors: readonly BusinessError[];

  constructor(
    readonly status: number,
    /** the answer as sent: the error body, problem details, or text */
    readonly body: unknown,
    /** the gateway's request id (Request-Id header), to quote to support */
    readonly requestId: string | undefined,
  ) {
    super(messageOf(status, body));
    this.name = 'ApiError';
    this.businessErrors = isErrorBody(body) ? body.businessErrors : [];
  }

  /** the first problem's code (`error` of the body), or Unauthorized/Forbidden for 401/403 */
  get type(): ErrorType | undefined {
    if (isErrorBody(this.body)) return this.body.error as ErrorType;
    if (this.status === 401) return 'Unauthorized';
    if (this.status === 403) return 'Forbidden';
    return undefined;
  }

  /** whether one of the problems is `type` (on `field`, when given) */
  has(type: ErrorType, field?: string): boolean {
    return this.businessErrors.some((e) => e.type === type && (field === undefined || e.field === field));
  }
}

export function isErrorBody(body: unknown): body is ErrorBody {
  return typeof body === 'object' && body !== null && Array.isArray((body as { businessErrors?: unknown }).businessErrors);
}

function messageOf(status: number, body: unknown): string {
  if (isErrorBody(body)) return `${status} ${body.error}: ${body.businessErrors.map((e) => (e.field ? `${e.field}: ${e.message}` : e.message)).join('; ')}`;
  if (typeof body === 'object' && body !== null && 'detail' in body) return `${status} ${String((body as { detail: unknown }).detail)}`;
  return `${status} ${typeof body === 'string' ? body.slice(0, 200) : JSON.stringify(body)?.slice(0, 200)}`;
}
