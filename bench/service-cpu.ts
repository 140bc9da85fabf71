import { readdirSync, readFileSync } from 'node:fs';
import { processTimes, type ProcessTimes } from './process-cpu.js';

/** The shared services a command's CPU is also spent in, besides NEXUS's and the bench's own processes. */
export type Service = 'temporal' | 'rabbitmq' | 'redis';

/** What each service's processes had used (CPU seconds) at one moment, per pid; `started` tells a reused pid. */
export type ServiceSnapshot = Map<number, ProcessTimes & { service: Service }>;

/** The CLI's own default, for a dev server started without a port flag. */
const DEV_SERVER_DEFAULT_PORT = 7233;

/** The port a `temporal server start-dev` command line listens on: `--port N`, `--port=N`, `-p N`, or the default. */
function devServerPort(args: string[]): number {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (arg === '--port' || arg === '-p') return Number(args[i + 1]);
    if (arg.startsWith('--port=')) return Number(arg.slice('--port='.length));
  }
  return DEV_SERVER_DEFAULT_PORT;
}

/**
 * Which service a process is, from its /proc entry: the Temporal dev server listening on `temporalPort` (the one the
 * run uses, not another on the machine), RabbitMQ's Erlang VM, any `redis-server` (a cluster's nodes are summed).
 */
export function serviceOf(comm: string, args: string[], temporalPort: number): Service | undefined {
  const startDev = args.indexOf('start-dev');
  if (startDev > 0 && args[startDev - 1] === 'server' && devServerPort(args) === temporalPort) return 'temporal';
  if (comm === 'beam.smp' && args.some((a) => a.includes('rabbit'))) return 'rabbitmq';
  if (comm === 'redis-server') return 'redis';
  return undefined;
}

/** The process ended (or its pid was never ours to read) while /proc was being listed. */
function isGone(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ESRCH';
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
        if (service) found.set(pid, { service, ...processTimes(pid) });
      } catch (err) {
        if (!isGone(err)) throw err;
      }
    }
    return found;
  }

  /**
   * CPU seconds each service spent since `before`, over the processes alive at both moments (one that started or
   * ended in between is not counted). A service with no process at either moment is absent, not 0: a run whose
   * Temporal server is elsewhere (another machine, a container) must not read as one whose Temporal cost nothing.
   */
  spentSince(before: ServiceSnapshot): Partial<Record<Service, number>> {
    const spent: Partial<Record<Service, number>> = {};
    for (const [pid, now] of this.snapshot()) {
      const then = before.get(pid);
      if (then && then.service === now.service && then.started === now.started) spent[now.service] = (spent[now.service] ?? 0) + now.cpu - then.cpu;
    }
    return spent;
  }
}
