// The outbound socket's guard, built once per app: which peers may connect, which legs are proven (leg-proof.ts),
// the token and announcement every originate to the socket carries, and the counters of what was refused.
import type { Config } from '../config.js';
import type { Clock } from '../core/clock.js';
import { SOCKET_TOKEN_VAR } from '../core/freeswitch.js';
import type { Metrics } from '../core/metrics.js';
import type { FsNode } from '../db/repos/nodes.js';
import { ExpectedLegs } from './expected-legs.js';
import { localAddresses, peerCheck, proveLeg, socketToken, type LegProof } from './leg-proof.js';

/** What an originate to our socket does first (dialer.ts): announce the leg, and carry the node's token. */
export interface SocketLegs {
  /** The channel variables to add to the originate; the leg is expected within `withinMs`. */
  originating(
    nodeId: number,
    callId: string,
    leg: { flow: string; numberId?: number },
    withinMs: number,
  ): Record<string, string>;
  /** The originate failed: no leg will come. */
  failed(callId: string): void;
}

interface Logger {
  warn(obj: object, msg: string): void;
}

export interface SocketGuard {
  legs: SocketLegs;
  expected: ExpectedLegs;
  /** OutboundServer's admit. */
  admit(address: string): boolean;
  /** The runner's check of a connected leg; counts and logs refusals. */
  prove(headers: Readonly<Record<string, string>>, peer: string): LegProof;
}

export function socketGuard(d: {
  config: Pick<Config, 'outboundSocket' | 'socketSecret'>;
  nodes: { active(): FsNode[]; get(id: number): FsNode | undefined };
  clock: Pick<Clock, 'now'>;
  metrics: Metrics;
  log: Logger;
}): SocketGuard {
  const { config, metrics } = d;
  const expected = new ExpectedLegs(d.clock);
  const warn = throttledWarn(d.log, d.clock);
  const peerAllowed = peerCheck({
    allow: config.outboundSocket.allow,
    behindProxy: config.outboundSocket.reachAt !== undefined,
    nodes: () => d.nodes.active(),
    localAddresses,
  });
  metrics.gauge('socket.expectedLegs', () => expected.size);
  return {
    expected,
    legs: {
      originating(nodeId, callId, leg, withinMs) {
        expected.expect(callId, { nodeId, ...leg }, withinMs);
        const node = d.nodes.get(nodeId);
        const vars: Record<string, string> = {};
        if (node) vars[SOCKET_TOKEN_VAR] = socketToken(config.socketSecret, node.name);
        return vars;
      },
      failed: (callId) => expected.forget(callId),
    },
    admit(address) {
      // Counted by the server (socket.refusedPeer).
      if (peerAllowed(address)) return true;
      warn({ peer: address }, 'event socket: connection from an address that is no FreeSWITCH node closed');
      return false;
    },
    prove(headers, peer) {
      const proof = proveLeg(headers, {
        secret: config.socketSecret,
        nodes: () => d.nodes.active(),
        expected,
      });
      if (!proof.ok) {
        metrics.inc('socket.unproven');
        metrics.inc(`socket.unproven.${proof.why}`);
        warn(
          { peer, uuid: headers['Unique-ID'], why: proof.why, detail: proof.detail },
          'event socket: unproven leg hung up',
        );
      }
      return proof;
    },
  };
}

/** One warning a second at most: a flood of refused connections must not flood the log too. */
function throttledWarn(log: Logger, clock: Pick<Clock, 'now'>): Logger['warn'] {
  let last = -Infinity;
  let suppressed = 0;
  return (obj, msg) => {
    const now = clock.now();
    if (now - last < 1000) {
      suppressed++;
      return;
    }
    last = now;
    log.warn(suppressed ? { ...obj, suppressed } : obj, msg);
    suppressed = 0;
  };
}
