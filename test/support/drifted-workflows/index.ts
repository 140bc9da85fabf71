import { sleep } from '@temporalio/workflow';

/**
 * A `commandWorkflow` whose first step is not the real one's, standing for a deploy that broke determinism: any
 * history the real workflow wrote fails to replay with it, so its workflow task fails on every attempt.
 */
export async function commandWorkflow(): Promise<void> {
  await sleep('1 day');
}
