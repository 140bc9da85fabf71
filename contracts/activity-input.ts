import { z } from 'zod';
import { Action } from './ask.js';
import { ClientKey } from './ids.js';
import { Tenant } from './tenant.js';

/** What the workflow hands the agent activity for one step. */
export const RunAgentInput = Action.extend({
  workflow_id: z.string(),
  correlation_id: ClientKey,
  command_id: ClientKey,
  tenant: Tenant,
  /** Stable across retries of this activity: the agent hands it to the outside world. */
  idempotency_key: z.string(),
  /** The workflow reserved seq numbers [progress_seq_base, +PROGRESS_SEQ_BLOCK) for this step's progress (-1: none). */
  progress_seq_base: z.number().int(),
});
export type RunAgentInput = z.infer<typeof RunAgentInput>;
