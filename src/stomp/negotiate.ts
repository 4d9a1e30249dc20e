// CONNECT negotiation as pure functions: which version we speak and how often each side beats.
import { SUPPORTED_VERSIONS, type StompVersion } from './frame.js';

/** The highest version both sides support; a CONNECT without accept-version is a 1.0 client (1.2 §Protocol Negotiation). */
export function negotiateVersion(acceptVersion: string | undefined): StompVersion | null {
  if (acceptVersion === undefined || acceptVersion.trim() === '') return '1.0';
  // No second list of trimmed copies: trim() hands back the same string when there is nothing to trim.
  const offered = acceptVersion.split(',');
  for (let i = SUPPORTED_VERSIONS.length - 1; i >= 0; i--)
    for (const v of offered) if (v.trim() === SUPPORTED_VERSIONS[i]) return SUPPORTED_VERSIONS[i];
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

function parseHeartbeat(value: string | undefined): [number, number] {
  const m = /^\s*(\d+)\s*,\s*(\d+)\s*$/.exec(value ?? '');
  return m ? [Number(m[1]), Number(m[2])] : [0, 0];
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
  const [cx, cy] = parseHeartbeat(clientHeader);
  return {
    outgoingMs: server.sendMs === 0 || cy === 0 ? 0 : Math.max(server.sendMs, fromClient(cy)),
    incomingMs: server.receiveMs === 0 || cx === 0 ? 0 : Math.max(server.receiveMs, fromClient(cx)),
    header: `${server.sendMs},${server.receiveMs}`,
  };
}
