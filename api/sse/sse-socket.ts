import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { chunkOf } from './http-chunk.js';
import { sseFrame, type SseMessage } from './sse-frame.js';

/** What the history, page and gap writers need of a stream: ordered writes that wait while the client is behind. */
export interface SseOut {
  /** The client went away (its socket closed before the stream ended). */
  readonly aborted: boolean;
  write(chunk: string | Buffer): Promise<void>;
  writeSSE(message: SseMessage): Promise<void>;
}

export const SSE_HEADERS = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache',
  connection: 'keep-alive',
  // A proxy that buffers (nginx) would hold the events until its buffer fills.
  'x-accel-buffering': 'no',
} as const;

/** Bytes several clients are sent alike, prepared once: as they are, and as one HTTP/1.1 chunk. */
export interface SharedBytes {
  readonly frames: Buffer;
  readonly chunked: Buffer;
}

/**
 * A report stream written straight to Node's response. Hono's `streamSSE` would put a web stream, a text encoder
 * and a reader loop between every event and every client; with thousands of clients that per-client work is most
 * of the API's CPU. Here a frame built once is handed to each socket as it is, and a client whose socket buffer is
 * full is told to wait for `drain` instead of having its bytes queue without bound.
 *
 * Once the headers are out on a chunked response, every write goes to the socket itself, already framed as a
 * chunk (`SharedBytes.chunked`, framed once for all clients): Node's response would frame and cork each write per
 * client again, which measured 1.7 times the CPU of one socket write. The end still goes through the response, so
 * Node writes the last chunk and keeps the connection's state. A response without a socket yet (a request
 * pipelined behind another) or not chunked (an HTTP/1.0 client) is written through the response as usual.
 */
export class SseSocket implements SseOut {
  aborted = false;
  /** This side ended the stream. */
  closed = false;
  private readonly abortListeners: Array<() => void> = [];
  /** The socket written directly, when the response is chunked and has one. */
  private readonly direct: Socket | undefined;

  private constructor(private readonly res: ServerResponse) {
    const socket = res.socket;
    this.direct = socket && (res as { chunkedEncoding?: boolean }).chunkedEncoding === true && res.headersSent ? socket : undefined;
    // A write racing a client that just left must not become an unhandled 'error'.
    res.on('error', () => undefined);
    res.once('close', () => {
      if (res.writableFinished) return;
      this.aborted = true;
      for (const listener of this.abortListeners.splice(0)) listener();
    });
  }

  /** Sends the 200 and the stream's headers now, so the client knows the stream is open before any event. */
  static open(res: ServerResponse): SseSocket {
    res.writeHead(200, SSE_HEADERS);
    res.flushHeaders();
    return new SseSocket(res);
  }

  private get writable(): boolean {
    return !this.aborted && !this.closed && !this.res.destroyed && !this.res.writableEnded && this.direct?.destroyed !== true;
  }

  /** Hands `chunk` to the socket now; false when its buffer is full and the caller should wait for `onDrain`. */
  writeNow(chunk: string | Buffer): boolean {
    // An empty chunk would read as the end of the body.
    if (!this.writable || chunk.length === 0) return true;
    return this.direct ? this.direct.write(chunkOf(chunk)) : this.res.write(chunk);
  }

  /** `writeNow` for bytes prepared once for many clients. */
  writeShared(bytes: SharedBytes): boolean {
    if (!this.writable || bytes.frames.length === 0) return true;
    return this.direct ? this.direct.write(bytes.chunked) : this.res.write(bytes.frames);
  }

  /** Calls `resume` once the socket can take more (or closed, so nothing waits forever on a client that left). */
  onDrain(resume: () => void): void {
    // Writes straight to the socket never fill the response's buffer, so only the socket says when it drained.
    const emitter = this.direct ?? this.res;
    const done = () => {
      emitter.off('drain', done);
      this.res.off('close', done);
      resume();
    };
    emitter.once('drain', done);
    this.res.once('close', done);
  }

  async write(chunk: string | Buffer): Promise<void> {
    if (this.writeNow(chunk)) return;
    await new Promise<void>((resolve) => this.onDrain(resolve));
  }

  writeSSE(message: SseMessage): Promise<void> {
    return this.write(sseFrame(message));
  }

  onAbort(listener: () => void): void {
    if (this.aborted) listener();
    else this.abortListeners.push(listener);
  }

  /** Cuts the connection: for a client that stopped reading, whose buffered bytes would otherwise never leave. */
  destroy(): void {
    this.res.destroy();
  }

  /**
   * Ends the stream after what was written. A client that stopped reading would keep the socket (and its buffered
   * bytes) forever, so the socket is cut when the end has not gone out within `graceMs`.
   */
  end(graceMs: number): void {
    if (this.closed) return;
    this.closed = true;
    if (this.res.destroyed) return;
    const cut = setTimeout(() => this.res.destroy(), graceMs).unref();
    this.res.once('close', () => clearTimeout(cut));
    this.res.end();
  }
}
