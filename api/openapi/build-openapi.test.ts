import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { CommandRequest, DecideRequest } from '../../contracts/index.js';
import { buildOpenApi } from './build-openapi.js';

const document = buildOpenApi({ maxBodyBytes: 4096 });
const ajv = new Ajv2020({ strict: false, allErrors: true });
ajv.addSchema(document, 'openapi');
const validator = (name: string) => {
  const validate = ajv.getSchema(`openapi#/components/schemas/${name}`);
  if (!validate) throw new Error(`no component ${name}`);
  return (value: unknown) => validate(value) as boolean;
};

describe('the OpenAPI document', () => {
  it('describes each event of the report stream, as an SSE parser reads it', () => {
    const validate = ajv.getSchema('openapi#/paths/~1agent~1reports~1stream/get/responses/200/content/text~1event-stream/schema');
    if (!validate) throw new Error('no event schema for the stream');
    const ok = (event: unknown) => validate(event) as boolean;
    expect(ok({ event: 'report', id: '1700000000000-0', data: '{}' })).toBe(true);
    expect(ok({ event: 'live', data: '{"last_id":null}' })).toBe(true);
    expect(ok({ event: 'end', data: '{}' })).toBe(true);
    expect(ok({ event: 'report', data: '{}' })).toBe(false);
    expect(ok({ event: 'message', data: 'hello' })).toBe(false);
    expect(ok({ event: 'live', data: { last_id: null } })).toBe(false);
    expect(ok('a string')).toBe(false);
  });

  it('is plain JSON (nothing lost in serialisation)', () => {
    expect(JSON.parse(JSON.stringify(document))).toEqual(document);
    expect(document.openapi).toBe('3.1.0');
  });

  it.each([
    ['post', '/sidecar/command', ['202', '400', '401', '403', '409', '413', '415', '429', '503']],
    ['post', '/approvals/{ask_id}/decide', ['202', '400', '401', '403', '404', '409', '413', '415', '429', '503']],
    ['post', '/commands/{command_id}/cancel', ['202', '400', '401', '403', '404', '409', '413', '415', '429', '503']],
    ['post', '/commands/{command_id}/rerun', ['202', '400', '401', '403', '404', '409', '413', '415', '429', '503']],
    ['get', '/agent/reports/stream', ['200', '400', '401', '403', '429', '503']],
    ['post', '/approvals/{ask_id}/links', ['201', '400', '401', '403', '404', '409', '413', '415', '429', '503']],
    ['post', '/standing-approvals', ['201', '400', '401', '403', '409', '413', '415', '429', '503']],
    ['get', '/standing-approvals', ['200', '400', '401', '403', '429', '503']],
    ['get', '/standing-approvals/{id}', ['200', '400', '401', '403', '404', '429', '503']],
    ['post', '/standing-approvals/{id}/approve', ['200', '400', '401', '403', '404', '409', '413', '415', '429', '503']],
    ['post', '/standing-approvals/{id}/revoke', ['200', '400', '401', '403', '404', '409', '413', '415', '429', '503']],
    ['get', '/approve/{link}', ['200', '403', '404', '409', '410', '429', '503']],
    ['post', '/approve/{link}', ['202', '400', '403', '404', '409', '410', '413', '415', '429', '503']],
    ['post', '/auth/stream-ticket', ['201', '400', '401', '403', '429', '503']],
    ['get', '/health', ['200', '503']],
    ['get', '/metrics', ['200']],
    ['get', '/agents', ['200']],
    ['post', '/agents/{agent}/preview', ['200', '400', '401', '403', '404', '413', '415', '422', '429', '503']],
    ['get', '/openapi.json', ['200']],
    ['get', '/docs', ['200']],
    ['get', '/ui', ['200']],
    ['get', '/ui/commands/{correlation_id}', ['200', '404']],
    ['post', '/files', ['201', '400', '401', '403', '413', '415', '422', '429', '503']],
    ['get', '/files', ['200', '400', '401', '403', '429', '503']],
    ['get', '/files/{file_id}', ['200', '400', '401', '403', '404', '429', '503']],
  ] as const)('documents %s %s with its statuses', (method, path, statuses) => {
    const operation = document.paths[path]?.[method];
    expect(operation).toBeDefined();
    expect(Object.keys(operation?.responses ?? {}).sort()).toEqual([...statuses].sort());
  });

  it('puts Retry-After on every 429 and 503', () => {
    for (const item of Object.values(document.paths)) {
      for (const operation of Object.values(item)) {
        for (const status of ['429', '503']) {
          const answer = operation.responses[status];
          if (answer) expect(answer.headers?.['Retry-After']?.required).toBe(true);
        }
      }
    }
  });

  it('requires valid tenant headers on the tenant routes', () => {
    const orgId = document.paths['/sidecar/command']?.post?.parameters?.find((p) => p.name === 'x-org-id');
    expect(orgId).toMatchObject({ in: 'header', required: true, schema: { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]{0,62}$' } });
  });

  it('only has references that resolve inside the document, and no nested $defs that would not', () => {
    const text = JSON.stringify(document);
    expect(text).not.toContain('"$defs"');
    for (const [, name] of text.matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)) {
      expect(document.components.schemas).toHaveProperty(name ?? '');
    }
  });

  it('accepts and refuses command bodies exactly as the zod contract does', () => {
    const valid = validator('CommandRequest');
    const bodies: unknown[] = [
      { type: 'agent.run', agent: 'echo', params: { hello: 'world' } },
      { type: 'agent.run', agent: 'echo' }, // params has a default: optional on input
      { type: 'instruction', text: 'summarise the week', risk_level: 'RED', command_id: 'c-1' },
      { type: 'agent.run', agent: 'echo', params: {}, approved: true }, // additional property
      { type: 'instruction', text: '' },
      { type: 'shell', agent: 'echo' },
      { type: 'agent.run', agent: 'echo', command_id: 'a b' },
      [{ type: 'agent.run', agent: 'echo' }],
    ];
    for (const body of bodies) expect([JSON.stringify(body), valid(body)]).toEqual([JSON.stringify(body), CommandRequest.safeParse(body).success]);
    expect(valid(bodies[3])).toBe(false);
  });

  it('accepts and refuses decide bodies exactly as the zod contract does', () => {
    const valid = validator('DecideRequest');
    const bodies: unknown[] = [
      { decision: 'approve', action_digest: `sha256:${'a'.repeat(64)}` },
      { decision: 'deny', reason: 'no' },
      { decision: 'maybe' },
      { decision: 'approve', forged: true },
      { decision: 'approve', action_digest: 'md5:1' },
    ];
    for (const body of bodies) expect([JSON.stringify(body), valid(body)]).toEqual([JSON.stringify(body), DecideRequest.safeParse(body).success]);
  });

  it('gives request examples the contracts accept (the fuzzer sends them first)', () => {
    expect(CommandRequest.safeParse(document.paths['/sidecar/command']?.post?.requestBody?.content['application/json']?.example).success).toBe(true);
    expect(DecideRequest.safeParse(document.paths['/approvals/{ask_id}/decide']?.post?.requestBody?.content['application/json']?.example).success).toBe(true);
  });
});
