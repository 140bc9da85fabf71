import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { freePort } from '../runtime/devserver/port-check.js';
import type { Role } from '../runtime/roles.js';
import { spawnRole } from '../runtime/spawn-role.js';
import { stopProcess } from '../runtime/stop-process.js';
import { greenCommands, TENANT, type NexusTarget } from './nexus-target.js';
import { cpuSeconds } from './process-cpu.js';
import { rssKb } from './process-memory.js';
import { SseWaiter } from './sse-waiter.js';

export interface RoleCounts {
  apis: number;
  workers: number;
  bridges: number;
}

type ServiceRole = Exclude<Role, 'all'>;

export interface ProcessTarget extends NexusTarget {
  /** The APIs' addresses, in the order POSTs go to them. */
  baseUrls: string[];
  /** The dashboard stream (on the first API) every command's `task_completed` is awaited on. */
  stream: SseWaiter;
  /** CPU seconds each role's processes have used so far, summed per role. */
  cpu(): Record<ServiceRole, number>;
  /** Resident memory (KB) each role's processes hold now, summed per role. */
  rssKb(): Record<ServiceRole, number>;
}

const START_TIMEOUT_MS = 120_000;

/**
 * NEXUS as it is deployed: each role its own processes (`main.ts --role`), several APIs taking the POSTs in turn,
 * one dashboard stream. Each process is a real Node process, so what it costs is measured per role from /proc.
 */
export async function startProcessTarget(env: Record<string, string>, counts: RoleCounts, progress: (message: string) => void): Promise<ProcessTarget> {
  // One pair of keys for all of them, as a deployment's Secret holds (the roles must agree on them).
  const shared = {
    ...env,
    NEXUS_DECISION_KEYS: `bench:${randomBytes(32).toString('base64')}`,
    NEXUS_PAYLOAD_KEYS: `bench:${randomBytes(32).toString('base64')}`,
  };
  const processes: Array<{ role: ServiceRole; child: ChildProcess }> = [];
  const stop = async () => {
    await Promise.all(processes.map(({ child }) => stopProcess(child)));
  };
  try {
    const baseUrls: string[] = [];
    const plan: Array<[ServiceRole, number]> = [['bridge', counts.bridges], ['worker', counts.workers], ['api', counts.apis]];
    for (const [role, count] of plan) {
      for (let i = 0; i < count; i++) {
        const port = role === 'api' ? await freePort() : 0;
        progress(`starting ${role} ${i + 1} of ${count}`);
        processes.push({ role, child: await spawnRole(role, { ...process.env, ...shared, PORT: String(port) }, { timeoutMs: START_TIMEOUT_MS }) });
        if (role === 'api') baseUrls.push(`http://127.0.0.1:${port}`);
      }
    }
    const stream = await SseWaiter.open(baseUrls[0] ?? '', TENANT);
    const perRole = (measure: (pid: number) => number) => {
      const totals: Record<ServiceRole, number> = { api: 0, worker: 0, bridge: 0 };
      for (const { role, child } of processes) if (child.pid) totals[role] += measure(child.pid);
      return totals;
    };
    return {
      run: greenCommands(baseUrls, stream),
      baseUrls,
      stream,
      cpu: () => perRole(cpuSeconds),
      rssKb: () => perRole(rssKb),
      async stop() {
        stream.close();
        await stop();
      },
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
