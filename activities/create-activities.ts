import { ApplicationFailure } from '@temporalio/activity';
import type { AgentPreview } from '../agents/agent.js';
import { AgentError } from '../agents/agent-error.js';
import type { AgentRegistry } from '../agents/registry.js';
import { maxRisk } from '../contracts/risk-rank.js';
import type { ActionAssessment, AssessActionInput } from '../contracts/index.js';
import type { Logger } from '../infra/logger.js';
import type { BlobStore } from '../infra/files/blob-store.js';
import type { LlmRouter } from '../infra/llm/llm-router.js';
import type { ReportPublisher } from '../infra/messaging/report-publisher.js';
import { approvalRequirements, evaluatePolicy } from './policy/evaluate-policy.js';
import type { PolicyStore } from '../infra/files/policy-store.js';
import { tenantPolicy } from './policy/tenant-policy.js';
import { actionDigest } from './action-digest.js';
import { createPlanInstruction } from './plan-instruction.js';
import { resolveAction } from './resolve-action.js';
import { createPublishReports } from './publish-reports.js';
import { createPublishAndAssess } from './publish-and-assess.js';
import { createRunAgent } from './run-agent.js';
import { createRunRemoteAgent } from './run-remote-agent.js';
import { createVerifyDecision, type DecisionRefusalBudgets } from './verify-decision.js';
import type { DecisionSeal } from '../infra/trust/decision-seal.js';
import type { AuditLog } from '../infra/store/audit-log.js';
import type { RefusalBudget } from '../infra/store/refusal-budget.js';
import type { ApprovalUses } from '../infra/store/approval-uses.js';
import { createEffectAuthority } from './effect-authority.js';
import { findStanding, type StandingDeps } from './policy/standing-lookup.js';
import type { RemoteTaskPublisher } from '../agents/remote/remote-task-publisher.js';
import type { RemoteTopology } from '../agents/remote/remote-topology.js';
import { createNotifyApprover, type NotifyDeps } from './notify/notify-approver.js';

export interface ActivityDeps {
  publisher: ReportPublisher;
  agents: AgentRegistry;
  logger: Logger;
  policies: PolicyStore;
  llm: LlmRouter;
  planAttempts: number;
  /** Uploaded files: an instruction's attachments are described to the planner from their metadata. */
  blobStore: BlobStore;
  /** Publishes tasks to remote agents; absent in processes that do not run remote agents. */
  remote?: RemoteTaskPublisher;
  remoteTopology: RemoteTopology;
  /** Verifies the API's proof on decisions; the verdicts go to the audit log. */
  seal: DecisionSeal;
  audit: AuditLog;
  /** Which execution used each approval: an approval acts once. */
  approvalUses: ApprovalUses;
  /** Standing approvals: offered to a RED action's assessment, checked again where the effect happens. */
  standing: StandingDeps;
  /** How many refused decisions are audited one by one, per workflow and per org. */
  decisionRefusals: DecisionRefusalBudgets;
  /** How many activities refused for unencrypted input are audited one by one (activities/payload-guard.ts). */
  payloadRefusals: RefusalBudget;
  /** Telling approvers about asks: where links point, how they are signed, how webhooks are signed. */
  notify: Omit<NotifyDeps, 'policies' | 'audit' | 'logger'>;
}

/** Everything a workflow asks the world to do. Clients come in; nothing here opens a connection of its own. */
export function createActivities(deps: ActivityDeps) {
  const log = deps.logger.child({ module: 'activities' });
  const { publisher, agents, policies } = deps;
  const authorize = createEffectAuthority({ agents, policies, seal: deps.seal, uses: deps.approvalUses, standing: deps.standing, audit: deps.audit, logger: log });
  const publishReports = createPublishReports({ publisher, audit: deps.audit, logger: log });

  async function assessAction({ tenant, action, correlation_id: correlationId, requested_by: requestedBy, excluded = [] }: AssessActionInput): Promise<ActionAssessment> {
    const { agent, params } = await resolveAction(agents, action);
    let preview: AgentPreview;
    try {
      preview = await agents.preview(agent, params, { tenant, logger: log });
    } catch (err) {
      // A preview that cannot be made (missing file, unreadable sheet) is final, not a reason to retry forever.
      if (err instanceof AgentError) throw ApplicationFailure.create({ type: err.code, message: err.message, nonRetryable: !err.retryable, details: [{ retryable: err.retryable }] });
      throw err;
    }
    const policy = await tenantPolicy(policies, tenant);
    const verdict = evaluatePolicy(policy, action);
    const declared = agents.declaredRisk(agent, params);
    const approval = approvalRequirements(policy, action.agent);
    // Only an action RED by its agent or the policy may be approved ahead of time: a client that set the floor to
    // RED, or a model that rated it RED, asked for people to look at this one.
    // Unreadable standing approvals (Redis away) leave the ask to people rather than hold the command up.
    const standing = maxRisk(declared, verdict.risk) === 'RED'
      ? await findStanding(deps.standing, {
        tenant, action, policy, now: new Date(),
        excluded: [...excluded, ...(approval.separation_of_duties && requestedBy !== undefined ? [requestedBy] : [])],
      }).catch((err: unknown) => {
        log.warn({ correlation_id: correlationId, agent: action.agent, err: (err as Error).message }, 'standing approvals could not be read; asking people');
        return undefined;
      })
      : undefined;
    return {
      declared_risk: declared,
      policy_risk: verdict.risk,
      policy_reasons: verdict.reasons,
      action_digest: actionDigest(action),
      title: preview.title,
      description: preview.description,
      reports_progress: agent.reportsProgress === true,
      remote: agent.remote === true,
      approval,
      ...(preview.details ? { preview: preview.details } : {}),
      ...(standing ? { standing } : {}),
    };
  }

  return {
    publishReports,
    assessAction,
    publishAndAssess: createPublishAndAssess({ publish: publishReports, assess: assessAction, logger: log }),
    verifyDecision: createVerifyDecision({ seal: deps.seal, audit: deps.audit, refusals: deps.decisionRefusals, logger: log }),
    planInstruction: createPlanInstruction({ ...deps, logger: log }),
    runAgent: createRunAgent({ ...deps, authorize, logger: log }),
    notifyApprover: createNotifyApprover({ ...deps.notify, policies, audit: deps.audit, logger: log }),
    runRemoteAgent: createRunRemoteAgent({ authorize, remote: deps.remote, topology: deps.remoteTopology, publisher, logger: log }),
  };
}
