// Incremental STOMP parser: bytes in, frames out. A WebSocket message may hold several frames, or part of one (large
// frames split by the client, SockJS batching), so the parser keeps the unread tail between pushes. It never throws
// on bad input: a malformed frame is an `error` event and the parser stops, because STOMP has no way to resync.
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

export interface FrameParser {
  /** Header escaping depends on the negotiated version; until CONNECT is answered only CONNECT is legal anyway. */
  setVersion(version: StompVersion): void;
  push(chunk: string | Uint8Array): ParseEvent[];
}

const LF = 0x0a;
const CR = 0x0d;
const NUL = 0x00;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Index just past the blank line that ends the headers, or -1 when it has not arrived yet. */
function endOfHeaders(buf: Uint8Array, from: number): { headersEnd: number; bodyStart: number } | null {
  for (let i = buf.indexOf(LF, from); i !== -1; i = buf.indexOf(LF, i + 1)) {
    if (buf[i + 1] === LF) return { headersEnd: i, bodyStart: i + 2 };
    if (buf[i + 1] === CR && buf[i + 2] === LF) return { headersEnd: i, bodyStart: i + 3 };
  }
  return null;
}

type Head = { command: string; headers: Record<string, string> } | { error: string };

function parseHead(text: string, version: StompVersion): Head {
  const lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  const command = lines[0];
  if (!/^[A-Z]+$/.test(command)) return { error: `malformed command line ${JSON.stringify(command)}` };
  const raw = command === 'CONNECT' || command === 'STOMP' || command === 'CONNECTED' ? '1.0' : version;
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) return { error: `malformed header line ${JSON.stringify(line)}` };
    const name = unescapeHeader(line.slice(0, colon), raw);
    const value = unescapeHeader(line.slice(colon + 1), raw);
    if (name === null || value === null)
      return { error: `undefined escape sequence in header ${JSON.stringify(line)}` };
    if (!(name in headers)) headers[name] = value;
  }
  return { command, headers };
}

/** Shared by every idle parser: a `new Uint8Array(0)` each was an ArrayBuffer per session (issue 13). */
const EMPTY = new Uint8Array(0);

export function createFrameParser(limits: FrameParserLimits = DEFAULT_LIMITS): FrameParser {
  return new StompFrameParser(limits);
}

// A class, not closures over locals: one object per session instead of a context, four functions and their holder.
class StompFrameParser implements FrameParser {
  private version: StompVersion = '1.0';
  private buf: Uint8Array = EMPTY;
  private failed = false;

  constructor(private readonly limits: FrameParserLimits) {}

  setVersion(v: StompVersion): void {
    if (SUPPORTED_VERSIONS.includes(v)) this.version = v;
  }

  private append(chunk: Uint8Array): void {
    if (this.buf.length === 0) {
      this.buf = chunk;
      return;
    }
    const next = new Uint8Array(this.buf.length + chunk.length);
    next.set(this.buf, 0);
    next.set(chunk, this.buf.length);
    this.buf = next;
  }

  private fail(events: ParseEvent[], message: string): ParseEvent[] {
    this.failed = true;
    this.buf = EMPTY;
    events.push({ kind: 'error', message });
    return events;
  }

  push(chunk: string | Uint8Array): ParseEvent[] {
    const events: ParseEvent[] = [];
    if (this.failed) return events;
    this.append(typeof chunk === 'string' ? encoder.encode(chunk) : chunk);
    const { buf, limits } = this;
    let pos = 0;
    for (;;) {
      // EOLs between frames are heart-beats.
      if (buf[pos] === LF) {
        events.push({ kind: 'heartbeat' });
        pos += 1;
        continue;
      }
      if (buf[pos] === CR && buf[pos + 1] === LF) {
        events.push({ kind: 'heartbeat' });
        pos += 2;
        continue;
      }
      if (pos >= buf.length || (buf[pos] === CR && pos + 1 === buf.length)) break;
      const end = endOfHeaders(buf, pos);
      if (!end) {
        if (buf.length - pos > limits.maxHeaderBytes) return this.fail(events, 'frame headers too large');
        break;
      }
      if (end.headersEnd - pos > limits.maxHeaderBytes) return this.fail(events, 'frame headers too large');
      const head = parseHead(decoder.decode(buf.subarray(pos, end.headersEnd)), this.version);
      if ('error' in head) return this.fail(events, head.error);
      let bodyEnd: number;
      const declared = head.headers['content-length'];
      if (declared !== undefined) {
        if (!/^\d+$/.test(declared.trim()))
          return this.fail(events, `invalid content-length ${JSON.stringify(declared)}`);
        const length = Number(declared.trim());
        if (length > limits.maxBodyBytes) return this.fail(events, 'frame body too large');
        bodyEnd = end.bodyStart + length;
        if (buf.length <= bodyEnd) break;
        if (buf[bodyEnd] !== NUL)
          return this.fail(events, 'frame body is not followed by NUL (content-length mismatch)');
      } else {
        bodyEnd = buf.indexOf(NUL, end.bodyStart);
        if (bodyEnd === -1) {
          if (buf.length - end.bodyStart > limits.maxBodyBytes)
            return this.fail(events, 'frame body too large');
          break;
        }
      }
      const body = decoder.decode(buf.subarray(end.bodyStart, bodyEnd));
      events.push({ kind: 'frame', frame: { command: head.command, headers: head.headers, body } });
      pos = bodyEnd + 1;
    }
    this.buf = pos >= buf.length ? EMPTY : buf.slice(pos);
    return events;
  }
}
