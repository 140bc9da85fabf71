import { ApplicationFailure, Context, sleep } from '@temporalio/activity';
import {
  commandOfWorkflowId,
  EFFECT_REFUSALS,
  NOTIFY_FAILURES,
  ApproverNotice,
  type ApprovalLinkRecord,
  type NotifyTarget,
  type ReportOf,
} from '../../contracts/index.js';
import type { Logger } from '../../infra/logger.js';
import type { ApprovalLinks } from '../../infra/store/approval-links.js';
import { askCreatedOf, type AskIndex } from '../../infra/store/ask-index.js';
import type { AuditLog } from '../../infra/store/audit-log.js';
import type { LinkSeal } from '../../infra/trust/link-seal.js';
import { refuseEffect, schedulingExecution } from '../effect-refusal.js';
import type { PolicyStore } from '../../infra/files/policy-store.js';
import { tenantPolicy } from '../policy/tenant-policy.js';
import { NoticeError, postNotice } from './notice-error.js';
import { notifyTargetId } from './notify-target-id.js';
import { emailMessage } from './email-notice.js';
import { NOTICE_WORDS } from './notice-words.js';
import { slackMessage } from './slack-notice.js';
import type { SmtpSender } from './smtp-sender.js';
import { alimtalkMessage } from './alimtalk-notice.js';
import { AgentError } from '../../agents/agent-error.js';
import type { OutgoingMessage, SensAlimtalkClient } from '../../agents/student-excel-kakao/sens-alimtalk-client.js';
import { WEBHOOK_EVENT, webhookHeaders, webhookSecretBytes } from './webhook-notice.js';

export interface NotifyDeps {
  policies: PolicyStore;
  /** The ask as the bridge recorded it: what a message says, and proof the ask is the scheduling command's own. */
  asks: AskIndex;
  links: { store: ApprovalLinks; seal: LinkSeal; publicUrl: string };
  /** `tokens`: the approver is a token id, checked again when the link is used. */
  authMode: 'local' | 'tokens';
  /** KakaoTalk through SENS with the approval template; no AlimTalk without it. */
  alimtalk: { client: SensAlimtalkClient; templateCode: string } | undefined;
  /** Standard Webhooks secret (`whsec_…`); webhooks are not sent without it. */
  webhookSecret: string | undefined;
  /** The install's mail server; no e-mail without it. */
  mail: SmtpSender | undefined;
  timeoutMs: number;
  audit: AuditLog;
  logger: Logger;
}

/** A link decides with at most these; a token approver's own roles narrow them again when it is used. */
const LINK_ROLES = ['approver', 'admin'];
/** The ask is published a moment before its notices start; the bridge usually records it within milliseconds. */
const ASK_RECORDED_WAIT_MS = 3_000;

type AskFacts = ReportOf<'ask_created'>['payload'];

/**
 * Tells one approver about one stage of an ask, on one channel, with a link only they can decide with. Nothing in
 * the message comes from the input: the address is the tenant's policy file's, the facts are the ask's as NEXUS
 * recorded it, and the ask must belong to the workflow that really scheduled this (somebody else's workflow cannot
 * have NEXUS send a link, or words of its choosing, to anyone). A failure is thrown with its code; the workflow's
 * retries are the backoff, and the last one is reported on the stream.
 */
