import { z } from 'zod';

export const ErrorCode = z.enum([
  'invalid_request',
  'invalid_json',
  'unsupported_media_type',
  'payload_too_large',
  'spreadsheet_too_large',
  'spreadsheet_invalid',
  'unknown_agent',
  'invalid_params',
  'preview_failed',
  'invalid_tenant',
  'unauthorized',
  'forbidden',
  'rate_limited',
  'not_found',
  'method_not_allowed',
  'conflict',
  'ask_not_pending',
  'command_not_running',
  'digest_mismatch',
  'link_invalid',
  'link_used',
  'link_expired',
  'backend_unavailable',
  'internal',
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

export const ErrorIssue = z.object({ path: z.string(), message: z.string() });
export type ErrorIssue = z.infer<typeof ErrorIssue>;

/** Every 4xx/5xx body the API sends. */
export const ApiErrorBody = z.object({
  error: z.object({ code: ErrorCode, message: z.string(), issues: z.array(ErrorIssue).optional() }),
});
export type ApiErrorBody = z.infer<typeof ApiErrorBody>;
