import { z } from 'zod';
import { Action, AskId, DecideInput } from './ask.js';
import { ClientKey } from './ids.js';
import { Tenant } from './tenant.js';
import { SignedStandingGrant } from './standing-approval.js';

/** What the workflow asks the assessment about one action. */
export interface AssessActionInput {
  tenant: Tenant;
  action: Action;
  /** The command's, for the log lines the assessment writes. */
  correlation_id?: string;
  /** Who sent the command: under separation of duties, no standing approval they took part in approves it. */
  requested_by?: string;
  /** Who may not approve this action (the editor of an edited action): nor may a standing approval of theirs. */
  excluded?: string[];
}

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
  /**
   * The seq the workflow set aside for the command's `task_started`, which the activity publishes before the agent acts,
   * so a RED action reads ask → decision → started (absent: an earlier step of the command already started it).
   */
  start_seq: z.number().int().nonnegative().optional(),
  /** The run id its progress report ids carry, in a run that is not the workflow's first (ReportSource.report_run). */
  report_run: z.string().min(1).max(100).optional(),
  /**
   * The decisions that approved this exact action, as the API signed them. The activity checks them itself (proof,
   * workflow, ask, digest, quorum) and uses them once: the workflow's word that an ask was approved is not enough.
   */
  approval: z.union([
    z.strictObject({ ask_id: AskId, decisions: z.array(DecideInput).min(1).max(32) }),
    /** Or the standing approval that approved the ask: checked here again, live, and each use audited. */
    z.strictObject({ ask_id: AskId, standing: SignedStandingGrant }),
  ]).optional(),
});
export type RunAgentInput = z.infer<typeof RunAgentInput>;
