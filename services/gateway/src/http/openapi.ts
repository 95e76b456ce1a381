// OpenAPI 3.1 description of the routes the gateway serves (generated from the route table).
import type { FastifyInstance } from 'fastify';

export function registerOpenApi(app: FastifyInstance, routes: { method: string; url: string }[]): void {
  app.get('/openapi.json', async () => {
    const paths: Record<string, Record<string, unknown>> = {};
    for (const r of routes) {
      if (r.method === 'HEAD' || r.url === '/openapi.json' || r.url === '/docs' || r.url.startsWith('/portal')) continue;
      const path = r.url.replace(/:(\w+)/g, '{$1}');
      const params = [...path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string', format: 'uuid' } }));
      paths[path] ??= {};
      paths[path][r.method.toLowerCase()] = {
        operationId: `${r.method.toLowerCase()}${path.replace(/[{}]/g, '').replace(/[/-](\w)/g, (_m, c: string) => c.toUpperCase())}`,
        parameters: params,
        security: r.url.startsWith('/admin') ? [{ adminKey: [] }] : r.url.endsWith('z') ? [] : [{ apiKey: [] }],
        responses: { default: { description: 'See SPEC.md for the exact shapes', content: { 'application/json': { schema: { type: 'object' } } } } },
      };
    }
    return {
      openapi: '3.1.0',
      info: { title: 'Partner Payments API', version: '1.0.0', description: 'Record, split, correct and follow up on payments recovered by collection partners.' },
      components: { securitySchemes: { apiKey: { type: 'apiKey', in: 'header', name: 'XApiKey' }, adminKey: { type: 'apiKey', in: 'header', name: 'XApiKey' } } },
      paths,
    };
  });
  app.get('/docs', async (_req, reply) =>
    reply
      .type('text/html; charset=utf-8')
      .send(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Partner Payments API</title></head><body><h1>Partner Payments API</h1><p>The OpenAPI 3.1 document is at <a href="/openapi.json">/openapi.json</a>.</p><ul>${routes.filter((r) => r.method !== 'HEAD').map((r) => `<li><code>${r.method} ${r.url}</code></li>`).join('')}</ul></body></html>`),
  );
}
