// STOMP frames as data and their encoding (STOMP 1.0, 1.1, 1.2: https://stomp.github.io/stomp-specification-1.2.html).
// Pure: no sockets, no timers. Bodies are strings because every frame we carry is text (JSON, plain messages); their
// length on the wire is counted in UTF-8 bytes, which is what `content-length` means.

export type StompVersion = '1.0' | '1.1' | '1.2';
export const SUPPORTED_VERSIONS: readonly StompVersion[] = ['1.0', '1.1', '1.2'];

export interface StompFrame {
  command: string;
  /** Header names and values after unescaping. When a header repeats, the first occurrence wins (1.2 §Repeated). */
  headers: Record<string, string>;
  body: string;
}

/** A single EOL between frames is a heart-beat (1.1+); we send LF, the shortest one. */
export const HEARTBEAT = '\n';

export function byteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** CONNECT and CONNECTED never escape headers, so that 1.0 peers can read them (1.2 §Value Encoding). */
function escapes(command: string, version: StompVersion): boolean {
  return version !== '1.0' && command !== 'CONNECT' && command !== 'CONNECTED';
}

/** Characters some version escapes or replaces: most values (ids, destinations) have none and are kept as they are. */
const SPECIAL = /[\\\n\r:]/;

export function escapeHeader(value: string, version: StompVersion): string {
  if (!SPECIAL.test(value)) return value;
  if (version === '1.0') return value.replace(/[\r\n]/g, ' ');
  let out = value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/:/g, '\\c');
  // 1.1 defines no escape for CR, so a 1.1 peer gets a space rather than an escape it would reject.
  out = version === '1.2' ? out.replace(/\r/g, '\\r') : out.replace(/\r/g, ' ');
  return out;
}

/** Returns the unescaped value, or null when it holds an escape the version does not define (a fatal error). */
export function unescapeHeader(value: string, version: StompVersion): string | null {
  if (version === '1.0' || !value.includes('\\')) return value;
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c !== '\\') {
      out += c;
      continue;
    }
    const next = value[++i];
    if (next === '\\') out += '\\';
    else if (next === 'n') out += '\n';
    else if (next === 'c') out += ':';
    else if (next === 'r' && version === '1.2') out += '\r';
    else return null;
  }
  return out;
}

export function encodeHeaderLines(
  command: string,
  headers: Record<string, string>,
  version: StompVersion,
): string {
  const escape = escapes(command, version);
  let out = '';
  for (const name in headers) {
    if (name === 'content-length') continue;
    const value = headers[name];
    out += escape ? `${escapeHeader(name, version)}:${escapeHeader(value, version)}\n` : `${name}:${value}\n`;
  }
  return out;
}

/**
 * Encodes a frame as text for a WebSocket text message or a SockJS string. `content-length` is always written
 * (for every command that may carry a body) and counts UTF-8 bytes, so NULs and multi-line bodies survive.
 */
export function encodeFrame(frame: StompFrame, version: StompVersion = '1.2'): string {
  const withLength = frame.body.length > 0 || frame.command === 'MESSAGE' || frame.command === 'SEND';
  const length = withLength ? `content-length:${byteLength(frame.body)}\n` : '';
  return `${frame.command}\n${encodeHeaderLines(frame.command, frame.headers, version)}${length}\n${frame.body}\0`;
}
