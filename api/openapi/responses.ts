import type { Header, JsonSchema, Response } from './openapi-types.js';
import { ref } from './schemas.js';

export const RETRY_AFTER: Header = {
  description: 'Seconds to wait before trying again.',
  required: true,
  schema: { type: 'string', pattern: '^[0-9]+$' },
};

export function json(description: string, schema: JsonSchema): Response {
  return { description, content: { 'application/json': { schema } } };
}

/** Every 4xx/5xx is the one JSON error shape of contracts/errors.ts (`ApiErrorBody`); `codes` lists the `error.code`s this status carries. */
export function error(codes: string[], why: string): Response {
  return json(`${why} (\`error.code\`: ${codes.map((c) => `\`${c}\``).join(', ')})`, ref('ApiErrorBody'));
}

export function unavailable(what: string): Response {
  return { ...error(['backend_unavailable'], `${what} did not answer; nothing was done, retry later`), headers: { 'Retry-After': RETRY_AFTER } };
}

export function bodyErrors(maxBodyBytes: number): Record<string, Response> {
  return {
    '413': error(['payload_too_large'], `The body is larger than ${maxBodyBytes} bytes`),
    '415': error(['unsupported_media_type'], 'The body was not sent as `application/json`'),
  };
}

/**
 * The answers of the gate every tenant route has (api/middleware/auth.ts, limits.ts): 401 without a valid token
 * (tokens mode), 403 when the token's org, projects or roles do not cover the tenant, 429 past a limit.
 */
export function authErrors(roles: string, limits = 'the per-org rate limit'): Record<string, Response> {
  return {
    '401': error(['unauthorized'], 'Tokens mode: no `Authorization: Bearer <token>`, or an unknown, revoked or expired token or ticket'),
    '403': error(['forbidden'], `The token's org, projects or roles do not cover this tenant (needs ${roles})`),
    '429': { ...error(['rate_limited'], `Past ${limits}; wait \`Retry-After\` seconds`), headers: { 'Retry-After': RETRY_AFTER } },
  };
}

export function html(description: string): Response {
  return { description, content: { 'text/html': { schema: { type: 'string' } } } };
}
