// Incremental ESL framing. Bytes go in as TCP delivers them; whole frames come out. Never touches a socket.
//
// mod_event_socket writes every message as a header block ended by a blank line ("\n\n"). When the block has
// Content-Length, exactly that many bytes of body follow (a byte count, so a body with multi-byte UTF-8 must be
// cut on bytes, not characters). auth/request and command/reply carry no Content-Length and end at the blank line.
import { parseHeaderLines, type EslFrame } from './frame.js';

const LF = 0x0a;
const INITIAL_BUFFER = 64 * 1024;
const MAX_IDLE_BUFFER = 1024 * 1024;

export class EslParser {
  private buf: Buffer = Buffer.allocUnsafe(INITIAL_BUFFER);
  private start = 0;
  private end = 0;
  /** Where to resume looking for the blank line, so a header block arriving byte by byte is scanned once. */
  private scanFrom = 0;
  /** Headers of a frame whose body has not fully arrived yet. */
  private pending: { headers: Record<string, string>; length: number } | undefined;

  /** Appends a chunk and returns every frame it completes (possibly none, possibly several). */
  push(chunk: Buffer): EslFrame[] {
    this.append(chunk);
    const frames: EslFrame[] = [];
    for (;;) {
      const frame = this.next();
      if (!frame) break;
      frames.push(frame);
    }
    if (this.start === this.end && !this.pending) {
      this.start = this.end = this.scanFrom = 0;
      // One huge body (a big `show ... as json`) should not pin its buffer for the life of the connection.
      if (this.buf.length > MAX_IDLE_BUFFER) this.buf = Buffer.allocUnsafe(INITIAL_BUFFER);
    }
    return frames;
  }

  /** Bytes received but not yet part of a complete frame. */
  get buffered(): number {
    return this.end - this.start;
  }

  private next(): EslFrame | undefined {
    if (!this.pending) {
      // Stray newlines between messages are not an (empty) frame.
      while (this.start < this.end && this.buf[this.start] === LF) this.start++;
      if (this.scanFrom < this.start) this.scanFrom = this.start;
      const blank = this.findBlankLine();
      if (blank === -1) return undefined;
      const headers = parseHeaderLines(this.buf.toString('utf8', this.start, blank), false);
      this.start = blank + 2;
      this.scanFrom = this.start;
      const length = Number.parseInt(headers['Content-Length'] ?? '', 10);
      if (!(length > 0)) return { headers, body: '' };
      this.pending = { headers, length };
    }
    if (this.end - this.start < this.pending.length) return undefined;
    const body = this.buf.toString('utf8', this.start, this.start + this.pending.length);
    this.start += this.pending.length;
    this.scanFrom = this.start;
    const headers = this.pending.headers;
    this.pending = undefined;
    return { headers, body };
  }

  /** Index of the first "\n" of the "\n\n" ending the header block, or -1. */
  private findBlankLine(): number {
    const live = this.buf.subarray(0, this.end);
    let i = live.indexOf(LF, this.scanFrom);
    while (i !== -1) {
      if (i + 1 >= this.end) {
        this.scanFrom = i;
        return -1;
      }
      if (this.buf[i + 1] === LF) return i;
      i = live.indexOf(LF, i + 1);
    }
    this.scanFrom = this.end;
    return -1;
  }

  private append(chunk: Buffer): void {
    if (this.end + chunk.length > this.buf.length) {
      const live = this.end - this.start;
      if (live + chunk.length <= this.buf.length / 2) {
        this.buf.copy(this.buf, 0, this.start, this.end);
      } else {
        let size = this.buf.length;
        while (size < (live + chunk.length) * 2) size *= 2;
        const bigger = Buffer.allocUnsafe(size);
        this.buf.copy(bigger, 0, this.start, this.end);
        this.buf = bigger;
      }
      this.scanFrom -= this.start;
      this.end = live;
      this.start = 0;
    }
    chunk.copy(this.buf, this.end);
    this.end += chunk.length;
  }
}
