import { z } from 'zod';
import { AgentDescriptor } from './agent.js';

/** The dependencies `GET /health` probes. */
export const HealthCheckName = z.enum(['redis', 'rabbitmq', 'temporal']);
export type HealthCheckName = z.infer<typeof HealthCheckName>;

/** Per dependency, `ok` or `error: <why>`; every dependency is always listed. */
const HealthChecks = z.record(HealthCheckName, z.string().regex(/^(ok$|error: )/));

/** The body of `GET /health`: `ok` with 200, `unavailable` (naming what failed) with 503. */
export const HealthReport = z.discriminatedUnion('status', [
  z.object({ status: z.literal('ok'), checks: HealthChecks }),
  z.object({ status: z.literal('unavailable'), failed: z.array(HealthCheckName).min(1), checks: HealthChecks }),
]);
export type HealthReport = z.infer<typeof HealthReport>;

/** The body of `GET /agents`: reference data the dashboard may fetch (never command state). */
export const AgentCatalog = z.object({ agents: z.array(AgentDescriptor) });
export type AgentCatalog = z.infer<typeof AgentCatalog>;
