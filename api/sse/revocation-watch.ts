import type { TokenStore } from '../auth/token-store.js';
import type { Logger } from '../../infra/logger.js';

/** Fast enough for a short test TTL, slow enough that a TTL of 0 (no cache) does not spin. */
const MIN_INTERVAL_MS = 250;

/**
 * Ends open streams whose token was revoked. A stream is authorised once, when it opens, and may stay open for
 * days, so this process asks Redis about every token with an open stream each half cache TTL (one batch for all
 * of them, and only while streams are open): a revocation ends the token's streams, and those of the tickets it
 * minted, within `NEXUS_AUTH_CACHE_TTL` like it ends new requests.
 */
export class RevocationWatch {
  private readonly watchers = new Map<string, Set<() => void>>();
  private timer: NodeJS.Timeout | undefined;
  private checking = false;
  readonly intervalMs: number;

  constructor(
    private readonly tokens: Pick<TokenStore, 'revokedAmong'>,
    cacheTtlMs: number,
    private readonly logger: Logger,
  ) {
    this.intervalMs = Math.max(MIN_INTERVAL_MS, Math.floor(cacheTtlMs / 2));
  }

  /** Calls `onRevoked` (once) when `tokenId` is revoked; the returned function stops watching. */
  watch(tokenId: string, onRevoked: () => void): () => void {
    let set = this.watchers.get(tokenId);
    if (!set) this.watchers.set(tokenId, (set = new Set()));
    set.add(onRevoked);
    this.timer ??= setInterval(() => void this.check(), this.intervalMs).unref();
    return () => {
      set.delete(onRevoked);
      if (set.size === 0 && this.watchers.get(tokenId) === set) this.watchers.delete(tokenId);
      this.stopWhenIdle();
    };
  }

  /** Tokens with an open stream in this process; tests use it to prove nothing is left behind. */
  get watchedTokens(): number {
    return this.watchers.size;
  }

  private async check(): Promise<void> {
    // A slow Redis must not pile checks up behind each other.
    if (this.checking || this.watchers.size === 0) return;
    this.checking = true;
    try {
      const revoked = await this.tokens.revokedAmong([...this.watchers.keys()]);
      for (const tokenId of revoked) {
        const set = this.watchers.get(tokenId);
        this.watchers.delete(tokenId);
        for (const end of set ?? []) end();
      }
    } catch (err) {
      // Streams stay open: with Redis unreachable they end by themselves (the feed fails), and no new ones open.
      this.logger.warn({ err: (err as Error).message }, 'could not check open streams for revoked tokens');
    } finally {
      this.checking = false;
      this.stopWhenIdle();
    }
  }

  private stopWhenIdle(): void {
    if (this.watchers.size > 0 || !this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
