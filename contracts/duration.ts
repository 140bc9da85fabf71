import { z } from 'zod';

const MAX_TIMER_MS = 2_147_483_647;

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Parses `500ms`, `30s`, `5m`, `24h`, `7d` (or bare milliseconds) into milliseconds. */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!match) return undefined;
  const unit = (match[2] ?? 'ms') as keyof typeof UNIT_MS;
  return Math.round(Number(match[1]) * UNIT_MS[unit]);
}

export const Duration = z.string().transform((text, ctx) => {
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0) {
    ctx.addIssue({ code: 'custom', message: `"${text}" is not a duration like 30s, 5m or 24h` });
    return z.NEVER;
  }
  // Node timers hold at most 2^31-1 ms (~24.8 days); longer ones would fire at once.
  if (ms > MAX_TIMER_MS) {
    ctx.addIssue({ code: 'custom', message: `"${text}" is longer than 24d, the longest timer Node can hold` });
    return z.NEVER;
  }
  return ms;
});
