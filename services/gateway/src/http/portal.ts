// The Partner Portal (SPEC §8): three static files read once at start and served at /portal. The page
// needs no key; everything it shows comes from the same partner REST API, called with the partner's key.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

const HEADERS = {
  'cache-control': 'no-cache',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
};

/** The portal folder: dist/portal (copied there by the build, so an image has it) or the package's portal/. */
export function portalDir(): string {
  const candidates = [path.resolve(__dirname, '../portal'), path.resolve(__dirname, '../../portal')];
  const found = candidates.find((dir) => existsSync(path.join(dir, 'index.html')));
  if (!found) throw new Error(`portal folder not found (looked in ${candidates.join(', ')})`);
  return found;
}

export const isPortalPath = (path: string): boolean => path === '/portal' || path.startsWith('/portal/');

export function portalRoutes(app: FastifyInstance): void {
  const dir = portalDir();
  const files = new Map<string, { type: string; body: Buffer }>();
  for (const name of readdirSync(dir)) {
    const type = TYPES[path.extname(name)];
    if (type) files.set(name, { type, body: readFileSync(path.join(dir, name)) });
  }
  const send = (reply: FastifyReply, name: string) => {
    const file = files.get(name);
    if (!file) return reply.callNotFound();
    return reply.headers(HEADERS).type(file.type).send(file.body);
  };
  app.get('/portal', async (_req, reply) => send(reply, 'index.html'));
  app.get<{ Params: { '*': string } }>('/portal/*', async (req, reply) => send(reply, req.params['*'] || 'index.html'));
}
