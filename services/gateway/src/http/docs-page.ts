// GET /docs: one self-contained page (no CDN, no external asset) that fetches /openapi.json and renders
// the operations, their parameters, bodies and responses, the webhook events and the schemas. The
// script and style are inline and allowed by their hashes in the Content-Security-Policy (./openapi).
// The script builds the DOM with textContent only: nothing from the document is parsed as HTML.

export const DOCS_STYLE = String.raw`
:root { color-scheme: light; --ink: #1b1f24; --muted: #4a5360; --line: #d6dbe1; --bg: #f6f8fa; --accent: #0b5cad; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: #fff; }
a { color: var(--accent); }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.9em; }
code { background: var(--bg); padding: 0 0.25em; border-radius: 3px; }
.skip { position: absolute; left: -999px; }
.skip:focus { left: 0.5rem; top: 0.5rem; background: #fff; padding: 0.5rem; z-index: 2; }
.layout { display: grid; grid-template-columns: 18rem 1fr; min-height: 100vh; }
nav { border-right: 1px solid var(--line); background: var(--bg); padding: 1rem; position: sticky; top: 0; height: 100vh; overflow: auto; }
nav h2 { font-size: 0.8rem; text-transform: uppercase; letter-spacing: 0.04em; color: var(--muted); margin: 1rem 0 0.25rem; }
nav ul { list-style: none; margin: 0; padding: 0; }
nav li a { display: flex; gap: 0.4rem; align-items: baseline; text-decoration: none; color: var(--ink); padding: 0.1rem 0.25rem; border-radius: 3px; font-size: 0.85rem; overflow-wrap: anywhere; }
nav li a .method { flex: none; }
nav li a:hover, nav li a:focus { background: #e3e8ee; }
nav label { display: block; font-size: 0.85rem; color: var(--muted); }
nav input { width: 100%; padding: 0.35rem; border: 1px solid #8a939e; border-radius: 4px; font: inherit; }
main { padding: 1.5rem 2rem 4rem; max-width: 72rem; }
h1 { margin-top: 0; }
h2.tag { border-bottom: 2px solid var(--line); padding-bottom: 0.25rem; margin-top: 2.5rem; }
section.op { border: 1px solid var(--line); border-radius: 6px; margin: 1rem 0; padding: 0.75rem 1rem; }
section.op h3 { margin: 0; display: flex; gap: 0.6rem; align-items: baseline; flex-wrap: wrap; font-size: 1.05rem; }
.method { display: inline-block; min-width: 3.6rem; text-align: center; border-radius: 3px; padding: 0 0.3rem; font-weight: 700; font-size: 0.75rem; color: #fff; }
.m-get { background: #1d6b33; } .m-post { background: #0b5cad; } .m-put { background: #7a4a00; } .m-delete { background: #a1232b; } .m-patch { background: #5b3a8c; }
.summary { color: var(--muted); font-weight: 400; }
.auth { font-size: 0.8rem; color: var(--muted); }
table { border-collapse: collapse; width: 100%; margin: 0.4rem 0 0.8rem; font-size: 0.9rem; }
th, td { text-align: left; vertical-align: top; border-bottom: 1px solid var(--line); padding: 0.3rem 0.5rem; }
th { background: var(--bg); font-weight: 600; }
td.name { white-space: nowrap; }
td.mono { min-width: 9rem; }
.req { color: #a1232b; font-size: 0.75rem; font-weight: 600; }
.facts { color: var(--muted); font-size: 0.85rem; }
.nested { margin-left: 1rem; border-left: 3px solid var(--line); padding-left: 0.5rem; }
h4 { margin: 0.8rem 0 0.2rem; font-size: 0.95rem; }
.status { font-weight: 700; }
details > summary { cursor: pointer; }
.rule { font-size: 0.85rem; margin: 0.2rem 0; }
[hidden] { display: none !important; }
@media (max-width: 50rem) { .layout { grid-template-columns: 1fr; } nav { position: static; height: auto; border-right: 0; } }
`;

