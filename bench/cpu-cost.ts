import type { ServiceCpuMeter } from './service-cpu.js';

/** CPU seconds per process group over one measured span: the shared services, the bench process, NEXUS's roles. */
export type CpuSpent = Record<string, number>;

/**
 * Runs `span` and says what every process it exercised spent meanwhile: Temporal, RabbitMQ and Redis (from /proc),
 * the bench's own process (its clients; in the default mode NEXUS's roles too, which run in it), and the role
 * processes of the multi-process mode when `roles` reads them.
 */
export async function withCpuCost<T>(
  services: ServiceCpuMeter,
  roles: (() => Record<string, number>) | undefined,
  span: () => Promise<T>,
): Promise<{ result: T; cpu: CpuSpent }> {
  const servicesBefore = services.snapshot();
  const benchBefore = process.cpuUsage();
  const rolesBefore = roles?.();
  const result = await span();
  const bench = process.cpuUsage(benchBefore);
  const rolesAfter = roles?.();
  const cpu: CpuSpent = { ...services.spentSince(servicesBefore), bench: (bench.user + bench.system) / 1e6 };
  for (const [role, seconds] of Object.entries(rolesAfter ?? {})) cpu[role] = seconds - (rolesBefore?.[role] ?? 0);
  return { result, cpu };
}
