// Incremental STOMP parser: bytes in, frames out. A WebSocket message may hold several frames, or part of one (large
// frames split by the client, SockJS batching), so the parser keeps the unread tail between pushes. It never throws
// on bad input: a malformed frame is an `error` event (`malformed` for a sink) and the parser stops, because STOMP has no way to resync.
import { SUPPORTED_VERSIONS, unescapeHeader, type StompFrame, type StompVersion } from './frame.js';

export type ParseEvent =
  { kind: 'frame'; frame: StompFrame } | { kind: 'heartbeat' } | { kind: 'error'; message: string };

export interface FrameParserLimits {
  /** Largest command + headers block, in bytes. */
  maxHeaderBytes: number;
  /** Largest body, in bytes. */
  maxBodyBytes: number;
}

export const DEFAULT_LIMITS: FrameParserLimits = { maxHeaderBytes: 16 * 1024, maxBodyBytes: 1024 * 1024 };

/** Where `feed` hands what it finds, in order; after `malformed` nothing more comes. */
export interface ParseSink {
  frame(frame: StompFrame): void;
  heartbeat?(): void;
  malformed(message: string): void;
}

export interface FrameParser {
  /** Header escaping depends on the negotiated version; until CONNECT is answered only CONNECT is legal anyway. */
  setVersion(version: StompVersion): void;
  /** What `feed` finds, as a list of events. */
  push(chunk: string | Uint8Array): ParseEvent[];
  /** As `push`, handing each frame to `sink` as it is parsed: no list of events and no event objects (the session). */
  feed(chunk: string | Uint8Array, sink: ParseSink): void;
}

const LF = 0x0a;
const CR = 0x0d;
const NUL = 0x00;

/**
 * `buf[start, end)` as text, as a TextDecoder would give it (a leading byte-order mark dropped, invalid bytes as
 * U+FFFD) but without the view of the bytes TextDecoder needs: two per frame, thousands at once when clients connect.
 */
function utf8(buf: Buffer, start: number, end: number): string {
  if (end - start >= 3 && buf[start] === 0xef && buf[start + 1] === 0xbb && buf[start + 2] === 0xbf)
    start += 3;
  return start >= end ? '' : buf.toString('utf8', start, end);
}

