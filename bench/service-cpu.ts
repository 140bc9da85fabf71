import { readdirSync, readFileSync } from 'node:fs';
import { cpuSeconds } from './process-cpu.js';

/** The shared services a command's CPU is also spent in, besides NEXUS's and the bench's own processes. */
export type Service = 'temporal' | 'rabbitmq' | 'redis';

/** What each service's processes had used (CPU seconds) at one moment, per pid. */
export type ServiceSnapshot = Map<number, { service: Service; cpu: number }>;

/**
 * Which service a process is, from its /proc entry: the Temporal dev server listening on `temporalPort` (the one the
 * run uses, not another on the machine), RabbitMQ's Erlang VM, any `redis-server` (a cluster's nodes are summed).
 */
export function serviceOf(comm: string, args: string[], temporalPort: number): Service | undefined {
  if (args.includes('start-dev') && args[args.indexOf('--port') + 1] === String(temporalPort)) return 'temporal';
  if (comm === 'beam.smp' && args.some((a) => a.includes('rabbit'))) return 'rabbitmq';
  if (comm === 'redis-server') return 'redis';
  return undefined;
}

/**
 * The CPU the machine's shared services spend while a span is measured, read from /proc (Linux) before and after,
 * so a command's cost can be told in full: a ratio of latencies hides where the machine's cores went.
 */
export class ServiceCpuMeter {
  constructor(private readonly temporalPort: number) {}

  snapshot(): ServiceSnapshot {
    const found: ServiceSnapshot = new Map();
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const pid = Number(entry);
      try {
        const comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
        const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
        const service = serviceOf(comm, args, this.temporalPort);
        if (service) found.set(pid, { service, cpu: cpuSeconds(pid) });
      } catch {
        // The process ended while the list was read.
      }
    }
    return found;
  }

  /** CPU seconds each service spent since `before`, over the processes alive at both moments. */
  spentSince(before: ServiceSnapshot): Record<Service, number> {
    const spent: Record<Service, number> = { temporal: 0, rabbitmq: 0, redis: 0 };
    for (const [pid, now] of this.snapshot()) {
      const then = before.get(pid);
      if (then && then.service === now.service) spent[now.service] += now.cpu - then.cpu;
    }
    return spent;
  }
}
