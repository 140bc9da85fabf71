export const BACKOFF_CAP_MS = 10_000;

/**
 * Delay before reconnect attempt `attempt` (1-based): exponential from the server's `retry:` hint, capped, with
 * "equal jitter" (half fixed, half random) so a restarted API is not hit by every open dashboard at once while
 * no client waits much longer than the schedule says.
 */
export function reconnectDelay(attempt: number, baseMs: number, random: () => number = Math.random): number {
  const exp = Math.min(BACKOFF_CAP_MS, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exp / 2 + random() * (exp / 2));
}
