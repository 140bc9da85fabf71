import { bundleWorkflowCode } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { WORKFLOW_INTERCEPTOR_MODULES, WORKFLOWS_PATH } from '../runtime/worker/start-worker.js';

const quiet = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} };

describe('the workflow bundle', () => {
  it('builds with the determinism-enforcing bundler, and carries neither zod nor Node built-ins', async () => {
    const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, workflowInterceptorModules: WORKFLOW_INTERCEPTOR_MODULES, logger: quiet });
    expect(code).toContain('commandWorkflow');
    // The payload guard travels inside the bundle: a worker given a prebuilt bundle ignores interceptor options.
    expect(code).toContain('nexus_refused_payload');
    // zod is re-evaluated for every workflow run when it is in the bundle; keep it out.
    expect(code).not.toMatch(/ZodError|\$ZodType/);
    // About 1.9 MB with its inline source map; zod alone would add several hundred KB more.
    expect(code.length).toBeLessThan(2_000_000);
  }, 60_000);
});
