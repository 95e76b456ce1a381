// A small REST client for end-to-end tests: raw status, headers and parsed body of every call.
export interface ApiResponse<T = unknown> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: T;
}

export interface CallOptions {
  key?: string;
  body?: unknown;
  raw?: string;
  headers?: Record<string, string>;
}

export class Api {
  constructor(
    readonly baseUrl: string,
    readonly adminKey: string,
  ) {}

  async call<T = Record<string, unknown>>(method: string, path: string, opts: CallOptions = {}): Promise<ApiResponse<T>> {
    const hasBody = opts.body !== undefined || opts.raw !== undefined;
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: { ...(opts.key ? { XApiKey: opts.key } : {}), ...(hasBody ? { 'content-type': 'application/json' } : {}), ...(opts.headers ?? {}) },
      body: opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body)),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : undefined) as T };
  }

  /** Calls and insists on `status`; returns the body. */
  async expect<T = Record<string, unknown>>(status: number, method: string, path: string, opts: CallOptions = {}): Promise<T> {
    const res = await this.call<T>(method, path, opts);
    if (res.status !== status) throw new Error(`${method} ${path}: expected ${status}, got ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  newPartner(companyName: string, extra: Record<string, unknown> = {}): Promise<{ id: string; apiKey: string; officeEmail: string; companyName: string }> {
    return this.expect(201, 'POST', '/admin/partners', {
      key: this.adminKey,
      body: { companyName, officeEmail: `${companyName.toLowerCase().replace(/[^a-z0-9]/g, '')}@example.test`, ...extra },
    });
  }

  newCase(partnerId: string, extra: Record<string, unknown> = {}): Promise<{ id: string; reference: string; currency: string }> {
    return this.expect(201, 'POST', '/admin/cases', { key: this.adminKey, body: { partnerId, currency: 'EUR', grossAmount: 1000, successFee: 20, ...extra } });
  }
}
