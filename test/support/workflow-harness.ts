import { randomBytes, randomUUID } from 'node:crypto';
import { Client, Connection, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { NativeConnection, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { inject } from 'vitest';
import { actionDigest } from '../../activities/action-digest.js';
import { createPublishAndAssess } from '../../activities/publish-and-assess.js';
import { stepStartedReport } from '../../activities/step-started.js';
import type { VerifyDecisionInput } from '../../activities/verify-decision.js';
import {
  DECIDE_REJECTIONS,
  DecideInput,
  type Action,
  type ActionAssessment,
  type ApprovalRequirements,
  type ApproverNotice,
  type CommandInput,
  type DecisionVerdict,
  type Report,
  type ReportOf,
  type ReportType,
  type RiskLevel,
  type RunAgentInput,
  type AssessActionInput,
  type Plan,
  type PlanRequest,
  type SignedStandingGrant,
} from '../../contracts/index.js';
import { createLogger } from '../../infra/logger.js';
import { installTemporalLogger } from '../../infra/temporal-logger.js';
import type { Activities } from '../../workflows/activity-proxies.js';
import type { commandWorkflow } from '../../workflows/command-workflow.js';
import { decideUpdate } from '../../workflows/messages.js';
import { workflowBundle } from './nexus-under-test.js';
import { replayWorkflows } from './replay-check.js';

// The workflow and its approval gate in isolation: the real bundle on the run's real dev server (timers run in
// real time, so they are kept short), and stub activities that record what the workflow asked of the world.

export const tenant = { org_id: 'acme', project_id: 'wf-test' };
/** Command settings for tests: one agent attempt, short timeouts, an ask that stays open for a minute. */
export const TEST_SETTINGS: CommandInput['settings'] = {
  ask_timeout_ms: 60_000,
  agent_timeout_ms: 10_000,
  agent_max_attempts: 1,
  agent_retry_interval_ms: 100,
  plan_revisions: 0,
  llm_timeout_ms: 1_000,
  remote_heartbeat_timeout_ms: 5_000,
  agent_heartbeat_timeout_ms: 5_000,
};

export interface WorkflowHarness {
  client: Client;
  connection: NativeConnection;
  bundle: WorkflowBundleWithSourceMap;
  /** Every workflow a test started here; `close()` replays them all with the current code. */
  started: string[];
  close(): Promise<void>;
}

/** Connects to the run's dev server and bundles the workflows once for the file. */
export async function startHarness(): Promise<WorkflowHarness> {
  // Before the SDK's runtime exists: the workers' lifecycle lines stay out of the test output, warnings do not.
  installTemporalLogger(createLogger('warn'));
  const address = inject('temporalAddress');
  const [connection, clientConnection, bundle] = await Promise.all([
    NativeConnection.connect({ address }),
    Connection.connect({ address }),
    workflowBundle(),
  ]);
  const client = new Client({ connection: clientConnection });
  const started: string[] = [];
  return {
    client,
    connection,
    bundle,
    started,
    async close() {
      try {
        await replayWorkflows({ client, workflowBundle: bundle }, `workflow-harness-${randomUUID().slice(0, 8)}`, started.map((workflowId) => ({ workflowId })));
      } finally {
        await connection.close();
        await clientConnection.close();
      }
    },
  };
}

export interface StubOptions {
  risk: RiskLevel;
  approval?: Partial<ApprovalRequirements>;
  /** How long checking this decision's proof takes: lets a test choose the order in which checks finish. */
  verifyDelayMs?: (decision: DecideInput) => number;
  /** How many assessments fail (retryably) before they succeed. */
  assessFailures?: number;
  /** What telling an approver does (default: it succeeds at once); throwing fails this attempt. */
  notify?: (notice: ApproverNotice, attempt: number) => Promise<void>;
  /** The standing approval the assessment offers for this input (default: none). */
  standing?: (input: AssessActionInput) => SignedStandingGrant | undefined;
  /** The agent's declared risk for this action (default: `risk` for every action). */
  riskOf?: (action: Action) => RiskLevel;
  /** What the planner answers an instruction, the n-th time it is asked (0-based; the last one once past the end). */
  plans?: Plan[];
}

/** The activities the workflow calls, by their real names, recording every call. */
export function stubActivities({ risk, approval, verifyDelayMs, assessFailures = 0, notify, standing, riskOf, plans = [] }: StubOptions) {
  const calls = {
    reports: [] as Report[],
    assessed: [] as Action[],
    /** What each assessment was asked, whole. */
    assessInputs: [] as AssessActionInput[],
    verified: [] as VerifyDecisionInput[],
    runs: [] as RunAgentInput[],
    /** What the planner was asked, in order. */
    planned: [] as PlanRequest[],
    /** Every attempt at telling an approver, in order. */
    notices: [] as Array<ApproverNotice & { attempt: number }>,
    /** Which report types went out through a local activity (true) or a regular, durable one (false). */
    publishedLocally: [] as Array<[Report['report_type'], boolean]>,
  };
  const activities: Pick<Activities, 'publishReports' | 'assessAction' | 'publishAndAssess' | 'verifyDecision' | 'runAgent' | 'notifyApprover' | 'planInstruction'> = {
    async publishReports(reports) {
      calls.reports.push(...reports);
      const { isLocal } = Context.current().info;
      calls.publishedLocally.push(...reports.map((r): [Report['report_type'], boolean] => [r.report_type, isLocal]));
    },
    async assessAction(input): Promise<ActionAssessment> {
      const { action } = input;
      calls.assessed.push(action);
      calls.assessInputs.push(input);
      if (calls.assessed.length <= assessFailures) throw new Error(`stub: assessment ${calls.assessed.length} fails`);
      const offered = standing?.(input);
      return {
        declared_risk: riskOf?.(action) ?? risk,
        policy_risk: 'GREEN',
        policy_reasons: [],
        action_digest: actionDigest(action),
        title: `Run ${action.agent}`,
        description: 'a stub assessment',
        reports_progress: false,
        remote: false,
        approval: { quorum: 1, separation_of_duties: false, ...approval },
        ...(offered ? { standing: offered } : {}),
      };
    },
    // The real one, over the stubs above.
    publishAndAssess: (input) => publishAndAssess(input),
    // The proof is this stub's to judge: key id `forged` stands for a decision the API never signed.
    async verifyDecision(input): Promise<DecisionVerdict> {
      calls.verified.push(input);
      const proof = (input.decision as DecideInput).proof;
      const delay = verifyDelayMs?.(input.decision as DecideInput) ?? 0;
      if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
      return proof.key_id === 'forged'
        ? { ok: false, code: 'decision_forged', message: 'stub: the proof does not match' }
        : { ok: true };
    },
    async notifyApprover(notice) {
      const { attempt } = Context.current().info;
      calls.notices.push({ ...notice, attempt });
      await notify?.(notice, attempt);
      return { attempts: attempt };
    },
    async planInstruction(request) {
      calls.planned.push(request);
      const plan = plans[Math.min(calls.planned.length, plans.length) - 1];
      if (!plan) throw ApplicationFailure.create({ type: 'llm_unavailable', message: 'stub: no plan', nonRetryable: true });
      return plan;
    },
    async runAgent(input) {
      calls.runs.push(input);
      // What the real activity says before its agent acts.
      const started = stepStartedReport(input);
      if (started) calls.reports.push(started);
      return { ran: input.params };
    },
  };
  const publishAndAssess = createPublishAndAssess({
    publish: (reports) => activities.publishReports(reports),
    assess: (input) => activities.assessAction(input),
    logger: createLogger('warn'),
  });
  return { calls, activities };
}

export type Stub = ReturnType<typeof stubActivities>;
export type Handle = WorkflowHandle<typeof commandWorkflow>;

export function commandInput(params: Record<string, unknown>, settings: { ask_timeout_ms?: number } = {}): CommandInput {
  const commandId = randomUUID();
  return {
    tenant,
    command_id: commandId,
    correlation_id: `corr-${commandId}`,
    workflow_id: `nexus/${tenant.org_id}/${tenant.project_id}/${commandId}`,
    request: { type: 'agent.run', agent: 'stub_agent', params },
    received_at: new Date().toISOString(),
    requested_by: 'alice',
    settings: { ...TEST_SETTINGS, ask_timeout_ms: settings.ask_timeout_ms ?? TEST_SETTINGS.ask_timeout_ms },
  };
}

export interface WorkerChoice {
  /** 0: no workflow cache, so every workflow task replays the whole history first, as a fresh worker does. */
  maxCachedWorkflows?: number;
}

/** Runs `body` while a worker with the stub activities polls `taskQueue`. */
export async function withWorker<T>(
  harness: WorkflowHarness,
  stub: Stub,
  taskQueue: string,
  body: () => Promise<T>,
  choice: WorkerChoice = {},
): Promise<T> {
  const worker = await Worker.create({
    connection: harness.connection,
    taskQueue,
    workflowBundle: harness.bundle,
    activities: stub.activities,
    ...(choice.maxCachedWorkflows !== undefined ? { maxCachedWorkflows: choice.maxCachedWorkflows } : {}),
  });
  return worker.runUntil(body);
}

/** Runs `body` with a worker on a task queue of its own, the command already started on it. */
export async function withCommand<T>(
  harness: WorkflowHarness,
  stub: Stub,
  input: CommandInput,
  body: (handle: Handle) => Promise<T>,
  choice: WorkerChoice = {},
): Promise<T> {
  const taskQueue = `wf-test-${randomUUID()}`;
  return withWorker(harness, stub, taskQueue, async () => {
    const handle = await harness.client.workflow.start<typeof commandWorkflow>('commandWorkflow', {
      workflowId: input.workflow_id,
      taskQueue,
      args: [input],
    });
    harness.started.push(handle.workflowId);
    return body(handle);
  }, choice);
}

/** Polls the recorded reports until `count` of `type` arrived; returns the last of them. */
export async function waitForReport<T extends ReportType>(stub: Stub, type: T, count = 1): Promise<ReportOf<T>> {
  for (let i = 0; i < 400; i++) {
    const found = stub.calls.reports.filter((r): r is ReportOf<T> => r.report_type === type);
    const last = found[count - 1];
    if (last) return last;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`no ${count}× ${type}; reports so far: ${types(stub.calls.reports).join(', ')}`);
}

export const types = (reports: Report[]) => reports.map((r) => r.report_type);

export function reportOf<T extends ReportType>(reports: Report[], type: T): ReportOf<T> {
  const found = reports.find((r): r is ReportOf<T> => r.report_type === type);
  if (!found) throw new Error(`no ${type} among ${types(reports).join(', ')}`);
  return found;
}

/** A decision shaped like the API's (contracts/ask.ts DecideInput); the stub verifier decides what it is worth. */
export function decision(
  input: CommandInput,
  ask: ReportOf<'ask_created'>,
  fields: Partial<Omit<DecideInput, 'proof'>> & { decided_by: string; key_id?: string },
): DecideInput {
  const { key_id: keyId = 'test-key', ...rest } = fields;
  const now = new Date().toISOString();
  return DecideInput.parse({
    ask_id: ask.payload.ask_id,
    workflow_id: input.workflow_id,
    tenant: input.tenant,
    decision: 'approve',
    action_digest: ask.payload.action_digest,
    roles: ['approver'],
    decided_at: now,
    proof: { key_id: keyId, nonce: randomBytes(18).toString('base64url'), signed_at: now, signature: randomBytes(32).toString('base64url') },
    ...rest,
  });
}

/**
 * Sends the `decide` update like the API's gateway does: retried while the gate answers "not ready" (the workflow
 * reported its ask a moment before the gate opened it).
 */
export async function decide(handle: Handle, d: DecideInput) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await handle.executeUpdate(decideUpdate, { args: [d] });
    } catch (err) {
      if (refusalType(err) !== DECIDE_REJECTIONS.notReady || attempt >= 100) throw err;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

export function refusalType(err: unknown): string | undefined {
  if (!(err instanceof WorkflowUpdateFailedError)) return undefined;
  return err.cause instanceof ApplicationFailure ? (err.cause.type ?? undefined) : undefined;
}

/** The failure type of a refused decision; fails the test when the decision was accepted. */
export async function refused(handle: Handle, d: DecideInput): Promise<string | undefined> {
  const err = await decide(handle, d).then(
    (result) => new Error(`the decision was accepted: ${JSON.stringify(result)}`),
    (e: unknown) => e,
  );
  if (!(err instanceof WorkflowUpdateFailedError)) throw err;
  return refusalType(err);
}
