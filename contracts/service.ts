import { z } from 'zod';
import { AgentDescriptor } from './agent.js';

/** The dependencies `GET /health` probes. */
export const HealthCheckName = z.enum(['redis', 'rabbitmq', 'temporal']);
export type HealthCheckName = z.infer<typeof HealthCheckName>;

/** Per dependency, `ok` or `error: <why>`; every dependency is always listed. */
const HealthChecks = z.record(HealthCheckName, z.string().regex(/^(ok$|error: )/));
/** Per dependency, where this API reaches it: scheme, host and port (Temporal: address and namespace), never a login. */
const HealthAddresses = z.record(HealthCheckName, z.string());

/**
 * Running commands whose workflow task keeps failing (a replay that no longer matches its history, a bug that
 * throws on every attempt): they make no progress and say nothing on the stream until a worker can run them.
 * From the API's last check of Temporal; `null` until a check succeeded.
 */
export const StalledCommands = z.object({
  count: z.number().int().nonnegative(),
  /** Why, for the first hundred: the failure cause Temporal reports (e.g. `NonDeterministicError`), and how many. */
  causes: z.record(z.string(), z.number().int().positive()),
  checked_at: z.iso.datetime(),
});
export type StalledCommands = z.infer<typeof StalledCommands>;

/**
 * The body of `GET /health`: `ok` with 200, `unavailable` (naming what failed) with 503. Stalled commands do not
 * make it 503: this API still serves, and the commands need an operator, not a restart of the API.
 */
export const HealthReport = z.discriminatedUnion('status', [
  z.object({ status: z.literal('ok'), checks: HealthChecks, addresses: HealthAddresses, stalled_commands: StalledCommands.nullable().optional() }),
  z.object({ status: z.literal('unavailable'), failed: z.array(HealthCheckName).min(1), checks: HealthChecks, addresses: HealthAddresses, stalled_commands: StalledCommands.nullable().optional() }),
]);
export type HealthReport = z.infer<typeof HealthReport>;

/** The body of `GET /agents`: reference data the dashboard may fetch (never command state). */
export const AgentCatalog = z.object({ agents: z.array(AgentDescriptor) });
export type AgentCatalog = z.infer<typeof AgentCatalog>;
