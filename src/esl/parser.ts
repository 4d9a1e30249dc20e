// Incremental ESL framing. Bytes go in as TCP delivers them; whole frames come out. Never touches a socket.
//
// mod_event_socket writes every message as a header block ended by a blank line ("\n\n"). When the block has
// Content-Length, exactly that many bytes of body follow (a byte count, so a body with multi-byte UTF-8 must be
// cut on bytes, not characters). auth/request and command/reply carry no Content-Length and end at the blank line.
//
// Both parts are capped (issue 17.2): a peer that sends header bytes without ever a blank line, or announces a huge
// Content-Length, would otherwise make us buffer without end. Past a cap the parser stops for good and says why
// (`error`); its owner closes the connection.
import { ReceivedFrame, type EslFrame, type Headers } from './frame.js';
import { parseHeaderBytes } from './header-bytes.js';
import { lazyHeaders } from './lazy-headers.js';

const LF = 0x0a;
const INITIAL_BUFFER = 16 * 1024;
const EMPTY = Buffer.alloc(0);
const BLANK_LINE = Buffer.from('\n\n');
/** Header blocks longer than this are parsed when read. */
const LAZY_HEADER_BYTES = 1024;
const NO_BODY = '';
const PLAIN_EVENT = 'text/event-plain';

/**
 * What a kept event may pin beyond its own bytes: the socket read it arrived in (Node reads at most 64 KiB at a time,
 * into a buffer of that read's size).
 */
const SHARED_BYTES = 64 * 1024;

export interface EslParserLimits {
  /**
   * Bytes of one header block (default 64 KiB). FreeSWITCH's largest is the outbound socket's connect reply, every
   * channel variable of the leg as a header: ~9 KB in the live captures.
   */
  readonly maxHeaderBytes?: number;
  /** Bytes of one body (default 64 MiB: `show channels as json` of a full node is a few MB). */
  readonly maxBodyBytes?: number;
}

const DEFAULT_MAX_HEADER_BYTES = 64 * 1024;
const DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024;

export class EslParser {
  /** Why the parser stopped (a cap was passed); set once, and every later push yields nothing. */
  error: string | undefined;
  private readonly maxHeaderBytes: number;
  private readonly maxBodyBytes: number;

  /** Either the chunk just pushed (borrowed, never written to) or our own buffer holding a partial frame. */
  private buf: Buffer = EMPTY;
  private owned = false;
  private start = 0;
  private end = 0;
  /** Where to resume looking for the blank line, so a header block arriving byte by byte is scanned once. */
  private scanFrom = 0;
  /** Headers and Content-Length of a frame whose body has not fully arrived yet. */
  private pendingHeaders: Headers | undefined;
  private pendingLength = 0;

  constructor(limits: EslParserLimits = {}) {
    this.maxHeaderBytes = limits.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES;
    this.maxBodyBytes = limits.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  }

  /** Appends a chunk and returns every frame it completes (possibly none, possibly several). */
  push(chunk: Buffer): EslFrame[] {
    if (this.error) return [];
    if (this.start === this.end) this.borrow(chunk);
    else this.append(chunk);
    const frames: EslFrame[] = [];
    for (;;) {
      const frame = this.next();
      if (!frame) break;
      frames.push(frame);
    }
    if (this.error) {
      this.borrow(EMPTY);
      return frames;
    }
    // An idle connection holds no buffer at all: with thousands of legs open, that is most of its memory.
    if (this.start === this.end) this.borrow(EMPTY);
    else if (!this.owned) this.own(0);
    return frames;
  }

  /** Bytes received but not yet part of a complete frame. */
  get buffered(): number {
    return this.end - this.start;
  }

