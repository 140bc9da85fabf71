import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ZodError } from 'zod';
import type { ErrorCode, ErrorIssue } from '../contracts/index.js';
import type { Logger } from '../infra/logger.js';
import type { ApiEnv } from './api-env.js';
import { loggablePath } from './middleware/loggable-path.js';

/** The one error type routes throw; `onError` turns it into the JSON error body (`ApiErrorBody` in contracts/errors.ts). */
export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: ErrorCode,
    message: string,
    readonly issues?: ErrorIssue[],
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  static fromZod(error: ZodError, code: ErrorCode = 'invalid_request', prefix = ''): ApiError {
    const issues = error.issues.map((issue) => ({
      path: [prefix, ...issue.path.map(String)].filter(Boolean).join('.') || '(body)',
      message: issue.message,
    }));
    const first = issues[0];
    return new ApiError(400, code, first ? `${first.path}: ${first.message}` : 'invalid request', issues);
  }

  static unavailable(what: string, retryAfterSeconds = 5): ApiError {
    return new ApiError(503, 'backend_unavailable', `${what} is unavailable; try again shortly`, undefined, retryAfterSeconds);
  }
}

/** What every refusal's answer carries whatever its format: the code for the audit trail, and `Retry-After`. */
export function markRefusal(c: Context, err: ApiError): void {
  (c as Context<ApiEnv>).set('errorCode', err.code);
  if (err.retryAfterSeconds !== undefined) c.header('Retry-After', String(err.retryAfterSeconds));
}

export function errorResponse(c: Context, err: ApiError): Response {
  markRefusal(c, err);
  const body = { error: { code: err.code, message: err.message, ...(err.issues ? { issues: err.issues } : {}) } };
  return c.json(body, err.status);
}

/** Anything that is not an ApiError is our fault: logged with its stack, answered without one. */
export function createErrorHandler(logger: Logger) {
  return (err: Error, c: Context): Response => {
    if (err instanceof ApiError) return errorResponse(c, err);
    const status = (err as { status?: number }).status;
    if (status === 413) return errorResponse(c, new ApiError(413, 'payload_too_large', 'request body too large'));
    logger.error({ err: err.message, stack: err.stack, path: loggablePath(c.req.path), correlation_id: c.get('correlationId') }, 'unhandled error');
    return errorResponse(c, new ApiError(500, 'internal', 'internal error'));
  };
}
