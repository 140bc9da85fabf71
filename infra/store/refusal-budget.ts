import type { Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import type { RedisKeys } from './keys.js';
import type { AuditLog } from './audit-log.js';
import { WindowCounter } from './window-counter.js';

export const REFUSAL_WINDOW_MS = 60_000;
/** Summaries are written a moment after their window ends, so requests still in flight are counted. */
const SUMMARY_GRACE_MS = 1_000;
/** Windows over budget that one process remembers for their summary; past it only the `refusals_limited` entry is kept. */
const MAX_PENDING_SUMMARIES = 10_000;

/** Who spends a refusal budget, and the audit log its entries belong to. */
export interface RefusalSubject {
  /** `p:<kind>:<principal id>` for an authenticated caller, `ip:<address>` for anyone else. */
  key: string;
  /** The principal's own org, or the security log: never an org the request merely named. */
  org: string;
  principal: string;
  principal_kind: string;
  client_ip?: string;
}

/** `write`: record this refusal entry by entry; `skip`: it was only counted. */
export type Spend = 'write' | 'skip';

/**
 * Refused requests per caller in fixed windows in Redis (`NEXUS_REFUSAL_LIMIT_PER_MIN`). The first `limit` of a
 * window are audited one by one; then the caller is answered 429 until the window ends, one `refusals_limited`
 * entry marks the moment and one `refusals_summary` entry counts the rest, so a flood of refusals costs a log two
 * entries per window instead of pushing its history out. A Redis fault lets requests through and keeps writing
 * entries: the budget protects the log, it is not the security boundary.
 */
export class RefusalBudget {
  private readonly pending = new Map<string, { subject: RefusalSubject; window: number }>();
  private timer: NodeJS.Timeout | undefined;
  private readonly windows: WindowCounter;

  constructor(
    redis: Redis,
    private readonly keys: RedisKeys,
    private readonly audit: AuditLog,
    /** Refusals per caller per window; 0 turns the budget off. */
    readonly limit: number,
    private readonly logger: Logger,
    windowMs = REFUSAL_WINDOW_MS,
  ) {
    this.windows = new WindowCounter(redis, windowMs);
  }

  /** The ms left in the window when `subject` has used its budget (answer 429), else undefined. */
  async exhausted(subject: RefusalSubject): Promise<number | undefined> {
    if (this.limit === 0) return undefined;
    const window = this.windows.windowAt();
    const seen = await this.windows.peek(this.keys.refusals(subject.key), window).catch(() => 0);
    return seen >= this.limit ? this.windows.endOf(window) - Date.now() : undefined;
  }

  /** Counts one refusal of `subject`. */
  async spend(subject: RefusalSubject): Promise<Spend> {
    if (this.limit === 0) return 'write';
    const window = this.windows.windowAt();
    let count: number;
    try {
      count = await this.windows.hit(this.keys.refusals(subject.key), window);
    } catch {
      return 'write';
    }
    if (count <= this.limit) return 'write';
    // INCR is atomic: exactly one request in the whole install sees limit + 1, so the marker and the summary are
    // written once per caller and window however many API processes there are.
    if (count === this.limit + 1) {
      await this.audit.append(subject.org, { event: 'refusals_limited', ...this.who(subject), ...this.bounds(window), limit: this.limit });
      this.remember(subject, window);
    }
    return 'skip';
  }

  /** Writes the summaries still owed, ended windows or not (on shutdown, so a restart loses no count). */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.writeSummaries(true);
  }

  private remember(subject: RefusalSubject, window: number): void {
    if (this.pending.size >= MAX_PENDING_SUMMARIES) {
      this.logger.warn({ limit: this.limit }, 'too many callers over their refusal budget this window; their summaries are skipped');
      return;
    }
    this.pending.set(`${subject.key}|${window}`, { subject, window });
    this.schedule();
  }

  private schedule(): void {
    if (this.timer || this.pending.size === 0) return;
    const next = Math.min(...[...this.pending.values()].map((p) => this.windows.endOf(p.window)));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.writeSummaries(false).finally(() => this.schedule());
    }, Math.max(0, next + SUMMARY_GRACE_MS - Date.now()));
    // A pending summary must not keep a process alive that is otherwise done.
    this.timer.unref();
  }

  private async writeSummaries(all: boolean): Promise<void> {
    const now = Date.now();
    for (const [id, { subject, window }] of this.pending) {
      if (!all && this.windows.endOf(window) + SUMMARY_GRACE_MS > now) continue;
      this.pending.delete(id);
      const count = await this.windows.peek(this.keys.refusals(subject.key), window).catch(() => null);
      await this.audit.append(subject.org, {
        event: 'refusals_summary',
        ...this.who(subject),
        ...this.bounds(window),
        limit: this.limit,
        // The counter crossed the limit to be summarized; if it is already gone, limit + 1 is what is known.
        count: Math.max(count ?? 0, this.limit + 1),
      });
    }
  }

  private who(subject: RefusalSubject) {
    return { principal: subject.principal, principal_kind: subject.principal_kind, client_ip: subject.client_ip };
  }

  private bounds(window: number) {
    return { window_start: new Date(window * this.windows.windowMs).toISOString(), window_end: new Date(this.windows.endOf(window)).toISOString() };
  }
}
