import { ApplicationFailure } from '@temporalio/activity';
import { ACTIVITY_FAILURES, type RiskPolicy, type Tenant } from '../../contracts/index.js';
import { PolicyError, type PolicyStore } from '../../infra/files/policy-store.js';

/**
 * A tenant's policy, read on the server every time: neither the client nor the model can talk it down. A broken
 * policy file fails the step with a clear code instead of retrying forever.
 */
export async function tenantPolicy(policies: PolicyStore, tenant: Tenant): Promise<RiskPolicy> {
  try {
    return await policies.forTenant(tenant);
  } catch (err) {
    if (err instanceof PolicyError) throw ApplicationFailure.create({ type: ACTIVITY_FAILURES.policyInvalid, message: err.message, nonRetryable: true });
    throw err;
  }
}
