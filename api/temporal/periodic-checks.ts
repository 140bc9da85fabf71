import { sleep } from '../../infra/backoff.js';
import type { Logger } from '../../infra/logger.js';

/** One pass of something the API compares with Temporal; a pass that fails is retried at the next interval. */
export interface TemporalCheck {
  readonly name: string;
  check(): Promise<unknown>;
}

/**
 * Runs the API's checks against Temporal one after another every interval, in one loop, until stopped. `stop()`
 * waits for the pass in flight, which each check bounds with its own deadline.
 */
export class PeriodicChecks {
  private readonly stopping = new AbortController();
  private loop: Promise<void> | undefined;

  constructor(
    private readonly checks: readonly TemporalCheck[],
    private readonly intervalMs: number,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopping.signal.aborted) {
      for (const check of this.checks) {
        if (this.stopping.signal.aborted) break;
        try {
          await check.check();
        } catch (err) {
          // Temporal or Redis away: /health says so on its own; the check's last result stays until a pass succeeds.
          this.logger.debug({ check: check.name, err: (err as Error).message }, 'check failed; retrying next interval');
        }
      }
      await sleep(this.intervalMs, this.stopping.signal);
    }
  }
}
