import { z } from 'zod';
import { Action, ActionDigest, AskId, Decision } from './ask.js';
import { AgentName } from './command.js';
import { ClientKey } from './ids.js';
import { LlmUsage } from './plan.js';
import { NotificationOutcome } from './notify.js';
import { RiskLevel } from './risk.js';
import { StandingApprovalId } from './standing-approval.js';
import { TenantId } from './tenant.js';

export const TaskError = z.object({
  code: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/),
  message: z.string(),
  retryable: z.boolean(),
});
export type TaskError = z.infer<typeof TaskError>;

export const StallNotice = z.object({
  state: z.enum(['stalled', 'moving']),
  cause: z.string().regex(/^[A-Za-z]{1,64}$/),
  since: z.iso.datetime(),
});
export type StallNotice = z.infer<typeof StallNotice>;

const Envelope = {
  report_id: z.string().min(1).max(400),
  seq: z.number().int().nonnegative(),
  correlation_id: ClientKey,
  command_id: ClientKey,
  workflow_id: z.string().min(1).max(300),
  org_id: TenantId,
  project_id: TenantId,
  ts: z.iso.datetime(),
};

function report<T extends string, P extends z.ZodType>(type: T, payload: P) {
  return z.object({ ...Envelope, report_type: z.literal(type), payload });
}

export const CommandAcceptedReport = report(
  'command_accepted',
  z.object({
    type: z.enum(['agent.run', 'instruction']),
    agent: AgentName.optional(),
    risk_floor: RiskLevel.optional(),
    /** Who sent the command (token id or local user): the audit of accepted commands is written from this report. */
    requested_by: z.string().max(200).optional(),
    /** This command repeats the request of an earlier one (a re-run): that command's command_id. */
    rerun_of: ClientKey.optional(),
    /** A re-run with changes: the params whose value differs from the repeated command's (e.g. `["channel"]`). */
    rerun_changes: z.array(z.string()).optional(),
  }),
);
export const TaskStartedReport = report('task_started', z.object({ agent: AgentName.optional() }));
export const TaskProgressReport = report(
  'task_progress',
  z.object({
    message: z.string().optional(),
    done: z.number().optional(),
    total: z.number().optional(),
    /** Set when an instruction was planned: the calls the model proposed and what planning cost. */
    plan: z.object({ title: z.string(), calls: z.array(Action), suggested_risk: RiskLevel, revision: z.number().int() }).optional(),
    /** Set for the stages of an open ask: one approval of a quorum, a reminder, an escalation. */
    ask: z.object({
      ask_id: AskId,
      stage: z.enum(['approval', 'reminder', 'escalation']),
      approvals: z.number().int().nonnegative(),
      quorum: z.number().int().positive(),
      decided_by: z.string().optional(),
      expires_at: z.iso.datetime(),
    }).optional(),
    llm: LlmUsage.optional(),
    /**
     * Set by NEXUS's stall check, not by the workflow: the command's workflow task keeps failing, so it makes no
     * progress (`stalled`, with Temporal's cause), or it was stalled and moves again (`moving`).
     */
    stalled: StallNotice.optional(),
    /** Set when an approver was told about an ask (or NEXUS gave up telling them): never the link, never the address. */
    notification: NotificationOutcome.optional(),
  }),
);
export const AskCreatedReport = report(
  'ask_created',
  z.object({
    ask_id: AskId,
    risk_level: RiskLevel,
    title: z.string(),
    description: z.string(),
    action: Action,
    action_digest: ActionDigest,
    options: z.array(z.enum(['approve', 'deny'])),
    expires_at: z.iso.datetime(),
    /** Why the action is at this level: the policy rules that matched, the model's suggestion. */
    risk_reasons: z.array(z.string()).optional(),
    /** What the agent's preview found: counts, invalid rows, samples — before anything happened. */
    preview: z.record(z.string(), z.unknown()).optional(),
    /** Approvals needed (M of N) and whether the requester is excluded. */
    quorum: z.number().int().positive().optional(),
    separation_of_duties: z.boolean().optional(),
    /** What the planning model wrote about the action: its words, shown apart from (and after) NEXUS's facts. */
    model_words: z.object({ title: z.string(), description: z.string() }).optional(),
    /** The instruction the command was sent with, verbatim. */
    instruction: z.string().optional(),
    /** This ask is about an approver's edit of an earlier ask's action. */
    edited_from: z.object({ ask_id: AskId, edited_by: z.string() }).optional(),
    /** Who may not approve this ask (the editor of its action). */
    excluded_deciders: z.array(z.string()).optional(),
  }),
);
export const AskResolvedReport = report(
  'ask_resolved',
  z.object({
    ask_id: AskId,
    decision: Decision,
    decided_by: z.string(),
    reason: z.string().optional(),
    /** Present when the approver edited the params: exactly what will run, and its digest. */
    edited_action: Action.optional(),
    edited_action_digest: ActionDigest.optional(),
    /** The approval was an edit: the edited action is a new action, assessed and (when RED) asked about again. */
    superseded_by_edit: z.boolean().optional(),
    /**
     * Closed without a decision of its own (`decided_by` is `nexus`): the plan it belonged to ended first (another
     * of its asks was denied or expired, or the command was cancelled); nothing of it ran.
     */
    withdrawn: z.boolean().optional(),
    /** Approved by this standing approval, without asking anyone; `decisions` are the approvals it was made with. */
    standing_approval_id: StandingApprovalId.optional(),
    /** Every decision that counted, with who, when, why and the digest they approved. */
    decisions: z.array(z.object({
      decided_by: z.string(),
      decision: Decision,
      reason: z.string().optional(),
      decided_at: z.iso.datetime(),
      action_digest: ActionDigest,
    })).optional(),
  }),
);
export const AskExpiredReport = report('ask_expired', z.object({ ask_id: AskId, expired_at: z.iso.datetime() }));
export const TaskCompletedReport = report(
  'task_completed',
  z.object({ result: z.unknown(), risk_level: RiskLevel, duration_ms: z.number().nonnegative() }),
);
export const TaskFailedReport = report('task_failed', z.object({ error: TaskError, duration_ms: z.number().nonnegative() }));
export const TaskCancelledReport = report(
  'task_cancelled',
  z.object({ reason: z.string(), ask_id: AskId.optional() }),
);

