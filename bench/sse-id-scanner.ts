const NL = 0x0a;
const DASH = 0x2d;
const ZERO = 0x30;
const NEWLINE = Buffer.from('\n');
const ID = Buffer.from('id: ');
const ID_LINE = Buffer.concat([NEWLINE, ID]);
const LIVE = Buffer.from('event: live');
const LIVE_LINE = Buffer.concat([NEWLINE, LIVE]);
const HEAD_END = Buffer.from('\r\n\r\n');
const HEAD_MAX = 16 * 1024;
/** An `id:` or `event:` line is short; of a longer partial line (data) only its start needs keeping. */
const TAIL_MAX = 64;

export interface SseIdEvents {
  /** A report's id, in stream order, with the ms that begins it (when Redis appended it). */
  id(id: string, appendedMs: number): void;
  /** The stream's `live` event, once. */
  live(): void;
  fail(reason: string): void;
}

/**
 * Reads an SSE response (`GET /agent/reports/stream`) from raw socket bytes as cheaply as possible, so that the
 * bench's thousands of dashboards cost little of a small machine's CPU: no HTTP parser, no decoding, no string per
 * read. The status line is checked; then only `id:` lines (each report has exactly one) and the `live` event are
 * looked at. Either always follows a newline: data lines are `data: `-prefixed, HTTP chunk sizes end in CRLF. A read
 * may end anywhere, so an unfinished line is kept (its first bytes) for the next.
 */
export class SseIdScanner {
  /** The response's head while it is still arriving; undefined once the 200 was seen. */
  private head: Buffer | undefined = Buffer.alloc(0);
  /**
   * What the next read continues: `NEWLINE` when the previous one ended a line (the body, too, begins at one), the
   * unfinished last line from its newline on (at most `TAIL_MAX` bytes), or nothing in the middle of a long line.
   */
  private tail: Buffer | undefined = NEWLINE;
  private sawLive = false;
  private failed = false;

  constructor(private readonly events: SseIdEvents) {}

  /** `bytes` may be a reused read buffer: nothing of it is kept after the call. */
  push(bytes: Buffer): void {
    if (this.failed) return;
    if (this.head === undefined) {
      this.body(bytes);
      return;
    }
    const head = Buffer.concat([this.head, bytes]);
    const end = head.indexOf(HEAD_END);
    if (end === -1) {
      if (head.length > HEAD_MAX) this.fail('the response head never ended');
      else this.head = head;
      return;
    }
    const status = head.toString('latin1', 0, head.indexOf('\r\n'));
    if (!/^HTTP\/1\.1 200 /.test(status)) {
      const from = end + HEAD_END.length;
      this.fail(`answered ${status}: ${head.toString('utf8', from, from + 500)}`);
      return;
    }
    this.head = undefined;
    this.body(head.subarray(end + HEAD_END.length));
  }

  private body(chunk: Buffer): void {
    // A kept line begins with its newline, so the joined bytes are read as if after one; a lone newline is not
    // joined (most reads end one), the read is only known to begin a line.
    const lineStart = this.tail === NEWLINE;
    const bytes = this.tail && !lineStart ? Buffer.concat([this.tail, chunk]) : chunk;
    for (let at = lineStart && startsWith(bytes, ID) ? 0 : idLineAfter(bytes, 0); at !== -1; ) {
      const end = bytes.indexOf(NL, at);
      // The line goes on in the next read: it is kept as the tail below.
      if (end === -1) break;
      let ms = 0;
      for (let i = at + ID.length; i < end && bytes[i] !== DASH; i++) ms = ms * 10 + (bytes[i]! - ZERO);
      this.events.id(bytes.toString('latin1', at + ID.length, end), ms);
      at = idLineAfter(bytes, end);
    }
    if (!this.sawLive && (bytes.indexOf(LIVE_LINE) !== -1 || (lineStart && startsWith(bytes, LIVE)))) {
      this.sawLive = true;
      this.events.live();
    }
    const lastNl = bytes.lastIndexOf(NL);
    // Copied: the bytes may be a read buffer the next read of any socket reuses.
    if (lastNl === bytes.length - 1) this.tail = NEWLINE;
    else if (lastNl !== -1) this.tail = Buffer.from(bytes.subarray(lastNl, lastNl + TAIL_MAX));
    else this.tail = lineStart ? Buffer.concat([NEWLINE, bytes.subarray(0, TAIL_MAX)]) : undefined;
  }

  private fail(reason: string): void {
    this.failed = true;
    this.events.fail(reason);
  }
}

function startsWith(bytes: Buffer, prefix: Buffer): boolean {
  if (bytes.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
}

/** Where the next line beginning `id: ` starts, at or after the newline at `from`; -1 when none does. */
function idLineAfter(bytes: Buffer, from: number): number {
  const at = bytes.indexOf(ID_LINE, from);
  return at === -1 ? -1 : at + 1;
}
