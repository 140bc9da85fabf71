// Zod-free on purpose: workflows import these at runtime, and zod would be re-evaluated for every workflow run.

/** ApplicationFailure types the activities raise; the workflow turns them into task_failed codes. */
export const ACTIVITY_FAILURES = {
  unknownAgent: 'unknown_agent',
  invalidParams: 'invalid_params',
  policyInvalid: 'policy_invalid',
  llmUnavailable: 'llm_unavailable',
  llmError: 'llm_error',
  planInvalid: 'plan_invalid',
  agentFailed: 'agent_failed',
  agentTimeout: 'agent_timeout',
  agentUnavailable: 'agent_unavailable',
  tooManyEdits: 'too_many_edits',
  /** A file an instruction came with is not in its tenant's store. */
  fileNotFound: 'file_not_found',
} as const;
export type ActivityFailureCode = (typeof ACTIVITY_FAILURES)[keyof typeof ACTIVITY_FAILURES];

/** Why the worker refused a decision's proof (each refusal is audited). */
export const DECISION_REFUSALS = {
  unsigned: 'decision_unsigned',
  forged: 'decision_forged',
  keyUnknown: 'decision_key_unknown',
  stale: 'decision_stale',
  foreign: 'decision_foreign',
  replayed: 'decision_replayed',
} as const;
export type DecisionRefusalCode = (typeof DECISION_REFUSALS)[keyof typeof DECISION_REFUSALS];

/**
 * Why an agent activity refused to act (each refusal is audited): whoever scheduled it could not show an approval
 * NEXUS signed for exactly this action in this execution, or that approval was used already.
 */
export const EFFECT_REFUSALS = {
  /** The input is not a step NEXUS could have scheduled (malformed, or naming another command than its own). */
  foreign: 'effect_foreign',
  /** RED by NEXUS's own assessment and no approval came with it. */
  unapproved: 'effect_unapproved',
  /** An approval came with it, and it does not hold: proof, ask, digest, role or quorum. */
  approvalInvalid: 'approval_invalid',
  /** The approval already ran its action in another execution (a reset, a second run, a copied input). */
  approvalUsed: 'approval_already_used',
} as const;
export type EffectRefusalCode = (typeof EFFECT_REFUSALS)[keyof typeof EFFECT_REFUSALS];

/**
 * The failure type of anything refused for carrying a payload NEXUS did not encrypt (contracts/refused-payload.ts):
 * a workflow input, an update, an activity's input or result.
 */
export const PAYLOAD_REFUSED = 'payload_refused';

/** The task_failed code of a command whose workflow failed in Temporal without reporting why (api/temporal/closed-commands.ts). */
export const WORKFLOW_FAILED = 'workflow_failed';

/** Failure types the decide update uses; the API maps each to its HTTP answer. */
export const DECIDE_REJECTIONS = {
  unknownAsk: 'ask_unknown',
  /** The workflow has not reached its ask yet (a worker is replaying it); the API retries. */
  notReady: 'ask_not_ready',
  alreadyDecided: 'ask_already_decided',
  /** Too late, but the same person's same decision is one that counted: a retry, answered as accepted. */
  alreadyCounted: 'decision_already_counted',
  expired: 'ask_expired',
  digestMismatch: 'digest_mismatch',
  /** The requester may not approve their own command, nor an editor their edit. */
  separationOfDuties: 'separation_of_duties',
  /** The decider lacks the role (approver; admin too once the ask escalated). */
  notAllowed: 'not_allowed',
  /** Edit and approve is refused when more than one approval is needed: each approver must see the same action. */
  editWithQuorum: 'edit_with_quorum',
  /** The worker could not check the proof now (its audit log unreachable); nothing was recorded, retry. */
  unverifiable: 'decision_unverifiable',
  /** The workflow is closed (finished, or closed outside NEXUS). */
  workflowClosed: 'workflow_closed',
  ...DECISION_REFUSALS,
} as const;
export type DecideRejection = (typeof DECIDE_REJECTIONS)[keyof typeof DECIDE_REJECTIONS];

/** How many seq numbers the workflow sets aside for one step's progress reports. */
export const PROGRESS_SEQ_BLOCK = 1000;

/** Why an approver could not be told about an ask (on the stream as `task_progress.notification.error.code`). */
export const NOTIFY_FAILURES = {
  /** The channel needs a setting this install lacks (NEXUS_NOTIFY_WEBHOOK_SECRET for webhooks). */
  notConfigured: 'notify_not_configured',
  /** The target is no longer in the tenant's policy file (edited since the ask was made). */
  targetGone: 'notify_target_gone',
  /** The ask closed (decided, expired) before its notice went out: nothing is sent. */
  askClosed: 'notify_ask_closed',
  /** The receiver refused the message (a 4xx other than 408 and 429): retrying would not help. */
  refused: 'notify_refused',
  /** The receiver could not be reached or answered 5xx, 408 or 429: retried with backoff. */
  unavailable: 'notify_unavailable',
} as const;
export type NotifyFailureCode = (typeof NOTIFY_FAILURES)[keyof typeof NOTIFY_FAILURES];
