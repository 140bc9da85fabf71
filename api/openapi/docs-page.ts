/**
 * `GET /docs`: the operations of /openapi.json as a plain page. Offline on purpose (no CDN, no Swagger UI
 * bundle): it must work on an air-gapped install. Everything is inserted with `textContent`, never as HTML.
 */
export const DOCS_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>NEXUS API</title>
<style>
  body { font: 15px/1.5 system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
  h2 { border-bottom: 1px solid #ddd; padding-bottom: .2rem; margin-top: 2rem; }
  .method { display: inline-block; min-width: 3.5rem; margin-right: .6rem; font-weight: 700; font-family: monospace; }
  .path { font-family: monospace; font-weight: 600; }
  table { border-collapse: collapse; margin: .4rem 0; }
  td { border-top: 1px solid #eee; padding: .15rem .8rem .15rem 0; vertical-align: top; }
  pre { background: #f6f6f6; padding: .6rem; overflow: auto; font-size: 13px; }
  code, .mono { font-family: monospace; }
  p code, td code { background: #f1f1f1; padding: 0 .25rem; border-radius: 3px; }
  pre.example { background: #1f2430; color: #e6e6e6; white-space: pre-wrap; word-break: break-all; }
</style>
</head>
<body>
<h1>NEXUS API</h1>
<p id="intro">Loading <a href="/openapi.json">/openapi.json</a>…</p>
<div id="ops"></div>
<script>
(async () => {
  const el = (tag, text, cls) => { const e = document.createElement(tag); if (text) e.textContent = text; if (cls) e.className = cls; return e; };
  const table = (rows) => { const t = el('table'); for (const cells of rows) { const tr = t.insertRow(); for (const c of cells) tr.insertCell().append(inline(c ?? '')); } return t; };
  // Written without backslashes: this script sits in a template literal, which would eat them.
  const TICK = String.fromCharCode(96), BS = String.fromCharCode(92), NL = String.fromCharCode(10);
  const MARKUP = new RegExp('(' + TICK + '[^' + TICK + ']+' + TICK + '|[*][*][^*]+[*][*])');
  // The document's Markdown is inline only (code in backticks, **bold**): built as nodes, never parsed as HTML.
  function inline(text) {
    const out = document.createDocumentFragment();
    for (const part of String(text).split(MARKUP)) {
      if (part.length > 1 && part.startsWith(TICK) && part.endsWith(TICK)) out.append(el('code', part.slice(1, -1)));
      else if (part.length > 3 && part.startsWith('**') && part.endsWith('**')) out.append(el('strong', part.slice(2, -2)));
      else if (part) out.append(part);
    }
    return out;
  }
  const para = (text) => { const p = el('p'); p.append(inline(text)); return p; };
  /** A request a person can paste: this server, the tenant acme/web, the documented example body. */
  function curlFor(method, path, op) {
    const q = (s) => "'" + s.split("'").join("'" + BS + "''") + "'";
    const lines = ['curl -i' + (method === 'get' ? '' : ' -X ' + method.toUpperCase()) + (path === '/agent/reports/stream' ? ' -N' : '')];
    const headers = (op.parameters ?? []).filter((p) => p.in === 'header' && p.required);
    for (const h of headers) lines.push('-H ' + q(h.name + ': ' + (h.name === 'x-org-id' ? 'acme' : h.name === 'x-project-id' ? 'web' : '<' + h.name + '>')));
    const content = op.requestBody?.content ?? {};
    if (content['application/json']) lines.push("-H 'content-type: application/json'", '-d ' + q(JSON.stringify(content['application/json'].example ?? {})));
    else if (content['multipart/form-data']) lines.push('-F file=@class-3a.xlsx');
    let url = location.origin + path.replace(/[{]([a-z_]+)[}]/g, (_, name) => '<' + name + '>');
    if (path === '/agent/reports/stream') url += '?org_id=acme&project_id=web';
    lines.push(q(url));
    return lines.join(' ' + BS + NL + '  ');
  }
  const doc = await (await fetch('/openapi.json')).json();
  const intro = document.getElementById('intro');
  intro.replaceChildren(inline(doc.info.title + ' ' + doc.info.version + ' — ' + doc.info.description));
  intro.after(el('p', 'Each operation has a curl example against this server, in the tenant acme/web. With NEXUS_AUTH=tokens add -H "authorization: Bearer $TOKEN".'));
  const ops = document.getElementById('ops');
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const h = el('h2'); h.append(el('span', method.toUpperCase(), 'method'), el('span', path, 'path')); ops.append(h);
      ops.append(para(op.summary), ...(op.description ? [para(op.description)] : []));
      ops.append(el('pre', curlFor(method, path, op), 'example'));
      if (op.parameters?.length) ops.append(table(op.parameters.map((p) => [p.name, p.in, p.required ? 'required' : 'optional', p.description, p.schema.pattern ?? ''])));
      for (const [type, media] of Object.entries(op.requestBody?.content ?? {})) {
        const d = el('details'); d.append(el('summary', 'Request body (' + type + ')'), el('pre', JSON.stringify(resolve(media.schema), null, 2))); ops.append(d);
      }
      ops.append(table(Object.entries(op.responses).map(([status, r]) => [status, Object.keys(r.content ?? {}).join(', '), r.description])));
    }
  }
  function resolve(schema) { return schema.$ref ? doc.components.schemas[schema.$ref.split('/').pop()] : schema; }
})().catch((err) => { document.getElementById('intro').textContent = 'Could not load /openapi.json: ' + err; });
</script>
</body>
</html>
`;