export function createNotifyApprover(deps: NotifyDeps) {
  const log = deps.logger.child({ module: 'notify' });
  return async function notifyApprover(input: ApproverNotice): Promise<{ attempts: number }> {
    const attempts = Context.current().info.attempt;
    const scheduler = schedulingExecution().workflow_id;
    const real = commandOfWorkflowId(scheduler);
    const parsed = ApproverNotice.safeParse(input);
    if (!parsed.success) return refuseEffect(deps, EFFECT_REFUSALS.foreign, 'a notice NEXUS could not have scheduled', {});
    const notice = parsed.data;
    const refuse = (message: string) => refuseEffect(deps, EFFECT_REFUSALS.foreign, message, { ask_id: notice.ask_id, correlation_id: notice.correlation_id });
    if (!real || scheduler !== notice.workflow_id || real.tenant.org_id !== notice.tenant.org_id || real.tenant.project_id !== notice.tenant.project_id) {
      return refuse('a notice names another command than the workflow that scheduled it');
    }
    const ctx = { correlation_id: notice.correlation_id, ask_id: notice.ask_id, stage: notice.stage, channel: notice.target.channel, approver: notice.target.approver, target: notice.target.target, attempt: attempts };
    try {
      const ask = await recordedAsk(notice);
      if (ask.report.workflow_id !== scheduler) return await refuse('a notice names an ask of another command');
      if (ask.status !== 'pending') throw new NoticeError(NOTIFY_FAILURES.askClosed, 'the ask is no longer open', false);
      const policy = await tenantPolicy(deps.policies, real.tenant);
      const target = policy.approval?.notify?.find((t) => notifyTargetId(t) === notice.target.target);
      if (!target) throw new NoticeError(NOTIFY_FAILURES.targetGone, 'this notify target is no longer in the policy file', false);
      // A channel this install cannot use fails before any link is made.
      const deliver = deliveryFor(notice, target, ask.report.payload);
      await deliver(await issueLink(notice, target, ask.report.payload));
      log.info(ctx, 'approver notified');
      return { attempts };
    } catch (err) {
      if (!(err instanceof NoticeError)) throw err;
      log.warn({ ...ctx, code: err.code, err: err.message }, err.retryable ? 'approver notice failed; retrying' : 'approver notice failed for good');
      throw ApplicationFailure.create({
        type: err.code,
        message: err.message,
        nonRetryable: !err.retryable,
        details: [{ attempts }],
        ...(err.retryAfterMs !== undefined ? { nextRetryDelay: err.retryAfterMs } : {}),
      });
    }
  };

  /** The ask's `ask_created` as the bridge stored it, waited for briefly (the bridge may not have it yet). */
  async function recordedAsk(notice: ApproverNotice): Promise<{ status: string; report: ReportOf<'ask_created'> }> {
    const until = Date.now() + ASK_RECORDED_WAIT_MS;
    for (;;) {
      const view = await deps.asks.view(notice.tenant, notice.ask_id);
      if (view) {
        const report = askCreatedOf(view);
        if (!report) throw new NoticeError(NOTIFY_FAILURES.unavailable, 'the recorded ask could not be read', true);
        return { status: view.status, report };
      }
      if (Date.now() >= until) throw new NoticeError(NOTIFY_FAILURES.unavailable, 'the ask is not recorded yet', true);
      await sleep(100);
    }
  }

  /** A fresh single-use link for this attempt, saved and audited before it leaves. */
  async function issueLink(notice: ApproverNotice, target: NotifyTarget, ask: AskFacts): Promise<string> {
    const record: ApprovalLinkRecord = {
      ...deps.links.seal.newLink(),
      tenant: notice.tenant,
      ask_id: notice.ask_id,
      action_digest: ask.action_digest,
      approver: target.approver,
      roles: LINK_ROLES,
      approver_kind: deps.authMode === 'tokens' ? 'token' : 'local',
      issued_by: 'nexus',
      issued_at: new Date().toISOString(),
      expires_at: ask.expires_at,
    };
    await deps.links.store.save([record]);
    await deps.audit.append(notice.tenant.org_id, {
      event: 'link_issued', principal: 'nexus', principal_kind: 'system', link_id: record.link_id, ask_id: record.ask_id,
      approver: record.approver, project_id: notice.tenant.project_id, correlation_id: notice.correlation_id, channel: target.channel, stage: notice.stage,
    });
    return `${deps.links.publicUrl}/approve/${deps.links.seal.sign(record)}`;
  }

  /** How this notice goes out once it has its link; throws when the install lacks what the channel needs. */
  function deliveryFor(notice: ApproverNotice, target: NotifyTarget, ask: AskFacts): (link: string) => Promise<void> {
    // The same across retries of this notice: the receiver's idempotency key (an e-mail's Message-ID).
    const id = `${notice.ask_id}.${notice.stage}.${notice.target.target}`;
    const facts = { stage: notice.stage, title: ask.title, risk: ask.risk_level, approver: target.approver, expiresAt: ask.expires_at };
    switch (target.channel) {
      case 'slack': {
        const words = NOTICE_WORDS[target.locale];
        return (link) => postNotice(target.url, JSON.stringify(slackMessage({ ...facts, link, words })), { 'content-type': 'application/json' }, deps.timeoutMs, 'Slack');
      }
      case 'email': {
        const { mail } = deps;
        if (!mail) throw new NoticeError(NOTIFY_FAILURES.notConfigured, 'e-mail needs NEXUS_SMTP_URL and NEXUS_SMTP_FROM, which are not set', false);
        return (link) => mail.send({
          to: target.to,
          ...emailMessage({ ...facts, link, words: NOTICE_WORDS[target.locale] }),
          messageId: `<${id}@${new URL(deps.links.publicUrl).hostname}>`,
          headers: { 'X-Correlation-ID': notice.correlation_id, 'Auto-Submitted': 'auto-generated' },
        });
      }
      case 'webhook': {
        const { webhookSecret } = deps;
        if (!webhookSecret) throw new NoticeError(NOTIFY_FAILURES.notConfigured, 'webhooks are signed with NEXUS_NOTIFY_WEBHOOK_SECRET, which is not set', false);
        return (link) => {
          const body = JSON.stringify({
            type: WEBHOOK_EVENT[notice.stage],
            timestamp: new Date().toISOString(),
            data: {
              ask_id: notice.ask_id,
              correlation_id: notice.correlation_id,
              command_id: notice.command_id,
              org_id: notice.tenant.org_id,
              project_id: notice.tenant.project_id,
              stage: notice.stage,
              approver: target.approver,
              title: ask.title,
              risk_level: ask.risk_level,
              action_digest: ask.action_digest,
              expires_at: ask.expires_at,
              link,
            },
          });
          const headers = { 'content-type': 'application/json', 'x-correlation-id': notice.correlation_id, ...webhookHeaders(webhookSecretBytes(webhookSecret), id, body) };
          return postNotice(target.url, body, headers, deps.timeoutMs, 'the webhook');
        };
      }
      case 'alimtalk': {
        const { alimtalk } = deps;
        if (!alimtalk) {
          throw new NoticeError(NOTIFY_FAILURES.notConfigured, 'KakaoTalk needs SENS_ACCESS_KEY, SENS_SECRET_KEY, SENS_ALIMTALK_SERVICE_ID, SENS_PLUS_FRIEND_ID and SENS_NOTIFY_TEMPLATE_CODE', false);
        }
        return (link) => sendAlimtalk(alimtalk, alimtalkMessage({ askId: notice.ask_id, stage: notice.stage, title: ask.title, expiresAt: ask.expires_at, phone: target.phone, link }), id);
      }
    }
  }

  /**
   * SENS has no idempotency key: a retry first asks SENS for what this notice's attempts sent (same phone, same
   * text, since it was first scheduled); when one went out, that message (and its link, still good) is the notice.
   */
  async function sendAlimtalk(sens: { client: SensAlimtalkClient; templateCode: string }, message: OutgoingMessage, id: string): Promise<void> {
    const { info, cancellationSignal: signal } = Context.current();
    try {
      if (info.attempt > 1) {
        const sent = await sens.client.listRequested({ templateCode: sens.templateCode, fromMs: info.scheduledTimestampMs - 60_000, toMs: Date.now() + 60_000, signal });
        if (sent.some((m) => m.to === message.to && m.content === message.content)) return;
      }
      await sens.client.send({ templateCode: sens.templateCode, messages: [message], batchKey: id, signal });
    } catch (err) {
      if (!(err instanceof AgentError)) throw err;
      throw new NoticeError(err.retryable ? NOTIFY_FAILURES.unavailable : NOTIFY_FAILURES.refused, err.message, err.retryable);
    }
  }
}
