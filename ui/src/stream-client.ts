import { reconnectDelay } from './backoff.js';
import { errorMessage, errorText, isFatalStatus } from './error-text.js';
import { SseParser, type SseMessage } from './sse-parser.js';
import { authHeaders } from './token.js';
import { t } from './i18n/locale.js';

export type ConnectionState =
  | { kind: 'connecting' }
  /** Connected, receiving history; not live until the server's `live` event says the replay is done. */
  | { kind: 'catching_up' }
  | { kind: 'live' }
  | { kind: 'reconnecting'; attempt: number; delayMs: number; cause: string }
  | { kind: 'offline'; reason: string };

export interface StreamHandlers {
  message(msg: SseMessage): void;
  state(state: ConnectionState): void;
}

/** The server's default `retry:`; replaced by whatever the stream announces. */
const DEFAULT_RETRY_MS = 2_000;
/** The API sends a heartbeat every 15 s by default; three missed ones means the connection is dead but not closed. */
const SILENCE_LIMIT_MS = 45_000;

/**
 * A reconnecting SSE client over `fetch`. Not the native EventSource: that one gives up for good on a non-200
 * answer (a restarting API answers 502/503 or refuses the connection), and we want to show the attempt number
 * and choose the backoff. It resumes with `cursor=<last id>` so the server sends exactly what was missed.
 */
export class StreamClient {
  lastId: string | undefined;
  private retryMs = DEFAULT_RETRY_MS;
  private attempt = 0;
  private stopped = false;
  private abort: AbortController | undefined;
  private wake: (() => void) | undefined;

  /**
   * `bootstrap` runs before the first connection (and again after it failed): it loads what the page shows first
   * through bounded pages and returns the cursor the live stream continues from, so nothing is replayed twice.
   */
  constructor(
    private readonly urlFor: (cursor: string | undefined) => string,
    private readonly handlers: StreamHandlers,
    private bootstrap?: () => Promise<string | undefined>,
  ) {}

  start(): void {
    addEventListener('online', this.onOnline);
    void this.loop();
  }

  stop(): void {
    this.stopped = true;
    removeEventListener('online', this.onOnline);
    this.abort?.abort();
    this.wake?.();
  }

  /** The network came back: skip the rest of the backoff. */
  private readonly onOnline = (): void => {
    this.wake?.();
  };

  private async loop(): Promise<void> {
    this.handlers.state({ kind: 'connecting' });
    while (!this.stopped) {
      let cause: string;
      try {
        cause = await this.connectOnce();
      } catch (err) {
        cause = err instanceof Error ? err.message : String(err);
      }
      if (this.stopped) return;
      if (cause.startsWith('fatal:')) {
        this.handlers.state({ kind: 'offline', reason: cause.slice(6).trim() });
        return;
      }
      if (!navigator.onLine) {
        this.handlers.state({ kind: 'offline', reason: t.connection.deviceOffline });
        await this.sleep(Number.POSITIVE_INFINITY);
        continue;
      }
      this.attempt += 1;
      const delayMs = reconnectDelay(this.attempt, this.retryMs);
      this.handlers.state({ kind: 'reconnecting', attempt: this.attempt, delayMs, cause });
      await this.sleep(delayMs);
    }
  }

  /** One connection, from request to end; resolves with why it ended ("fatal: …" when retrying cannot help). */
  private async connectOnce(): Promise<string> {
    if (this.bootstrap) {
      this.handlers.state({ kind: 'catching_up' });
      try {
        this.lastId = (await this.bootstrap()) ?? this.lastId;
      } catch (err) {
        return err instanceof Error ? err.message : String(err);
      }
      this.bootstrap = undefined;
      if (this.stopped) return 'stopped';
    }
    const abort = new AbortController();
    this.abort = abort;
    let response: Response;
    try {
      response = await fetch(this.urlFor(this.lastId), {
        headers: { accept: 'text/event-stream', ...authHeaders() },
        cache: 'no-store',
        signal: abort.signal,
      });
    } catch {
      // fetch says only "Failed to fetch": refused, reset, DNS, or a proxy that hung up.
      return t.connection.apiUnreachable;
    }
    if (isFatalStatus(response.status)) {
      return `fatal: ${await errorMessage(response)}`;
    }
    if (response.status !== 200 || !response.body) {
      return errorMessage(response);
    }
    this.handlers.state({ kind: 'catching_up' });
    // Why the server ended this stream, when it said (`event: error`): shown instead of a bare "the stream ended".
    let endCause: string | undefined;
    const parser = new SseParser({
      message: (msg) => {
        if (msg.event === 'live') {
          // Only a stream that caught up resets the backoff: one that opens and fails at once keeps slowing down.
          this.attempt = 0;
          this.handlers.state({ kind: 'live' });
          return;
        }
        if (msg.event === 'error') {
          endCause = errorText(msg.data) ?? endCause;
          return;
        }
        if (msg.id !== undefined && msg.id !== '') this.lastId = msg.id;
        this.handlers.message(msg);
      },
      retry: (ms) => {
        this.retryMs = Math.max(100, ms);
      },
    });
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let watchdog = setTimeout(() => abort.abort(), SILENCE_LIMIT_MS);
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return endCause ?? t.connection.streamEnded;
        clearTimeout(watchdog);
        watchdog = setTimeout(() => abort.abort(), SILENCE_LIMIT_MS);
        parser.feed(value);
      }
    } catch {
      if (abort.signal.aborted && !this.stopped) return t.connection.noHeartbeat;
      return endCause ?? t.connection.connectionLost;
    } finally {
      clearTimeout(watchdog);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = Number.isFinite(ms) ? setTimeout(done, ms) : undefined;
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}