export const DOCS_SCRIPT = String.raw`
(function () {
  'use strict';
  var BACKTICK = '\u0060';
  var doc;

  function el(tag, attrs) {
    var node = document.createElement(tag);
    if (attrs) Object.keys(attrs).forEach(function (k) { if (attrs[k] !== undefined && attrs[k] !== null) node.setAttribute(k, attrs[k]); });
    for (var i = 2; i < arguments.length; i++) appendOne(node, arguments[i]);
    return node;
  }
  /** append(node, child, child, …): strings become text, arrays are flattened, null and false skipped. */
  function append(node) {
    for (var i = 1; i < arguments.length; i++) appendOne(node, arguments[i]);
    return node;
  }
  function appendOne(node, child) {
    if (child === undefined || child === null || child === false) return;
    if (Array.isArray(child)) { child.forEach(function (c) { appendOne(node, c); }); return; }
    node.appendChild(typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child);
  }
  function inline(text) {
    var parts = String(text).split(new RegExp('(' + BACKTICK + '[^' + BACKTICK + ']+' + BACKTICK + '|\\*\\*[^*]+\\*\\*)'));
    return parts.map(function (p) {
      if (p.charAt(0) === BACKTICK && p.length > 1) return el('code', null, p.slice(1, -1));
      if (p.indexOf('**') === 0 && p.length > 4) return el('strong', null, p.slice(2, -2));
      return p;
    });
  }
  function markdown(text) {
    var out = [];
    var list = null;
    String(text || '').split('\n').forEach(function (line) {
      if (line.indexOf('- ') === 0) {
        if (!list) { list = el('ul'); out.push(list); }
        list.appendChild(el('li', null, inline(line.slice(2))));
      } else {
        list = null;
        if (line.trim()) out.push(el('p', null, inline(line)));
      }
    });
    return out;
  }
  function refName(ref) { return ref.replace(/^#\/components\/[a-z]+\//i, ''); }
  function lookup(ref) {
    var parts = ref.replace(/^#\//, '').split('/');
    var node = doc;
    parts.forEach(function (p) { node = node && node[p]; });
    return node || {};
  }
  function schemaLink(ref) { return el('a', { href: '#schema-' + refName(ref) }, refName(ref)); }

  function typeLabel(s) {
    if (!s) return 'any';
    if (s.$ref) return schemaLink(s.$ref);
    if (s.oneOf) return joinNodes(s.oneOf.map(typeLabel), ' | ');
    if (s.allOf) return joinNodes(s.allOf.filter(function (p) { return p.$ref || p.type; }).map(typeLabel), ' & ');
    var types = Array.isArray(s.type) ? s.type : s.type ? [s.type] : [];
    return joinNodes(types.map(function (t) {
      if (t === 'array') return ['array of ', typeLabel(s.items)];
      if (t === 'string' && s.format) return 'string (' + s.format + ')';
      return t;
    }), ' | ');
  }
  function joinNodes(list, sep) {
    var out = [];
    list.forEach(function (n, i) { if (i > 0) out.push(sep); out.push(n); });
    return out.length ? out : ['any'];
  }
  function facts(s) {
    var f = [];
    if (!s) return f;
    var items = s.items || {};
    var values = s.enum || items.enum;
    if (s.const !== undefined) f.push('must be ' + JSON.stringify(s.const));
    if (values) f.push('one of: ' + values.map(function (v) { return v === null ? 'null' : String(v); }).join(', '));
    if (s.minimum !== undefined) f.push('≥ ' + s.minimum);
    if (s.exclusiveMinimum !== undefined) f.push('> ' + s.exclusiveMinimum);
    if (s.maximum !== undefined) f.push('≤ ' + s.maximum);
    if (s.minLength !== undefined) f.push('length ≥ ' + s.minLength);
    if (s.maxLength !== undefined) f.push('length ≤ ' + s.maxLength);
    if (s.minItems !== undefined) f.push('items ≥ ' + s.minItems);
    if (s.maxItems !== undefined) f.push('items ≤ ' + s.maxItems);
    if (s.pattern) f.push('pattern ' + s.pattern);
    if (s.default !== undefined) f.push('default ' + JSON.stringify(s.default));
    if (s.examples) f.push('e.g. ' + s.examples.map(function (e) { return JSON.stringify(e); }).join(', '));
    return f;
  }
  function inlineObject(s) {
    if (!s || s.$ref) return null;
    if (s.properties) return s;
    if (s.items && s.items.properties) return s.items;
    if (s.oneOf) { for (var i = 0; i < s.oneOf.length; i++) { var o = inlineObject(s.oneOf[i]); if (o) return o; } }
    return null;
  }
  function rules(s) {
    var out = [];
    (s.allOf || []).forEach(function (r) {
      if (r.dependentRequired) Object.keys(r.dependentRequired).forEach(function (k) { out.push(el('p', { class: 'rule' }, 'Rule: ', el('code', null, k), ' needs ', joinNodes(r.dependentRequired[k].map(function (x) { return el('code', null, x); }), ', '), ' (both or neither).')); });
      if (r.if && r.then) {
        var cond = Object.keys(r.if.properties || {}).map(function (k) { return k + ' = ' + JSON.stringify(r.if.properties[k].const); }).join(' and ');
        out.push(el('p', { class: 'rule' }, 'Rule: when ', el('code', null, cond), ', ', joinNodes((r.then.required || []).map(function (x) { return el('code', null, x); }), ', '), ' is required.'));
      }
      if (r.properties && r.properties.error && r.properties.error.enum) out.push(el('p', { class: 'rule' }, 'error: ', r.properties.error.enum.join(', ')));
    });
    return out;
  }
  function schemaView(s, depth) {
    depth = depth || 0;
    if (!s) return null;
    var wrap = el('div', depth ? { class: 'nested' } : null);
    var refs = [];
    if (s.$ref) refs.push(s.$ref);
    (s.allOf || []).forEach(function (p) { if (p.$ref) refs.push(p.$ref); });
    if (refs.length) append(wrap, el('p', { class: 'facts' }, 'Schema: ', joinNodes(refs.map(schemaLink), ', ')));
    if (s.description && depth === 0) append(wrap, el('p', { class: 'facts' }, inline(s.description)));
    var obj = inlineObject(s);
    if (obj && depth < 4) {
      var required = obj.required || [];
      var rows = Object.keys(obj.properties).map(function (name) {
        var p = obj.properties[name];
        var nested = inlineObject(p);
        return el('tr', null,
          el('td', { class: 'name' }, el('code', null, name), required.indexOf(name) >= 0 ? [' ', el('span', { class: 'req' }, 'required')] : null),
          el('td', { class: 'mono' }, typeLabel(p)),
          el('td', null, p.description ? inline(p.description) : null, facts(p).length ? el('div', { class: 'facts' }, facts(p).join(' · ')) : null, nested && depth < 3 ? schemaView(nested, depth + 1) : null));
      });
      append(wrap, el('table', null, el('thead', null, el('tr', null, el('th', { scope: 'col' }, 'Field'), el('th', { scope: 'col' }, 'Type'), el('th', { scope: 'col' }, 'Description'))), el('tbody', null, rows)));
    } else if (!s.$ref && !s.allOf) {
      append(wrap, el('p', { class: 'facts' }, 'Type: ', typeLabel(s), facts(s).length ? ' · ' + facts(s).join(' · ') : ''));
    }
    append(wrap, rules(s));
    return wrap;
  }

  function parameterTable(params) {
    var rows = params.map(function (p) {
      if (p.$ref) p = lookup(p.$ref);
      return el('tr', null,
        el('td', { class: 'name' }, el('code', null, p.name), p.required ? [' ', el('span', { class: 'req' }, 'required')] : null),
        el('td', null, p.in),
        el('td', { class: 'mono' }, typeLabel(p.schema)),
        el('td', null, p.description ? inline(p.description) : null, facts(p.schema).length ? el('div', { class: 'facts' }, facts(p.schema).join(' · ')) : null));
    });
    return el('table', null, el('thead', null, el('tr', null, el('th', { scope: 'col' }, 'Name'), el('th', { scope: 'col' }, 'In'), el('th', { scope: 'col' }, 'Type'), el('th', { scope: 'col' }, 'Description'))), el('tbody', null, rows));
  }

  function responsesView(responses) {
    return Object.keys(responses).map(function (status) {
      var r = responses[status];
      if (r.$ref) r = lookup(r.$ref);
      var content = r.content || {};
      var types = Object.keys(content);
      var headers = r.headers || {};
      var body = el('div', { class: 'nested' },
        Object.keys(headers).length ? el('p', { class: 'facts' }, 'Headers: ', joinNodes(Object.keys(headers).map(function (h) { var v = headers[h].$ref ? lookup(headers[h].$ref) : headers[h]; return [el('code', null, h), ' — ', inline(v.description || '')]; }), '; ')) : null,
        types.map(function (t) { return [types.length > 1 || t !== 'application/json' ? el('p', { class: 'facts' }, t) : null, schemaView(content[t].schema, 0)]; }));
      return el('details', { open: status.charAt(0) === '2' ? '' : null },
        el('summary', null, el('span', { class: 'status' }, status), ' ', inline(r.description || '')), body);
    });
  }

  function operationView(path, method, op, idPrefix) {
    var auth = op.security && op.security.length === 0 ? 'No key' : Object.keys((op.security || doc.security || [{}])[0] || {}).join(', ');
    var section = el('section', { class: 'op', id: idPrefix + (op.operationId || method + path), 'data-search': (method + ' ' + path + ' ' + (op.summary || '')).toLowerCase() },
      el('h3', null, el('span', { class: 'method m-' + method }, method.toUpperCase()), el('code', null, path), el('span', { class: 'summary' }, op.summary || '')),
      el('p', { class: 'auth' }, 'Key: ', auth));
    append(section, markdown(op.description));
    if (op.parameters && op.parameters.length) append(section, el('h4', null, 'Parameters'), parameterTable(op.parameters));
    if (op.requestBody) {
      var rb = op.requestBody.content || {};
      append(section, el('h4', null, 'Request body', op.requestBody.required ? '' : ' (optional)'));
      Object.keys(rb).forEach(function (t) { append(section, schemaView(rb[t].schema, 0)); });
    }
    append(section, el('h4', null, 'Responses'), responsesView(op.responses || {}));
    return section;
  }

  function render() {
    var main = document.getElementById('main');
    var nav = document.getElementById('nav-list');
    main.textContent = '';
    nav.textContent = '';
    append(main, el('h1', null, doc.info.title + ' ', el('span', { class: 'summary' }, doc.info.version)), markdown(doc.info.description),
      el('p', null, 'OpenAPI ' + doc.openapi + ' document: ', el('a', { href: '/openapi.json' }, '/openapi.json')));
    var byTag = {};
    var tagOrder = (doc.tags || []).map(function (t) { return t.name; });
    Object.keys(doc.paths).forEach(function (path) {
      Object.keys(doc.paths[path]).forEach(function (method) {
        var op = doc.paths[path][method];
        var tag = (op.tags && op.tags[0]) || 'Other';
        if (tagOrder.indexOf(tag) < 0) tagOrder.push(tag);
        (byTag[tag] = byTag[tag] || []).push({ path: path, method: method, op: op });
      });
    });
    tagOrder.forEach(function (tag) {
      var list = byTag[tag];
      if (!list) return;
      var info = (doc.tags || []).filter(function (t) { return t.name === tag; })[0];
      var id = 'tag-' + tag.replace(/\W+/g, '-');
      append(main, el('h2', { class: 'tag', id: id }, tag), info && info.description ? el('p', null, inline(info.description)) : null);
      var items = el('ul');
      list.forEach(function (o) {
        append(main, operationView(o.path, o.method, o.op, 'op-'));
        append(items, el('li', null, el('a', { href: '#op-' + o.op.operationId, 'data-search': (o.method + ' ' + o.path + ' ' + (o.op.summary || '')).toLowerCase() }, el('span', { class: 'method m-' + o.method }, o.method.toUpperCase()), o.path)));
      });
      append(nav, el('h2', null, tag), items);
    });
    if (doc.webhooks) {
      append(main, el('h2', { class: 'tag', id: 'webhook-events' }, 'Webhook events'), el('p', null, 'Requests the platform sends to subscriptions.'));
      var hooks = el('ul');
      Object.keys(doc.webhooks).forEach(function (name) {
        var op = doc.webhooks[name].post;
        append(main, operationView(name, 'post', op, 'hook-'));
        append(hooks, el('li', null, el('a', { href: '#hook-' + op.operationId, 'data-search': name }, name)));
      });
      append(nav, el('h2', null, 'Webhook events'), hooks);
    }
    var schemas = (doc.components && doc.components.schemas) || {};
    append(main, el('h2', { class: 'tag', id: 'schemas' }, 'Schemas'));
    var schemaList = el('ul');
    Object.keys(schemas).forEach(function (name) {
      append(main, el('section', { class: 'op', id: 'schema-' + name, 'data-search': name.toLowerCase() }, el('h3', null, el('code', null, name)), schemaView(schemas[name], 0)));
      append(schemaList, el('li', null, el('a', { href: '#schema-' + name, 'data-search': name.toLowerCase() }, name)));
    });
    append(nav, el('h2', null, 'Schemas'), schemaList);
    if (location.hash) { var target = document.getElementById(location.hash.slice(1)); if (target) target.scrollIntoView(); }
  }

  document.getElementById('filter').addEventListener('input', function (e) {
    var q = e.target.value.trim().toLowerCase();
    document.querySelectorAll('[data-search]').forEach(function (node) {
      var item = node.tagName === 'A' ? node.parentNode : node;
      item.hidden = q !== '' && node.getAttribute('data-search').indexOf(q) < 0;
    });
  });

  fetch('/openapi.json', { headers: { accept: 'application/json' } })
    .then(function (res) { if (!res.ok) throw new Error('GET /openapi.json answered ' + res.status); return res.json(); })
    .then(function (json) { doc = json; render(); document.body.setAttribute('data-ready', 'true'); })
    .catch(function (err) {
      var main = document.getElementById('main');
      main.textContent = '';
      append(main, el('h1', null, 'Partner Payments API'), el('p', { role: 'alert' }, 'Could not load the API description: ' + err.message));
      document.body.setAttribute('data-ready', 'error');
    });
})();
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
    `<style>${DOCS_STYLE}</style>`,
    '</head>',
    '<body>',
    '<a class="skip" href="#main">Skip to the reference</a>',
    '<div class="layout">',
    '<nav aria-label="Operations">',
    '<label for="filter">Filter</label>',
    '<input id="filter" type="search" autocomplete="off" placeholder="path, method, schema">',
    '<div id="nav-list"></div>',
    '</nav>',
    '<main id="main" tabindex="-1"><h1>Partner Payments API</h1><p>Loading <a href="/openapi.json">/openapi.json</a> …</p></main>',
    '</div>',
    `<script>${DOCS_SCRIPT}</script>`,
    '</body>',
    '</html>',
  ].join('\n');
}
