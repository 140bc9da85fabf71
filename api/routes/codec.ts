import { Hono, type Context } from 'hono';
import type { Payload } from '@temporalio/common';
import { z } from 'zod';
import type { ApiDeps } from '../api-deps.js';
import type { ApiEnv } from '../api-env.js';
import { ApiError } from '../errors.js';
import { readJson } from '../middleware/json-body.js';

/** Payloads in the Temporal Web UI's codec wire format: protobuf JSON, bytes as base64. */
const Base64 = z.string().max(8 * 1024 * 1024).regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64');
const CodecBody = z.object({
  payloads: z.array(z.object({ metadata: z.record(z.string(), Base64).optional(), data: Base64.optional() })).max(1_000),
});
type JsonPayload = z.infer<typeof CodecBody>['payloads'][number];
const MAX_BODY_BYTES = 16 * 1024 * 1024;

/**
 * `POST /codec/decode|encode`: the Web UI's remote codec, so an operator can read NEXUS's encrypted payloads there.
 * Decrypting is reading every tenant's data, so only an install operator may: in local mode this machine (the
 * API listens on loopback only), in tokens mode an admin token of NEXUS_OPERATOR_ORG covering every project.
 * CORS answers only the configured Web UI origins.
 */
export function codecRoutes(deps: ApiDeps) {
  const app = new Hono<ApiEnv>();
  const log = deps.logger.child({ module: 'api.codec' });

  app.use('/codec/*', async (c, next) => {
    const origin = c.req.header('origin');
    if (origin && deps.codec.origins.includes(origin)) {
      c.header('Access-Control-Allow-Origin', origin);
      c.header('Access-Control-Allow-Credentials', 'true');
      c.header('Access-Control-Allow-Headers', 'content-type, authorization, x-namespace');
      c.header('Access-Control-Allow-Methods', 'POST, OPTIONS');
      c.header('Vary', 'Origin');
    }
    if (c.req.method === 'OPTIONS') return c.body(null, 204);
    await next();
  });

  const handle = (direction: 'encode' | 'decode') => async (c: Context<ApiEnv>) => {
    const principal = c.get('principal') as ApiEnv['Variables']['principal'] | undefined;
    if (!principal) throw new ApiError(401, 'unauthorized', 'send an operator token as "Authorization: Bearer <token>"');
    const operator = principal.kind === 'local'
      || (deps.codec.operatorOrg !== undefined && principal.org_id === deps.codec.operatorOrg && principal.projects === '*' && principal.roles.includes('admin'));
    if (!operator) throw new ApiError(403, 'forbidden', 'only an admin token of the operator org (NEXUS_OPERATOR_ORG) may use the codec');
    const body = await readJson(c, CodecBody, MAX_BODY_BYTES);
    let payloads: Payload[];
    try {
      payloads = await deps.codec.codec[direction](body.payloads.map(fromJson));
    } catch (err) {
      throw new ApiError(400, 'invalid_request', `payloads could not be ${direction}d: ${(err as Error).message}`);
    }
    log.info({ principal: principal.id, direction, payloads: payloads.length, namespace: c.req.header('x-namespace') }, 'codec used');
    return c.json({ payloads: payloads.map(toJson) }, 200);
  };
  app.post('/codec/decode', handle('decode'));
  app.post('/codec/encode', handle('encode'));
  return app;
}

function fromJson(p: JsonPayload): Payload {
  return {
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
    data: Buffer.from(p.data ?? '', 'base64'),
  };
}

function toJson(p: Payload): JsonPayload {
  return {
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
    data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
  };
}

/** Web UI origins the codec answers, from TEMPORAL_UI_URL or, for the embedded dev server, its local address. */
export function codecOrigins(uiUrl: string | undefined, uiPort: number): string[] {
  if (uiUrl) return [new URL(uiUrl).origin];
  return [`http://localhost:${uiPort}`, `http://127.0.0.1:${uiPort}`];
}
