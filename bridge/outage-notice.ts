/**
 * When many reports fail to store at once (Redis gone under a full prefetch window: up to one per command), one
 * warning per interval says so with how many are waiting; each report's own retry line is debug. Without it an
 * outage wrote hundreds of warnings per backoff round.
 */
export class OutageNotice {
  private lastWarnAt = Number.NEGATIVE_INFINITY;
  private readonly waiting = new Set<string>();

  constructor(private readonly intervalMs: number, private readonly now: () => number = Date.now) {}

  /** A report failed to store: true when this failure should be the interval's warning. */
  failed(reportId: string): boolean {
    this.waiting.add(reportId);
    const at = this.now();
    if (at - this.lastWarnAt < this.intervalMs) return false;
    this.lastWarnAt = at;
    return true;
  }

  stored(reportId: string): void {
    this.waiting.delete(reportId);
  }

  /** Reports failing right now, each counted once however often it was retried. */
  get count(): number {
    return this.waiting.size;
  }
}