/** Every report NEXUS publishes; one schema for the workflow, the bridge, the API, the UI and the tests. */
export const Report = z.discriminatedUnion('report_type', [
  CommandAcceptedReport,
  TaskStartedReport,
  TaskProgressReport,
  AskCreatedReport,
  AskResolvedReport,
  AskExpiredReport,
  TaskCompletedReport,
  TaskFailedReport,
  TaskCancelledReport,
]);
export type Report = z.infer<typeof Report>;
export type ReportType = Report['report_type'];
export type ReportOf<T extends ReportType> = Extract<Report, { report_type: T }>;
export type ReportPayload<T extends ReportType> = ReportOf<T>['payload'];

/** The SSE `gap` event: the cursor was older than the retained history. */
export const GapEvent = z.object({
  cursor: z.string(),
  first_available_id: z.string().nullable(),
  message: z.string(),
});
export type GapEvent = z.infer<typeof GapEvent>;

/**
 * The SSE `live` event: history up to the moment of joining has been sent and the stream now follows new reports.
 * Until it arrives a client is catching up, not live; `last_id` is the newest id this stream has passed (null: none).
 */
export const LiveEvent = z.object({
  last_id: z.string().nullable(),
});
export type LiveEvent = z.infer<typeof LiveEvent>;

/** The most reports one bounded page (`?limit=`) may carry. */
export const STREAM_PAGE_MAX = 1000;

/** `?limit=` of the stream: a whole number of reports, 1 … STREAM_PAGE_MAX. */
export const StreamPageLimit = z.string()
  .regex(/^[1-9]\d{0,3}$/, `must be a whole number from 1 to ${STREAM_PAGE_MAX}`)
  .transform(Number)
  .refine((n) => n <= STREAM_PAGE_MAX, `must be a whole number from 1 to ${STREAM_PAGE_MAX}`);

/**
 * The SSE `end` event of a bounded page (`?limit=` or `?asks=open`): the page is complete and the stream closes.
 * `oldest_id` and `newest_id` bound what a `backward` or `forward` page *read* (with a `correlation_id` filter, more
 * than it sent): a backward page continues with `before=<oldest_id>`, a forward page with `cursor=<newest_id>`, and a
 * live stream opened with `cursor=<newest_id>` misses nothing after the page. `more` is false once the far end was
 * reached (the oldest retained report, or the newest one at the time of reading; for `open_asks`, every open ask
 * was sent); `trimmed_up_to` says reports up to that id are gone.
 */
export const PageEndEvent = z.object({
  page: z.enum(['backward', 'forward', 'open_asks']),
  count: z.number().int().nonnegative(),
  scanned: z.number().int().nonnegative(),
  oldest_id: z.string().nullable(),
  newest_id: z.string().nullable(),
  more: z.boolean(),
  trimmed_up_to: z.string().nullable(),
});
export type PageEndEvent = z.infer<typeof PageEndEvent>;
