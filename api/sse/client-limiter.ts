import type { Principal } from '../auth/principal.js';

/** Whose slots a request takes: the token's (a ticket counts against the token that minted it), or the local user's. */
export function slotOwner(principal: Principal): string {
  return principal.token_id ?? `${principal.kind}:${principal.id}`;
}

/**
 * Open SSE clients (and MCP tool calls waiting on the same feeds) per principal (per token: a ticket counts against the token that minted it), in this process.
 * Each client holds a Redis feed subscription and a buffer, so one leaked token cannot open thousands.
 */
export class SseClientLimiter {
  private readonly open = new Map<string, number>();

  constructor(readonly max: number) {}

  /** Streams open in this process, every principal together. */
  get total(): number {
    let sum = 0;
    for (const n of this.open.values()) sum += n;
    return sum;
  }

  /** A release function, or undefined when the principal already has `max` streams open. */
  acquire(key: string): (() => void) | undefined {
    const n = this.open.get(key) ?? 0;
    if (n >= this.max) return undefined;
    this.open.set(key, n + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.open.get(key) ?? 1) - 1;
      if (left <= 0) this.open.delete(key);
      else this.open.set(key, left);
    };
  }
}
