import { z } from 'zod';
import { AskId, DecideRequest } from './ask.js';
import { ClientKey } from './ids.js';
import { MAX_BATCH_DECISIONS } from './batch-limit.js';
import { ErrorCode } from './errors.js';

/** One decision of a batch: the single decide's body, for the ask it names. No edits: an edit is looked at alone. */
export const BatchDecision = DecideRequest.omit({ params: true }).extend({ ask_id: AskId });
export type BatchDecision = z.infer<typeof BatchDecision>;

/** The body of `POST /approvals/decide`: several asks decided at once, each still bound to its own digest. */
export const BatchDecideRequest = z.strictObject({
  decisions: z
    .array(BatchDecision)
    .min(1)
    .max(MAX_BATCH_DECISIONS)
    .refine((items) => new Set(items.map((i) => i.ask_id)).size === items.length, 'each ask once'),
});
export type BatchDecideRequest = z.infer<typeof BatchDecideRequest>;

/** What became of one decision: accepted (its workflow took it) or refused with the answer the single decide gives. */
export const BatchDecisionResult = z.discriminatedUnion('status', [
  z.object({ status: z.literal('accepted'), ask_id: AskId, correlation_id: ClientKey }),
  z.object({
    status: z.literal('refused'),
    ask_id: AskId,
    http_status: z.number().int().min(400).max(599),
    error: z.object({ code: ErrorCode, message: z.string() }),
    correlation_id: ClientKey.optional(),
  }),
]);
export type BatchDecisionResult = z.infer<typeof BatchDecisionResult>;

/** The 202 of a batch with at least one accepted decision; the results are in the order of the request. */
export const BatchDecideAccepted = z.object({
  status: z.literal('accepted'),
  accepted: z.number().int().nonnegative(),
  refused: z.number().int().nonnegative(),
  results: z.array(BatchDecisionResult),
});
export type BatchDecideAccepted = z.infer<typeof BatchDecideAccepted>;
