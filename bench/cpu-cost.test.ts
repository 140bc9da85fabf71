import { describe, expect, it } from 'vitest';
import { withCpuCost } from './cpu-cost.js';
import type { ServiceCpuMeter, ServiceSnapshot } from './service-cpu.js';

/** A meter whose services spent a known amount during the span (the real one reads /proc: service-cpu.test.ts). */
function meterSpending(spent: Partial<Record<'temporal' | 'rabbitmq' | 'redis', number>>): ServiceCpuMeter {
  const snapshot: ServiceSnapshot = new Map();
  return { snapshot: () => snapshot, spentSince: (before: ServiceSnapshot) => (before === snapshot ? spent : {}) } as unknown as ServiceCpuMeter;
}

describe('withCpuCost', () => {
  it("adds the services', the bench process's and each role's CPU over the span, in seconds", async () => {
    let roleSeconds = { api: 1, worker: 10 };
    const { result, cpu } = await withCpuCost(meterSpending({ temporal: 2.5, redis: 0.25 }), () => ({ ...roleSeconds }), async () => {
      // This process's own CPU during the span: at least 50 ms of it.
      const until = process.cpuUsage().user + 50_000;
      while (process.cpuUsage().user < until);
      roleSeconds = { api: 1.5, worker: 13 };
      return 'ran';
    });
    expect(result).toBe('ran');
    expect(cpu.temporal).toBe(2.5);
    expect(cpu.redis).toBe(0.25);
    expect(cpu.rabbitmq).toBeUndefined();
    expect(cpu.api).toBeCloseTo(0.5);
    expect(cpu.worker).toBeCloseTo(3);
    expect(cpu.bench).toBeGreaterThanOrEqual(0.05);
    expect(cpu.bench).toBeLessThan(5);
  });
});
