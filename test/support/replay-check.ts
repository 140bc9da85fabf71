import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';

/** Where each test file leaves the histories of the workflows it ran (kept by CI with the other artifacts). */
const HISTORIES_DIR = 'test-artifacts/histories';

export interface ReplayTarget {
  client: Client;
  workflowBundle: WorkflowBundleWithSourceMap;
  dataConverter?: DataConverter;
  /** The payload key ring in `NEXUS_PAYLOAD_KEYS` form, saved beside the histories so they can be replayed by hand. */
  payloadKeys?: string;
}

/**
 * Replays with today's workflow code every history a test produced, as a freshly started worker would, and
 * saves the histories under `test-artifacts/histories/<name>/`. A workflow change that no worker could replay
 * fails the test run here, instead of stranding users' commands after a deploy.
 */
export async function replayWorkflows(target: ReplayTarget, name: string, executions: Array<{ workflowId: string; runId?: string | undefined }>): Promise<void> {
  if (executions.length === 0) return;
  const dir = join(HISTORIES_DIR, name.replace(/[^\w.-]+/g, '_'));
  mkdirSync(dir, { recursive: true });
  if (target.payloadKeys) writeFileSync(join(dir, 'payload.key'), `${target.payloadKeys}\n`, { mode: 0o600 });
  const histories = [];
  for (const [i, { workflowId, runId }] of executions.entries()) {
    const history = await target.client.workflow.getHandle(workflowId, runId).fetchHistory();
    writeFileSync(join(dir, `${String(i).padStart(4, '0')}-${workflowId.replace(/[^\w.-]+/g, '_')}.json`), historyToJSON(history));
    histories.push({ workflowId, history });
  }
  const failures: string[] = [];
  const options = { workflowBundle: target.workflowBundle, ...(target.dataConverter ? { dataConverter: target.dataConverter } : {}) };
  for await (const result of Worker.runReplayHistories(options, histories)) {
    if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
  }
  if (failures.length > 0) {
    throw new Error(`${failures.length} of ${histories.length} workflow histories do not replay with the current code (saved in ${dir}):\n${failures.join('\n')}`);
  }
}

/** Every execution, past and running, that ran on a task queue. */
export async function executionsOn(client: Client, taskQueue: string): Promise<Array<{ workflowId: string; runId: string }>> {
  const found = [];
  for await (const execution of client.workflow.list({ query: `TaskQueue = '${taskQueue.replace(/'/g, '')}'` })) {
    found.push({ workflowId: execution.workflowId, runId: execution.runId });
  }
  return found;
}
