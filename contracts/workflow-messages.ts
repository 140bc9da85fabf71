import { z } from 'zod';
import { AskId } from './ask.js';

/** What the `decide` update answers; `final`: this decision settled the ask (a deny, an edit, or the approval that met the quorum). */
export const DecideResult = z.object({ accepted: z.literal(true), final: z.boolean() });
export type DecideResult = z.infer<typeof DecideResult>;

/** What the `state` query answers. */
export const CommandState = z.object({
  status: z.enum(['accepted', 'running', 'waiting_for_approval', 'completed', 'failed', 'cancelled', 'expired']),
  pending_ask_id: AskId.nullable(),
});
export type CommandState = z.infer<typeof CommandState>;