/** A chunk as a Buffer: ws hands us Buffers already; text (SockJS) is encoded, other byte arrays are viewed. */
function bytesOf(chunk: string | Uint8Array): Buffer {
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/** Index of the LF that ends the last header line (a blank line follows it), or -1 when it has not arrived yet. */
function endOfHeaders(buf: Uint8Array, from: number): number {
  for (let i = buf.indexOf(LF, from); i !== -1; i = buf.indexOf(LF, i + 1))
    if (buf[i + 1] === LF || (buf[i + 1] === CR && buf[i + 2] === LF)) return i;
  return -1;
}

type Head = { command: string; headers: Record<string, string> } | { error: string };

const COMMAND = /^[A-Z]+$/;
const CR_CODE = 13;

/** End of the line that ends at `stop` (exclusive), without its CR. */
const withoutCr = (text: string, start: number, stop: number): number =>
  stop > start && text.charCodeAt(stop - 1) === CR_CODE ? stop - 1 : stop;

// Walks the lines in place (indexOf and one slice per name and value): splitting into a list of lines, a list of
// trimmed lines and a list of all but the first cost ~1 KiB per CONNECT, thousands at once when clients reconnect.
function parseHead(text: string, version: StompVersion): Head {
  let nl = text.indexOf('\n');
  const command = text.slice(0, withoutCr(text, 0, nl === -1 ? text.length : nl));
  if (!COMMAND.test(command)) return { error: `malformed command line ${JSON.stringify(command)}` };
  const raw = command === 'CONNECT' || command === 'STOMP' || command === 'CONNECTED' ? '1.0' : version;
  const headers: Record<string, string> = {};
  while (nl !== -1) {
    const start = nl + 1;
    nl = text.indexOf('\n', start);
    const end = withoutCr(text, start, nl === -1 ? text.length : nl);
    const colon = text.indexOf(':', start);
    if (colon <= start || colon >= end)
      return { error: `malformed header line ${JSON.stringify(text.slice(start, end))}` };
    const name = unescapeHeader(text.slice(start, colon), raw);
    const value = unescapeHeader(text.slice(colon + 1, end), raw);
    if (name === null || value === null)
      return { error: `undefined escape sequence in header ${JSON.stringify(text.slice(start, end))}` };
    if (!(name in headers)) headers[name] = value;
  }
  return { command, headers };
}

/** Shared by every idle parser: a `new Uint8Array(0)` each was an ArrayBuffer per session (issue 13). */
const EMPTY = Buffer.alloc(0);

export function createFrameParser(limits: FrameParserLimits = DEFAULT_LIMITS): FrameParser {
  return new StompFrameParser(limits);
}

// A class, not closures over locals: one object per session instead of a context, four functions and their holder.
class StompFrameParser implements FrameParser {
  private version: StompVersion = '1.0';
  private buf: Buffer = EMPTY;
  private failed = false;

  constructor(private readonly limits: FrameParserLimits) {}

  setVersion(v: StompVersion): void {
    if (SUPPORTED_VERSIONS.includes(v)) this.version = v;
  }

  private append(chunk: Buffer): void {
    if (this.buf.length === 0) {
      this.buf = chunk;
      return;
    }
    const next = Buffer.allocUnsafeSlow(this.buf.length + chunk.length);
    this.buf.copy(next, 0);
    chunk.copy(next, this.buf.length);
    this.buf = next;
  }

  private fail(sink: ParseSink, message: string): void {
    this.failed = true;
    this.buf = EMPTY;
    sink.malformed(message);
  }

  push(chunk: string | Uint8Array): ParseEvent[] {
    const events: ParseEvent[] = [];
    this.feed(chunk, {
      frame: (frame) => events.push({ kind: 'frame', frame }),
      heartbeat: () => events.push({ kind: 'heartbeat' }),
      malformed: (message) => events.push({ kind: 'error', message }),
    });
    return events;
  }

  feed(chunk: string | Uint8Array, sink: ParseSink): void {
    if (this.failed) return;
    const incoming = bytesOf(chunk);
    this.append(incoming);
    const { buf, limits } = this;
    let pos = 0;
    for (;;) {
      // EOLs between frames are heart-beats.
      if (buf[pos] === LF) {
        sink.heartbeat?.();
        pos += 1;
        continue;
      }
      if (buf[pos] === CR && buf[pos + 1] === LF) {
        sink.heartbeat?.();
        pos += 2;
        continue;
      }
      if (pos >= buf.length || (buf[pos] === CR && pos + 1 === buf.length)) break;
      const headersEnd = endOfHeaders(buf, pos);
      if (headersEnd === -1) {
        if (buf.length - pos > limits.maxHeaderBytes) return this.fail(sink, 'frame headers too large');
        break;
      }
      if (headersEnd - pos > limits.maxHeaderBytes) return this.fail(sink, 'frame headers too large');
      const bodyStart = headersEnd + (buf[headersEnd + 1] === LF ? 2 : 3);
      const head = parseHead(utf8(buf, pos, headersEnd), this.version);
      if ('error' in head) return this.fail(sink, head.error);
      let bodyEnd: number;
      const declared = head.headers['content-length'];
      if (declared !== undefined) {
        if (!/^\d+$/.test(declared.trim()))
          return this.fail(sink, `invalid content-length ${JSON.stringify(declared)}`);
        const length = Number(declared.trim());
        if (length > limits.maxBodyBytes) return this.fail(sink, 'frame body too large');
        bodyEnd = bodyStart + length;
        if (buf.length <= bodyEnd) break;
        if (buf[bodyEnd] !== NUL)
          return this.fail(sink, 'frame body is not followed by NUL (content-length mismatch)');
      } else {
        bodyEnd = buf.indexOf(NUL, bodyStart);
        if (bodyEnd === -1) {
          if (buf.length - bodyStart > limits.maxBodyBytes) return this.fail(sink, 'frame body too large');
          break;
        }
      }
      const body = utf8(buf, bodyStart, bodyEnd);
      sink.frame({ command: head.command, headers: head.headers, body });
      pos = bodyEnd + 1;
    }
    // An unread tail is kept as a copy of its own, not a view: a view would keep the whole chunk it came from (or a
    // slab of Buffer's shared pool). A concatenation (append) is already ours.
    if (pos >= buf.length) this.buf = EMPTY;
    else if (pos > 0 || buf === incoming) {
      this.buf = Buffer.allocUnsafeSlow(buf.length - pos);
      buf.copy(this.buf, 0, pos);
    }
  }
}
