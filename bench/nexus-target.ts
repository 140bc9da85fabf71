import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { loadConfig } from '../runtime/config/load-config.js';
import type { Tenant } from '../contracts/index.js';
import type { Logger } from '../infra/logger.js';
import { startNexus } from '../runtime/start-nexus.js';
import { nowMs, SseWaiter } from './sse-waiter.js';

/**
 * One GREEN command, timed from the POST to its `task_completed` on the stream, with the stages in between, each
 * measured from the POST (ms). Every clock involved is this machine's, so the stages are comparable.
 */
export interface NexusSample {
  latencyMs: number;
  /** The 202: validation, the command ledger, the Temporal start RPC. */
  accepted202: number;
  /** The workflow's first task ran (it stamps `command_accepted`). */
  firstWorkflowTask: number | undefined;
  /** `command_accepted` reached the stream: the first thing a dashboard can show. */
  firstReportStreamed: number | undefined;
  /** The workflow ran its task after the agent (it stamps `task_completed`). */
  completedStamped: number;
  /** The bridge appended `task_completed` to Redis (the stream id's time). */
  completedStored: number;
}

export interface NexusTarget {
  run(correlationId: string, index: number): Promise<NexusSample>;
  stop(): Promise<void>;
}

export const TENANT: Tenant = { org_id: 'bench', project_id: 'green' };
const COMMAND_TIMEOUT_MS = 60_000;

/** NEXUS with every role in this process, driven the way a sidecar and a dashboard drive it: HTTP in, SSE out. */
export async function startNexusTarget(env: Record<string, string>, logger: Logger, workflowBundle: WorkflowBundleWithSourceMap): Promise<NexusTarget> {
  const runtime = await startNexus(loadConfig(env), { role: 'all', logger, workflowBundle });
  const baseUrl = `http://127.0.0.1:${runtime.api?.port ?? 0}`;
  let stream: SseWaiter;
  try {
    stream = await SseWaiter.open(baseUrl, TENANT);
  } catch (err) {
    await runtime.stop();
    throw err;
  }
  return {
    run: greenCommands([baseUrl], stream),
    async stop() {
      stream.close();
      await runtime.stop();
    },
  };
}

/**
 * Sends one GREEN echo command and waits for its `task_completed` on `stream`. Several APIs take the POSTs in turn,
 * as behind a load balancer; the stream may be any of them (every API streams every report).
 */
export function greenCommands(baseUrls: string[], stream: SseWaiter): NexusTarget['run'] {
  const commandUrls = baseUrls.map((baseUrl) => new URL('/sidecar/command', baseUrl));
  return async (correlationId, index) => {
    const completed = stream.expect(correlationId, COMMAND_TIMEOUT_MS);
    // Settled later; without this a failed POST would leave the rejection unobserved until its timeout.
    completed.catch(() => undefined);
    const started = nowMs();
    const response = await fetch(commandUrls[index % commandUrls.length] ?? '', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-org-id': TENANT.org_id, 'x-project-id': TENANT.project_id },
      body: JSON.stringify({ type: 'agent.run', agent: 'echo', params: { n: index }, command_id: correlationId, correlation_id: correlationId }),
    });
    const acceptedAt = nowMs();
    const body = await response.text();
    if (response.status !== 202) throw new Error(`POST /sidecar/command answered ${response.status}: ${body}`);
    const trace = await completed;
    const since = (t: number | undefined) => (t === undefined ? undefined : t - started);
    return {
      latencyMs: trace.completedSeenAt - started,
      accepted202: acceptedAt - started,
      firstWorkflowTask: since(trace.acceptedTs),
      firstReportStreamed: since(trace.acceptedSeenAt),
      completedStamped: trace.completedTs - started,
      completedStored: trace.completedStoredAt - started,
    };
  };
}
