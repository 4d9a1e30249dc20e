// CONNECT negotiation as pure functions: which version we speak and how often each side beats.
import { SUPPORTED_VERSIONS, type StompVersion } from './frame.js';

/** Is `version` one of the comma-separated entries of `list` (spaces around an entry allowed)? Scans in place. */
function offers(list: string, version: string): boolean {
  for (let start = 0; start <= list.length;) {
    let end = list.indexOf(',', start);
    if (end === -1) end = list.length;
    let a = start;
    let b = end;
    while (a < b && isSpace(list.charCodeAt(a))) a++;
    while (b > a && isSpace(list.charCodeAt(b - 1))) b--;
    if (b - a === version.length && list.startsWith(version, a)) return true;
    start = end + 1;
  }
  return false;
}

/** Whitespace and line terminators, the characters String.prototype.trim removes (ECMA-262 WhiteSpace, LineTerminator). */
function isSpace(c: number): boolean {
  if (c <= 0x20) return c === 0x20 || (c >= 0x09 && c <= 0x0d);
  return (
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

/**
 * The highest version both sides support; a CONNECT without accept-version is a 1.0 client (1.2 §Protocol
 * Negotiation). No list of the offered versions: this runs for every CONNECT, thousands at once after a restart.
 */
export function negotiateVersion(acceptVersion: string | undefined): StompVersion | null {
  if (acceptVersion === undefined || acceptVersion.trim() === '') return '1.0';
  for (let i = SUPPORTED_VERSIONS.length - 1; i >= 0; i--)
    if (offers(acceptVersion, SUPPORTED_VERSIONS[i])) return SUPPORTED_VERSIONS[i];
  return null;
}

export interface HeartbeatPolicy {
  /** The smallest interval at which the server is willing to send heart-beats (0: never). */
  sendMs: number;
  /** The interval at which the server would like to receive them (0: does not care). */
  receiveMs: number;
}

interface NegotiatedHeartbeat {
  /** Send an EOL when nothing else was sent for this long (0: never). */
  outgoingMs: number;
  /** Expect something from the client at this interval (0: never check). */
  incomingMs: number;
  /** The CONNECTED `heart-beat` header value. */
  header: string;
}

/**
 * The longest interval a client may ask for. Its numbers reach timers: above 2^31-1 ms Node fires at once (with a
 * TimeoutOverflowWarning) and re-arms every millisecond. The shortest is the server's own policy (the larger of the
 * two wins), so a client cannot make us beat faster than we chose either.
 */
const HEARTBEAT_MAX_MS = 300_000;
const fromClient = (ms: number): number => Math.min(HEARTBEAT_MAX_MS, ms);

/** The decimal number `text[start, end)` holds between optional whitespace, or -1 when it holds anything else. */
function decimalAt(text: string, start: number, end: number): number {
  while (start < end && isSpace(text.charCodeAt(start))) start++;
  while (end > start && isSpace(text.charCodeAt(end - 1))) end--;
  if (start === end) return -1;
  let n = 0;
  for (let i = start; i < end; i++) {
    const d = text.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/**
 * The client's `heart-beat: cx,cy` says it can send every cx ms and wants to receive every cy ms. Each direction is
 * on only when both ends agree, at the larger of the two intervals (1.2 §Heart-beating);
 * the client's part is capped at 5 min.
 */
export function negotiateHeartbeat(
  clientHeader: string | undefined,
  server: HeartbeatPolicy,
): NegotiatedHeartbeat {
  // `cx,cy` read in place (no match list): anything else is 0,0.
  const value = clientHeader ?? '';
  const comma = value.indexOf(',');
  let cx = comma === -1 ? -1 : decimalAt(value, 0, comma);
  let cy = cx === -1 ? -1 : decimalAt(value, comma + 1, value.length);
  if (cy === -1) cx = cy = 0;
  return {
    outgoingMs: server.sendMs === 0 || cy === 0 ? 0 : Math.max(server.sendMs, fromClient(cy)),
    incomingMs: server.receiveMs === 0 || cx === 0 ? 0 : Math.max(server.receiveMs, fromClient(cx)),
    header: `${server.sendMs},${server.receiveMs}`,
  };
}
