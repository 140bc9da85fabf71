/**
 * Passes a child's output on a whole line at a time, so lines from several role processes sharing one stdout never
 * interleave mid-line (each JSON log line stays parseable). A line still open when the child's stream ends is
 * passed on with its own newline. A single line longer than `maxLine` is passed on in pieces rather than held.
 */
export class LineRelay {
  private pending = '';

  constructor(private readonly write: (lines: string) => void, private readonly maxLine = 1 << 20) {}

  push(chunk: Buffer | string): void {
    const text = this.pending + chunk.toString();
    const end = text.lastIndexOf('\n');
    if (end === -1) {
      this.pending = text;
    } else {
      this.write(text.slice(0, end + 1));
      this.pending = text.slice(end + 1);
    }
    if (this.pending.length > this.maxLine) this.flush();
  }

  flush(): void {
    if (this.pending === '') return;
    this.write(`${this.pending}\n`);
    this.pending = '';
  }
}
