import { bundleWorkflowCode } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { WORKFLOWS_PATH } from '../runtime/worker/start-worker.js';

const quiet = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} };

describe('the workflow bundle', () => {
  it('builds with the determinism-enforcing bundler, and carries neither zod nor Node built-ins', async () => {
    const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quiet });
    expect(code).toContain('commandWorkflow');
    // zod is re-evaluated for every workflow run when it is in the bundle; keep it out.
    expect(code).not.toMatch(/ZodError|\$ZodType/);
    expect(code.length).toBeLessThan(1_800_000);
  }, 60_000);
});
