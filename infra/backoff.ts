/** Exponential backoff with full jitter, capped: what every reconnect loop in NEXUS uses. */
export function backoffDelay(attempt: number, baseMs = 200, maxMs = 10_000): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
}

/** The one sleep: resolves after `ms`, or at once when `signal` aborts (callers check the signal afterwards). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    // A long-lived signal (a watcher's stop) sees one sleep after another: each takes its listener away again.
    const wake = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', wake);
      resolve();
    };
    const timer = setTimeout(wake, signal?.aborted ? 0 : ms);
    signal?.addEventListener('abort', wake, { once: true });
  });
}
