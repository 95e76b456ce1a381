// GET /docs: the OpenAPI document rendered by Swagger UI (swagger-ui-dist, a maintained renderer),
// served by the gateway itself from node_modules: no CDN, nothing from another origin. The page is
// static HTML with no inline script or style: its scripts (the renderer's bundle and our init file,
// which points it at /openapi.json) and styles (the renderer's and our overrides) are files under
// /docs/, so the Content-Security-Policy allows 'self' only. Swagger UI sets element styles through the
// DOM (the CSSOM), which a strict style-src does not block; it injects no <style> element.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';

/** Where the renderer's files are: the package as installed (the gateway's production dependency). */
export function swaggerUiDir(): string {
  return path.dirname(require.resolve('swagger-ui-dist/package.json'));
}

export const DOCS_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const HEADERS = {
  'content-security-policy': DOCS_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

/**
 * Our init file: Swagger UI on /openapi.json, with the document's own layout (no top bar: no URL box,
 * no validator badge calling out), a tag filter and deep links. `data-ready` on <body> tells a test (or
 * a script) that the document has loaded and rendered (`true`) or could not be loaded (`error`).
 */
export const DOCS_INIT = String.raw`(function () {
  'use strict';
  var body = document.body;
  function done(state, message) {
    if (body.hasAttribute('data-ready')) return;
    if (message) {
      var main = document.getElementById('swagger-ui');
      main.textContent = '';
      var p = document.createElement('p');
      p.setAttribute('role', 'alert');
      p.textContent = 'Could not load the API description: ' + message;
      main.appendChild(p);
    }
    body.setAttribute('data-ready', state);
  }
  if (typeof window.SwaggerUIBundle !== 'function') return done('error', 'the renderer did not load');
  window.ui = window.SwaggerUIBundle({
    url: '/openapi.json',
    dom_id: '#swagger-ui',
    layout: 'BaseLayout',
    deepLinking: false,
    filter: true,
    validatorUrl: null,
    displayOperationId: true,
    defaultModelsExpandDepth: 1,
    docExpansion: 'list',
    onComplete: function () {
      var failed = window.ui.specSelectors.loadingStatus() === 'failed';
      done(failed ? 'error' : 'true', failed ? 'GET /openapi.json failed' : undefined);
    },
  });
})();
`;

/** Our overrides of the renderer's styles: contrast (WCAG AA) where its palette is too light, and the skip link. */
export const DOCS_CSS = String.raw`.skip { position: absolute; left: -999px; }
.skip:focus { left: 0.5rem; top: 0.5rem; background: #fff; padding: 0.5rem; z-index: 2; }
body { margin: 0; background: #fff; }
.page-title { font: 700 1.6rem/1.2 system-ui, sans-serif; margin: 1.5rem auto 0; max-width: 1460px; padding: 0 20px; color: #1b1f24; }
.swagger-ui .info .title small { background: #4a5360; }
.swagger-ui .info .title small.version-stamp { background-color: #2f5a00; }
.swagger-ui .info a, .swagger-ui .info .url, .swagger-ui .scopes h2 a { color: #0b5cad; }
.swagger-ui .btn.authorize { border-color: #1d6b33; color: #1d6b33; }
.swagger-ui .btn.authorize svg { color: #1d6b33; }
.swagger-ui .btn.execute { background-color: #0b5cad; border-color: #0b5cad; }
.swagger-ui .opblock.opblock-get .opblock-summary-method { background: #0b5cad; }
.swagger-ui .opblock.opblock-post .opblock-summary-method { background: #1d6b33; }
.swagger-ui .opblock.opblock-put .opblock-summary-method { background: #7a4a00; }
.swagger-ui .opblock.opblock-patch .opblock-summary-method { background: #0d6150; }
.swagger-ui .opblock.opblock-delete .opblock-summary-method { background: #a1232b; }
.swagger-ui .opblock.opblock-head .opblock-summary-method, .swagger-ui .opblock.opblock-options .opblock-summary-method { background: #5b3d99; }
.swagger-ui .json-schema-2020-12-expand-deep-button { color: #3b4151; }
`;

export function docsPage(): string {
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<title>Partner Payments API — reference</title>',
    '<link rel="icon" href="data:,">',
    '<link rel="stylesheet" href="/docs/swagger-ui.css">',
    '<link rel="stylesheet" href="/docs/docs.css">',
    '<script src="/docs/swagger-ui-bundle.js" defer></script>',
    '<script src="/docs/docs.js" defer></script>',
    '</head>',
    '<body>',
    '<a class="skip" href="#swagger-ui">Skip to the reference</a>',
    '<header><h1 class="page-title">Partner Payments API reference</h1></header>',
    '<div id="swagger-ui" role="region" aria-label="API reference" tabindex="-1"><p>Loading <a href="/openapi.json">/openapi.json</a> …</p></div>',
    '<noscript><p>This page renders <a href="/openapi.json">/openapi.json</a> with JavaScript.</p></noscript>',
    '</body>',
    '</html>',
  ].join('\n');
}

interface Asset {
  readonly type: string;
  readonly body: string | Buffer;
}

/** The files under /docs/: the renderer's, read once at start from the installed package, and ours. */
export function docsAssets(dir = swaggerUiDir()): ReadonlyMap<string, Asset> {
  // the renderer's source map is not served: drop the comment pointing at it
  const css = readFileSync(path.join(dir, 'swagger-ui.css'), 'utf8').replace(/\/\*# sourceMappingURL=[^*]*\*\/\s*$/, '');
  return new Map<string, Asset>([
    ['swagger-ui-bundle.js', { type: 'text/javascript; charset=utf-8', body: readFileSync(path.join(dir, 'swagger-ui-bundle.js')) }],
    ['swagger-ui.css', { type: 'text/css; charset=utf-8', body: css }],
    ['docs.js', { type: 'text/javascript; charset=utf-8', body: DOCS_INIT }],
    ['docs.css', { type: 'text/css; charset=utf-8', body: DOCS_CSS }],
  ]);
}

/** GET /docs and its files under /docs/ (public, like /openapi.json). */
export function registerDocs(app: FastifyInstance): void {
  const page = docsPage();
  const assets = docsAssets();
  const send = (reply: FastifyReply, type: string, body: string | Buffer) => reply.headers(HEADERS).type(type).send(body);
  app.get('/docs', { config: { auth: 'public' } }, async (_req, reply) => send(reply, 'text/html; charset=utf-8', page));
  app.get<{ Params: { '*': string } }>('/docs/*', { config: { auth: 'public' } }, async (req, reply) => {
    const asset = assets.get(req.params['*']);
    return asset ? send(reply, asset.type, asset.body) : reply.callNotFound();
  });
}
