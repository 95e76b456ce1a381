// A real HTTP receiver on loopback that records every webhook request and answers by script.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  readonly at: number;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly json: {
    id: string;
    specVersion: string;
    event: string;
    timestamp: string;
    classification: string;
    data: Record<string, unknown> & { sequence: number; caseId: string; payment?: { id: string } };
  };
}

export class WebhookReceiver {
  readonly received: Received[] = [];
  /** status to answer per path; a function gets the number of earlier requests to that path */
  private readonly scripts = new Map<string, (n: number) => { status: number; headers?: Record<string, string>; body?: string }>();
  private readonly holds = new Map<string, { until: Promise<void>; arrived: () => void }>();
  private server: http.Server | undefined;
  port = 0;

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const path = req.url ?? '/';
        const n = this.received.filter((r) => r.path === path).length;
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
        let json: Received['json'];
        try {
          json = JSON.parse(body) as Received['json'];
        } catch {
          json = {} as Received['json'];
        }
        this.received.push({ at: Date.now(), path, headers, body, json });
        const answer = this.scripts.get(path)?.(n) ?? { status: 204 };
        const hold = this.holds.get(path);
        this.holds.delete(path);
        hold?.arrived();
        void (hold?.until ?? Promise.resolve()).then(() => {
          if (res.destroyed) return;
          res.writeHead(answer.status, answer.headers ?? {});
          res.end(answer.body);
        });
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', () => resolve()));
    this.port = (this.server.address() as AddressInfo).port;
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  script(path: string, answer: (n: number) => { status: number; headers?: Record<string, string>; body?: string }): void {
    this.scripts.set(path, answer);
  }

  /** The next request to `path` gets no answer until `until` settles; resolves when it has arrived. */
  hold(path: string, until: Promise<void>): Promise<void> {
    return new Promise<void>((arrived) => this.holds.set(path, { until, arrived }));
  }

  at(path: string): Received[] {
    return this.received.filter((r) => r.path === path);
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
