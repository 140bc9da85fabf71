import { z } from 'zod';
import { AskId } from './ask.js';
import { ClientKey } from './ids.js';
import { CommandInput } from './command.js';
import { isLoopback } from './loopback.js';

/** When an approver is told about an ask: when it is made, at its reminder, at its escalation. */
export const NotifyStage = z.enum(['ask', 'reminder', 'escalation']);
export type NotifyStage = z.infer<typeof NotifyStage>;

/**
 * Where a message carrying an approval link may go: https, or http to this machine only (a local relay, a test
 * receiver). A link is a credential; it does not cross a network in the clear.
 */
const NotifyUrl = z.url({ protocol: /^https?$/ }).refine((text) => {
  const url = new URL(text);
  return url.protocol === 'https:' || isLoopback(url.hostname);
}, 'must be https (http only to 127.0.0.1, localhost or [::1])');

/** The language of a message people read (Slack, e-mail); the approval page follows the reader's browser. */
export const NotifyLocale = z.enum(['en', 'ko']);

const TargetBase = {
  /** Whom the link in the message is for: a token id in tokens mode, a name in local mode (as approval links name them). */
  approver: ClientKey,
  /** Default: the ask and its reminder; name `escalation` for whoever should hear only when an ask escalates. */
  stages: z.array(NotifyStage).min(1).max(3).default(['ask', 'reminder']),
};

export const NotifyChannel = z.enum(['webhook', 'slack', 'email', 'alimtalk']);
export type NotifyChannel = z.infer<typeof NotifyChannel>;

/** One place an approver is told about asks, in a policy file's `approval.notify`. */
export const NotifyTarget = z.discriminatedUnion('channel', [
  /** A JSON POST signed the Standard Webhooks way with NEXUS_NOTIFY_WEBHOOK_SECRET. */
  z.strictObject({ channel: z.literal(NotifyChannel.enum.webhook), url: NotifyUrl, ...TargetBase }),
  /** A Slack incoming webhook (its URL is the credential to post to the channel). */
  z.strictObject({ channel: z.literal(NotifyChannel.enum.slack), url: NotifyUrl, locale: NotifyLocale.default('en'), ...TargetBase }),
  /** An e-mail through the install's mail server (NEXUS_SMTP_URL, NEXUS_SMTP_FROM). */
  z.strictObject({ channel: z.literal(NotifyChannel.enum.email), to: z.email().max(254), locale: NotifyLocale.default('en'), ...TargetBase }),
  /** KakaoTalk AlimTalk through NAVER Cloud SENS, with the approval template (SENS_NOTIFY_TEMPLATE_CODE); Korean. */
  z.strictObject({ channel: z.literal(NotifyChannel.enum.alimtalk), phone: z.string().regex(/^01[016789]-?\d{3,4}-?\d{4}$/, 'must be a Korean mobile number like 010-1234-5678'), ...TargetBase }),
]);
export type NotifyTarget = z.infer<typeof NotifyTarget>;

/**
 * A notify target as the workflow knows it: no address (that stays in the policy file, out of Temporal's
 * history), only what says whom and when, and `target`, the id the activity finds the address under again.
 */
export const NotifyPlan = z.object({
  target: z.string().regex(/^[0-9a-f]{16}$/),
  channel: NotifyChannel,
  approver: ClientKey,
  stages: z.array(NotifyStage),
});
export type NotifyPlan = z.infer<typeof NotifyPlan>;

/**
 * The notify activity's input: one target, one stage of one ask. Ids only: what the message says about the ask
 * (title, risk, expiry, digest) is read from the ask as NEXUS recorded it, never taken from whoever scheduled this.
 */
export const ApproverNotice = CommandInput.pick({ tenant: true, correlation_id: true, workflow_id: true, command_id: true }).extend({
  ask_id: AskId,
  stage: NotifyStage,
  target: NotifyPlan,
});
export type ApproverNotice = z.infer<typeof ApproverNotice>;

/** What a `task_progress` report says about one notice: sent, or given up on (never the link or the address). */
export const NotificationOutcome = z.object({
  ask_id: AskId,
  stage: NotifyStage,
  channel: NotifyChannel,
  approver: z.string(),
  target: z.string(),
  status: z.enum(['sent', 'failed']),
  attempts: z.number().int().positive(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
});
export type NotificationOutcome = z.infer<typeof NotificationOutcome>;
