import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../../activities/create-activities.js';
import { payloadGuard } from '../../activities/payload-guard.js';
import { backoffDelay, sleep } from '../../infra/backoff.js';
import type { Logger } from '../../infra/logger.js';
import { registerSearchAttributes } from './register-search-attributes.js';
import { connectionOptions, dataConverter, type TemporalTarget } from '../../infra/temporal-options.js';
import type { KeyRing } from '../../infra/trust/key-ring.js';
import type { Tracing } from '../../infra/tracing/start-tracing.js';
import { activityTracing } from '../../infra/tracing/temporal-tracing.js';

export const WORKFLOWS_PATH = fileURLToPath(new URL('../../workflows/index.ts', import.meta.url));
/** Bundled with the workflows: every bundle of them (tests and bench too) passes it as a workflow interceptor module. */
export const WORKFLOW_INTERCEPTOR_MODULES = [
  fileURLToPath(new URL('../../workflows/payload-guard.ts', import.meta.url)),
  fileURLToPath(new URL('../../workflows/trace-headers.ts', import.meta.url)),
];

export interface WorkerOptions {
  target: TemporalTarget;
  payloadKeys: KeyRing;
  namespace: string;
  taskQueue: string;
  activities: ActivityDeps;
  logger: Logger;
  /** Tests bundle once per file (with WORKFLOW_INTERCEPTOR_MODULES) and pass it in; production bundles at start-up. */
  workflowBundle?: WorkflowBundleWithSourceMap;
  /** Activity spans (the workflow passes the trace on in headers: workflows/trace-headers.ts). */
  tracing: Tracing;
}

/** Connects to Temporal (waiting, with a log line, while it comes up) and runs the NEXUS worker. */
export async function startWorker(options: WorkerOptions): Promise<{ worker: Worker; connection: NativeConnection; done: Promise<void> }> {
  const log = options.logger.child({ module: 'worker' });
  const connection = await connectWithRetry(options.target, log);
  try {
    await registerSearchAttributes(connection, options.namespace);
  } catch (err) {
    // Servers that do not let workers manage search attributes (Temporal Cloud, locked-down clusters) have them
    // registered by an operator; the worker still runs.
    log.warn({ err: (err as Error).message }, 'could not register NEXUS search attributes; register them with `temporal operator search-attribute create`');
  }
  const worker = await Worker.create({
    connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    activities: createActivities(options.activities),
    dataConverter: dataConverter(options.payloadKeys),
    interceptors: {
      // Tracing outermost, so a refused payload shows as a failed activity span.
      activity: [...activityTracing(options.tracing), payloadGuard({ audit: options.activities.audit, refusals: options.activities.payloadRefusals, logger: options.logger })],
      // Only when the worker bundles: a prebuilt bundle carries its interceptor modules inside.
      ...(options.workflowBundle ? {} : { workflowModules: WORKFLOW_INTERCEPTOR_MODULES }),
    },
    shutdownGraceTime: '5s',
  });
  const done = worker.run();
  log.info({ task_queue: options.taskQueue, namespace: options.namespace }, 'worker running');
  return { worker, connection, done };
}

async function connectWithRetry(target: TemporalTarget, log: Logger): Promise<NativeConnection> {
  const address = target.address;
  for (let attempt = 1; ; attempt++) {
    try {
      return await NativeConnection.connect(connectionOptions(target));
    } catch (err) {
      const delay = backoffDelay(attempt, 500, 5_000);
      log.warn({ address, attempt, delay_ms: delay, err: (err as Error).message }, 'temporal not reachable, retrying');
      await sleep(delay);
    }
  }
}
