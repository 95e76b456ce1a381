// One HTTP/1.1 request exactly as written (no URL normalisation, any header bytes Node lets through),
// with a deadline. Never rejects: the outcome says whether an answer came, the socket failed, or the
// deadline passed. Shared by the chaos load (retries until answered) and the fuzz run (hostile input).
import * as http from 'node:http';

export interface RawRequest {
  readonly method: string;
  /** sent verbatim as the request target */
  readonly path: string;
  readonly headers?: Record<string, string | string[]>;
  readonly body?: string | Buffer;
  readonly timeoutMs: number;
  readonly agent?: http.Agent;
}

export type RawOutcome =
  | { readonly kind: 'answer'; readonly status: number; readonly headers: http.IncomingHttpHeaders; readonly text: string; readonly ms: number }
  | { readonly kind: 'timeout'; readonly ms: number }
  | { readonly kind: 'error'; readonly error: string; readonly ms: number };

export function rawRequest(baseUrl: string, r: RawRequest): Promise<RawOutcome> {
  const url = new URL(baseUrl);
  const started = Date.now();
  const body = r.body === undefined ? undefined : Buffer.isBuffer(r.body) ? r.body : Buffer.from(r.body, 'utf8');
  return new Promise<RawOutcome>((resolve) => {
    let done = false;
    const finish = (o: RawOutcome) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(o);
    };
    let req: http.ClientRequest;
    try {
      const headers: Record<string, string | string[]> = { ...(r.headers ?? {}) };
      if (body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-length')) headers['content-length'] = String(body.length);
      req = http.request({ host: url.hostname, port: url.port, method: r.method, path: r.path, headers, agent: r.agent ?? false }, (res) => {
        // An event stream never ends by design: its answer is its status, headers and first message.
        if (String(res.headers['content-type'] ?? '').startsWith('text/event-stream')) {
          const answer = (text: string) => {
            finish({ kind: 'answer', status: res.statusCode ?? 0, headers: res.headers, text, ms: Date.now() - started });
            req.destroy();
          };
          res.once('data', (c: Buffer) => answer(c.toString('utf8')));
          res.once('end', () => answer('')); // HEAD: the headers alone
          return;
        }
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          finish({ kind: 'answer', status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8'), ms: Date.now() - started }),
        );
        res.on('error', (e) => finish({ kind: 'error', error: e.message, ms: Date.now() - started }));
      });
    } catch (e) {
      // Node refused to send it (e.g. a header byte it never puts on the wire)
      resolve({ kind: 'error', error: `not sendable: ${e instanceof Error ? e.message : String(e)}`, ms: 0 });
      return;
    }
    const timer = setTimeout(() => {
      finish({ kind: 'timeout', ms: Date.now() - started });
      req.destroy();
    }, r.timeoutMs);
    req.on('error', (e: NodeJS.ErrnoException) => finish({ kind: 'error', error: e.code ?? e.message, ms: Date.now() - started }));
    req.end(body);
  });
}
