import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createBaselineActivities } from './baseline-activities.js';
import type { baselineEchoWorkflow } from './baseline-workflow.js';

export const BASELINE_WORKFLOWS_PATH = fileURLToPath(new URL('./baseline-workflow.ts', import.meta.url));

export interface BaselineTarget {
  run(workflowId: string, index: number): Promise<number>;
  stop(): Promise<void>;
}

/** The echo agent as a bare Temporal workflow, started and awaited with the client, its worker in this process. */
export async function startBaselineTarget(address: string, taskQueue: string, workflowBundle: WorkflowBundleWithSourceMap): Promise<BaselineTarget> {
  const workerConnection = await NativeConnection.connect({ address });
  const worker = await Worker.create({
    connection: workerConnection,
    taskQueue,
    workflowBundle,
    activities: createBaselineActivities(),
    shutdownGraceTime: '5s',
  });
  const running = worker.run();
  const connection = await Connection.connect({ address });
  const client = new Client({ connection });

  return {
    async run(workflowId, index) {
      const started = performance.now();
      const result = await client.workflow.execute<typeof baselineEchoWorkflow>('baselineEchoWorkflow', {
        workflowId,
        taskQueue,
        args: [{ n: index }],
      });
      const latency = performance.now() - started;
      if (result.n !== index) throw new Error(`baseline ${workflowId} returned ${JSON.stringify(result)}`);
      return latency;
    },
    async stop() {
      await connection.close();
      worker.shutdown();
      await running.catch(() => undefined);
      await workerConnection.close();
    },
  };
}
