import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ServiceRole } from '../../contracts/index.js';
import { backoffDelay } from '../../infra/backoff.js';
import type { Logger } from '../../infra/logger.js';
import type { MetricsPart } from '../../infra/metrics/metrics-text.js';
import { stopProcess } from '../stop-process.js';
import { LineRelay } from './line-relay.js';
import { MetricsRequests } from './metrics-requests.js';
import { isSupervisorMessage, SIBLING_METRICS_TIMEOUT_MS, type SupervisorMessage } from './supervisor-messages.js';

const MAIN = fileURLToPath(new URL('../../main.ts', import.meta.url));
/** A role process that ran this long before it died starts again at once; one that keeps dying waits longer. */
const HEALTHY_RUN_MS = 60_000;
const RESTART_BASE_MS = 1_000;
const RESTART_MAX_MS = 30_000;

export interface RoleSupervisorOptions {
  roles: readonly ServiceRole[];
  /** Each role process's environment. */
  envFor: (role: ServiceRole) => NodeJS.ProcessEnv;
  logger: Logger;
  /** Where the role processes' whole lines go: their JSON logs, and their stderr (errors a person reads). */
  stdout: (lines: string) => void;
  stderr: (lines: string) => void;
}

interface RoleProcess {
  role: ServiceRole;
  child: ChildProcess | undefined;
  ready: boolean;
  startedAt: number;
  /** Restarts in a row without a healthy run between them. */
  failures: number;
  restartTimer?: NodeJS.Timeout;
}

export class RoleStartError extends Error {
  readonly code = 'role_start_failed';
}

/**
 * `./nexus start`: every role in a Node process of its own (`main.ts --role <role> --supervised`), so the API, the
 * worker and the bridge use more than one core, while a person still runs one command and reads one log. A role
 * process that dies is started again (backing off while it keeps dying) and the others go on; its lines and its
 * stderr reach the same terminal. Role processes are their own process group: a terminal's Ctrl-C reaches only
 * the supervisor, which stops them in order, and one whose supervisor was killed sees its IPC channel close and stops
 * itself (runtime/supervisor/supervisor-link.ts).
 */
export class RoleSupervisor {
  private readonly processes: RoleProcess[];
  private stopping = false;
  private readonly requests = new MetricsRequests();

  constructor(private readonly options: RoleSupervisorOptions) {
    this.processes = options.roles.map((role) => ({ role, child: undefined, ready: false, startedAt: 0, failures: 0 }));
  }

  /** Starts every role process; resolves once each said it is ready, or stops them all if one ends first. */
  async start(): Promise<void> {
    try {
      await Promise.all(this.processes.map((p) => this.launch(p, true)));
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  /** The process ids of the running role processes, by role. */
  pids(): Partial<Record<ServiceRole, number>> {
    return Object.fromEntries(this.processes.filter((p) => p.child?.pid !== undefined).map((p) => [p.role, p.child?.pid]));
  }

  /** Asks every role process to stop (SIGTERM) and waits; one still running after `graceMs` is killed. */
  async stop(graceMs = 25_000): Promise<void> {
    this.stopping = true;
    await Promise.all(this.processes.map(async (p) => {
      clearTimeout(p.restartTimer);
      if (p.child) await stopProcess(p.child, graceMs);
    }));
  }

  /** `initial`: part of start(), which fails if the process ends before it is ready; later, it is started again. */
  private launch(p: RoleProcess, initial: boolean): Promise<void> {
    const { logger } = this.options;
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, '--role', p.role, '--supervised'], {
      env: this.options.envFor(p.role),
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      detached: true,
    });
    p.child = child;
    p.ready = false;
    p.startedAt = Date.now();
    const out = new LineRelay(this.options.stdout);
    const err = new LineRelay(this.options.stderr);
    child.stdout?.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => err.push(chunk));
    // After 'exit' its pipes may still hold its last lines: a line left open is passed on once they have closed.
    child.once('close', () => {
      out.flush();
      err.flush();
    });
    return new Promise<void>((resolve, reject) => {
      child.on('message', (message: unknown) => {
        if (!isSupervisorMessage(message)) return;
        if (message.kind === 'ready') {
          p.ready = true;
          logger.info({ role: p.role, pid: child.pid }, 'role process ready');
          resolve();
        } else if (message.kind === 'metrics-request') {
          void this.gatherMetrics(p).then((parts) => this.send(child, { kind: 'metrics-reply', id: message.id, parts }));
        } else {
          this.requests.settle(message.id, message.parts);
        }
      });
      child.once('exit', (code, signal) => {
        if (this.stopping) return;
        if (!p.ready && initial) {
          reject(new RoleStartError(`the ${p.role} process ended before it was ready (${signal ?? `exit code ${code}`})`));
          return;
        }
        this.restartLater(p, code, signal);
      });
    });
  }

  private restartLater(p: RoleProcess, code: number | null, signal: NodeJS.Signals | null): void {
    p.failures = Date.now() - p.startedAt >= HEALTHY_RUN_MS ? 1 : p.failures + 1;
    const delay = backoffDelay(p.failures, RESTART_BASE_MS, RESTART_MAX_MS);
    this.options.logger.error({ role: p.role, exit_code: code, signal, restart_in_ms: delay, failures: p.failures }, 'role process ended; starting it again');
    p.restartTimer = setTimeout(() => {
      if (this.stopping) return;
      // A restart that ends before it is ready counts as one more failure and is started again in turn.
      void this.launch(p, false);
    }, delay);
  }

  /** The metrics of every ready role process but the asking one, for one scrape of the asking API. */
  private async gatherMetrics(asking: RoleProcess): Promise<MetricsPart[]> {
    const others = this.processes.filter((p) => p !== asking && p.ready && p.child?.connected);
    // Shorter than the asking API's own wait, so it gets the parts that did arrive.
    const parts = await Promise.all(others.map((p) => this.requests.ask(
      (id) => this.send(p.child as ChildProcess, { kind: 'metrics-request', id }),
      SIBLING_METRICS_TIMEOUT_MS / 2,
    )));
    return parts.flat();
  }

  private send(child: ChildProcess, message: SupervisorMessage): void {
    if (child.connected) child.send(message);
  }
}
