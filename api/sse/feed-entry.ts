import type { StreamEntry } from '../../infra/store/report-store.js';
import { chunkOf } from './http-chunk.js';
import { sseFrame } from './sse-frame.js';

/** A stored report as the streams send it: what filters and metrics read from it, and its frame, built once. */
export class FeedEntry implements StreamEntry {
  readonly correlationId: string | undefined;
  /** The workflow's stamp on the report, for the delivery-lag metric. */
  readonly ts: string | undefined;
  readonly reportType: string | undefined;
  private bytes: Buffer | undefined;

  constructor(readonly id: string, readonly data: string, readonly trace: string | undefined) {
    let fields: { correlation_id?: unknown; ts?: unknown; report_type?: unknown } = {};
    try {
      fields = JSON.parse(data) as typeof fields;
    } catch {
      // Not ours to judge here: the bridge only stores valid reports, and the client shows what it gets.
    }
    this.correlationId = typeof fields.correlation_id === 'string' ? fields.correlation_id : undefined;
    this.ts = typeof fields.ts === 'string' ? fields.ts : undefined;
    this.reportType = typeof fields.report_type === 'string' ? fields.report_type : undefined;
  }

  /** The `event: report` frame; built on first use (a filtered page reads many entries it never sends). */
  get frame(): Buffer {
    this.bytes ??= Buffer.from(sseFrame({ event: 'report', id: this.id, data: this.data }));
    return this.bytes;
  }
}

export function toFeedEntry(row: StreamEntry): FeedEntry {
  return new FeedEntry(row.id, row.data, row.trace);
}

/**
 * The entries of one XREAD, shared by every client of the tenant: a client that wants them all (no filter, up to
 * date) gets the same buffer as every other, so a report is serialized and copied once per API, not per client.
 */
export class FeedBatch {
  private joined: Buffer | undefined;
  private asChunk: Buffer | undefined;

  constructor(readonly entries: readonly FeedEntry[]) {}

  get frames(): Buffer {
    this.joined ??= this.entries.length === 1 && this.entries[0] ? this.entries[0].frame : Buffer.concat(this.entries.map((e) => e.frame));
    return this.joined;
  }

  /** The frames as one HTTP/1.1 chunk, the framing shared too (it depends only on the length). */
  get chunked(): Buffer {
    this.asChunk ??= chunkOf(this.frames);
    return this.asChunk;
  }

  get lastId(): string {
    return this.entries.at(-1)?.id ?? '0-0';
  }
}
