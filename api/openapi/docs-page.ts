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
  .method { display: inline-block; min-width: 3.5rem; font-weight: 700; font-family: monospace; }
  .path { font-family: monospace; font-weight: 600; }
  table { border-collapse: collapse; margin: .4rem 0; }
  td { border-top: 1px solid #eee; padding: .15rem .8rem .15rem 0; vertical-align: top; }
  pre { background: #f6f6f6; padding: .6rem; overflow: auto; font-size: 13px; }
  code, .mono { font-family: monospace; }
</style>
</head>
<body>
<h1>NEXUS API</h1>
<p id="intro">Loading <a href="/openapi.json">/openapi.json</a>…</p>
<div id="ops"></div>
<script>
(async () => {
  const el = (tag, text, cls) => { const e = document.createElement(tag); if (text) e.textContent = text; if (cls) e.className = cls; return e; };
  const table = (rows) => { const t = el('table'); for (const cells of rows) { const tr = t.insertRow(); for (const c of cells) tr.insertCell().textContent = c; } return t; };
  const doc = await (await fetch('/openapi.json')).json();
  document.getElementById('intro').textContent = doc.info.title + ' ' + doc.info.version + ' — ' + doc.info.description;
  const ops = document.getElementById('ops');
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const h = el('h2'); h.append(el('span', method.toUpperCase(), 'method'), el('span', path, 'path')); ops.append(h);
      ops.append(el('p', op.summary), ...(op.description ? [el('p', op.description)] : []));
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