  private next(): EslFrame | undefined {
    if (!this.pendingHeaders) {
      // Stray newlines between messages are not an (empty) frame.
      while (this.start < this.end && this.buf[this.start] === LF) this.start++;
      if (this.scanFrom < this.start) this.scanFrom = this.start;
      const blank = this.findBlankLine();
      if ((blank === -1 ? this.end : blank) - this.start > this.maxHeaderBytes) {
        this.error = `header block longer than ${this.maxHeaderBytes} bytes`;
        return undefined;
      }
      if (blank === -1) return undefined;
      // The envelope of an event or a reply is a few lines; the connect reply's is every channel variable, and its
      // reader keeps a few (keptHeaders): parsed when read, so the others are never decoded.
      const headers =
        blank - this.start > LAZY_HEADER_BYTES
          ? lazyHeaders(this.copy(this.start, blank), blank - this.start, false)
          : parseHeaderBytes(this.buf, this.start, blank, false);
      this.start = blank + 2;
      this.scanFrom = this.start;
      const length = Number.parseInt(headers['Content-Length'] ?? '', 10);
      if (!(length > 0)) return { headers, body: NO_BODY };
      if (length > this.maxBodyBytes) {
        this.error = `Content-Length ${length} is over ${this.maxBodyBytes} bytes`;
        return undefined;
      }
      this.pendingHeaders = headers;
      this.pendingLength = length;
    }
    const length = this.pendingLength;
    if (this.end - this.start < length) return undefined;
    const headers = this.pendingHeaders;
    const from = this.start;
    this.start += length;
    this.scanFrom = this.start;
    this.pendingHeaders = undefined;
    // Only a plain event is read in its bytes. Other bodies are decoded at once: they are few, small, and some are
    // kept as long as their leg (the disconnect notice), which bytes would do by pinning what they were cut from.
    if (headers['Content-Type'] !== PLAIN_EVENT)
      return { headers, body: this.buf.toString('utf8', from, this.start) };
    return new ReceivedFrame(headers, this.bytesOwnedBy(from, this.start));
  }

  /** buf[from, to) in a buffer of its own (a long header block: the connect reply, one per leg; an event, rarely). */
  private copy(from: number, to: number): Buffer {
    const own = Buffer.allocUnsafeSlow(to - from);
    this.buf.copy(own, 0, from, to);
    return own;
  }

  /**
   * buf[from, to) as bytes an event may keep for as long as its reader keeps it. A view of the chunk they arrived in
   * (a socket read: a leg's socket reads an event or a few at a time, the node link up to 64 KiB of them), unless
   * that chunk is larger than any socket read and mostly other frames; a copy from our own buffer, which the next
   * partial frame writes again. No reader keeps an event past its dispatch (they cut the values they keep), so a
   * chunk lives as long as it did when events were decoded to text; copying every event out of a chunk of several
   * instead (into slabs) doubled the buffers allocated, which V8 frees only at its next collection: the campaign's
   * RSS grew by ~40 MiB.
   */
  private bytesOwnedBy(from: number, to: number): Buffer {
    const chunk = this.buf.buffer.byteLength;
    if (!this.owned && (chunk <= SHARED_BYTES || 2 * (to - from) >= chunk))
      return this.buf.subarray(from, to);
    return this.copy(from, to);
  }

  /** Index of the first "\n" of the "\n\n" ending the header block, or -1. */
  private findBlankLine(): number {
    // A borrowed chunk ends at `end`; our own buffer has stale bytes past it, which are not searched.
    const live = this.owned ? this.buf.subarray(0, this.end) : this.buf;
    const at = live.indexOf(BLANK_LINE, this.scanFrom);
    if (at !== -1) return at;
    // The last byte may be the first "\n" of a blank line the next chunk ends.
    this.scanFrom = Math.max(this.scanFrom, this.end - 1);
    return -1;
  }

  private borrow(chunk: Buffer): void {
    this.buf = chunk;
    this.owned = false;
    this.start = this.scanFrom = 0;
    this.end = chunk.length;
  }

  /** Moves the unparsed bytes into a buffer of ours with room for `extra` more (doubling, so appends stay cheap). */
  private own(extra: number): void {
    const live = this.end - this.start;
    let size = this.owned ? this.buf.length : INITIAL_BUFFER;
    while (size < live + extra) size *= 2;
    const target = this.owned && size === this.buf.length ? this.buf : Buffer.allocUnsafe(size);
    this.buf.copy(target, 0, this.start, this.end);
    this.scanFrom -= this.start;
    this.buf = target;
    this.owned = true;
    this.end = live;
    this.start = 0;
  }

  private append(chunk: Buffer): void {
    if (!this.owned || this.end + chunk.length > this.buf.length) this.own(chunk.length);
    chunk.copy(this.buf, this.end);
    this.end += chunk.length;
  }
}
