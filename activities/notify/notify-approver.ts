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
import type { PolicyStore } from '../policy/policy-store.js';
import { tenantPolicy } from '../policy/tenant-policy.js';
import { NoticeError, postNotice } from './notice-error.js';
import { notifyTargetId } from './notify-target-id.js';
import { slackMessage } from './slack-notice.js';
import { WEBHOOK_EVENT, webhookHeaders, webhookSecretBytes } from './webhook-notice.js';

export interface NotifyDeps {
  policies: PolicyStore;
  /** The ask as the bridge recorded it: what a message says, and proof the ask is the scheduling command's own. */
  asks: AskIndex;
  links: { store: ApprovalLinks; seal: LinkSeal; publicUrl: string };
  /** `tokens`: the approver is a token id, checked again when the link is used. */
  authMode: 'local' | 'tokens';
  /** Standard Webhooks secret (`whsec_…`); webhooks are not sent without it. */
  webhookSecret: string | undefined;
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
      if (target.channel === 'webhook' && !deps.webhookSecret) {
        throw new NoticeError(NOTIFY_FAILURES.notConfigured, 'webhooks are signed with NEXUS_NOTIFY_WEBHOOK_SECRET, which is not set', false);
      }
      const link = await issueLink(notice, target, ask.report.payload);
      await send(notice, target, ask.report.payload, link);
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

  async function send(notice: ApproverNotice, target: NotifyTarget, ask: AskFacts, link: string): Promise<void> {
    if (target.channel === 'slack') {
      const body = JSON.stringify(slackMessage({ stage: notice.stage, title: ask.title, risk: ask.risk_level, approver: target.approver, expiresAt: ask.expires_at, link }));
      await postNotice(target.url, body, { 'content-type': 'application/json' }, deps.timeoutMs, 'Slack');
      return;
    }
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
    const headers = {
      'content-type': 'application/json',
      'x-correlation-id': notice.correlation_id,
      // The same across retries of this notice: the receiver's idempotency key.
      ...webhookHeaders(webhookSecretBytes(deps.webhookSecret ?? ''), `${notice.ask_id}.${notice.stage}.${notice.target.target}`, body),
    };
    await postNotice(target.url, body, headers, deps.timeoutMs, 'the webhook');
  }
}
