// The in-process STOMP broker: sessions, the subscription index and fan-out. It does no I/O of its own; transports
// open sessions and feed them bytes, and the application publishes with `broker.publish`.
import type { Principal } from './access.js';
import { ConnectDeadlines } from './connect-deadline.js';
import { byteLength, encodeHeaderLines, escapeHeader, type StompVersion } from './frame.js';
import { Heartbeats } from './heartbeat.js';
import { DEFAULT_LIMITS } from './parser.js';
import { Session } from './session.js';
import type { ResolvedOptions, SessionHost, Subscription } from './session-host.js';
import type { Broker, BrokerCounters, BrokerOptions, SessionInfo, StompTransport } from './types.js';

const JSON_TYPE = 'application/json;charset=UTF-8';
const TEXT_TYPE = 'text/plain;charset=UTF-8';
/** Headers the broker owns on a MESSAGE; a publisher cannot override them. */
const RESERVED = new Set(['destination', 'message-id', 'subscription', 'content-length', 'ack']);

/** One publish's MESSAGE for the sessions of one STOMP version: its shared head, its bytes per subscription id. */
interface FrameShape {
  readonly head: string;
  readonly byId: Map<string, Buffer>;
}

function shapeOf(
  shapes: Map<StompVersion, FrameShape>,
  common: Record<string, string>,
  version: StompVersion,
): FrameShape {
  let shape = shapes.get(version);
  if (shape === undefined) {
    shape = { head: `MESSAGE\n${encodeHeaderLines('MESSAGE', common, version)}`, byId: new Map() };
    shapes.set(version, shape);
  }
  return shape;
}

const subscriptionLine = (id: string, version: StompVersion): string =>
  `subscription:${escapeHeader(id, version)}\n`;

const ownUsernameOnly = (principal: Principal, username: string): boolean =>
  principal.role === 'service' || principal.username === username;

function resolve(options: BrokerOptions): ResolvedOptions {
  return {
    mayActAs: ownUsernameOnly,
    heartbeat: { sendMs: 10_000, receiveMs: 10_000 },
    heartbeatGrace: 2,
    connectTimeoutMs: 10_000,
    limits: DEFAULT_LIMITS,
    maxSubscriptions: 256,
    maxSessionsPerUser: 16,
    ...options,
  };
}

export function createBroker(options: BrokerOptions): Broker {
  const opts = resolve(options);
  const counters: BrokerCounters = {
    sessions: 0,
    sessionsOpened: 0,
    connectsRefused: 0,
    messagesIn: 0,
    messagesOut: 0,
    publishes: 0,
    subscriptionsRefused: 0,
    sendsRefused: 0,
    protocolErrors: 0,
    heartbeatTimeouts: 0,
  };
  const live = new Map<string, Session>();
  const byDestination = new Map<string, Set<Subscription>>();
  let sessionSeq = 0;
  let messageSeq = 0;
  // Message ids must differ across restarts too, so a client that reconnects never confuses two messages.
  const epoch = opts.clock.now().toString(36);

  /** Publishes held by deferWhile, in the order they were made. */
  let held: [string, string | object, Record<string, string>][] | undefined;

  function deferWhile<T>(fn: () => T): T {
    if (held) return fn();
    held = [];
    try {
      return fn();
    } finally {
      const batch = held;
      held = undefined;
      for (const [destination, body, headers] of batch) publish(destination, body, headers);
    }
  }

  function publish(destination: string, body: string | object, headers: Record<string, string> = {}): number {
    if (held) {
      held.push([destination, body, headers]);
      return 0;
    }
    const delivered = deliver(destination, body, headers);
    opts.relay?.publish({ destination, body, headers });
    return delivered;
  }

  /** Fan-out to this instance's subscribers; frames relayed from the other instances come in here. */
  function deliver(destination: string, body: string | object, headers: Record<string, string>): number {
    counters.publishes++;
    const subs = byDestination.get(destination);
    if (!subs || subs.size === 0) return 0;
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    const messageId = `${epoch}-${++messageSeq}`;
    const common: Record<string, string> = {
      destination,
      'message-id': messageId,
      'content-type': headers['content-type'] ?? (typeof body === 'string' ? TEXT_TYPE : JSON_TYPE),
    };
    for (const [k, v] of Object.entries(headers)) if (!RESERVED.has(k)) common[k] ??= v;
    // The frame is the same for every subscriber but for `subscription` (and `ack`), and its header escaping
    // depends on the session's version: it is encoded to bytes once per version and subscription id, and those
    // bytes go to every session that shares them (2,000 agents' sessions subscribe with the same id). Encoding
    // and copying the text per session was most of a publish's own cost.
    const tail = `content-length:${byteLength(text)}\n\n${text}\0`;
    const shapes = new Map<StompVersion, FrameShape>();
    // Most subscriptions of a topic have the shape of the one before them (2,000 agents subscribe alike): they get
    // its bytes again without building their subscription header or looking anything up.
    let lastVersion: StompVersion | undefined;
    let lastId: string | undefined;
    let lastBytes: Buffer | undefined;
    let delivered = 0;
    for (const sub of subs) {
      const version = sub.session.version;
      if (sub.ack !== 'auto' && version === '1.2') {
        // A per-session ack id: this frame is the session's alone.
        const ack = `ack:${escapeHeader(`${sub.session.id}:${messageId}`, version)}\n`;
        const head = shapeOf(shapes, common, version).head;
        sub.session.sendBytes(Buffer.from(head + subscriptionLine(sub.id, version) + ack + tail));
      } else {
        if (lastBytes === undefined || sub.id !== lastId || version !== lastVersion) {
          const shape = shapeOf(shapes, common, version);
          lastBytes = shape.byId.get(sub.id);
          if (lastBytes === undefined) {
            lastBytes = Buffer.from(shape.head + subscriptionLine(sub.id, version) + tail);
            shape.byId.set(sub.id, lastBytes);
          }
          lastId = sub.id;
          lastVersion = version;
        }
        sub.session.sendBytes(lastBytes);
      }
      delivered++;
    }
    counters.messagesOut += delivered;
    return delivered;
  }

  opts.relay?.onFrame((frame) => deliver(frame.destination, frame.body, frame.headers));

  const host: SessionHost = {
    options: opts,
    counters,
    heartbeats: new Heartbeats(opts.clock),
    connectDeadlines: new ConnectDeadlines(opts.clock, opts.connectTimeoutMs),
    subscribe(sub) {
      let set = byDestination.get(sub.destination);
      if (!set) byDestination.set(sub.destination, (set = new Set()));
      set.add(sub);
    },
    unsubscribe(sub) {
      const set = byDestination.get(sub.destination);
      if (!set) return;
      set.delete(sub);
      if (set.size === 0) byDestination.delete(sub.destination);
    },
    publish,
    connected(session) {
      opts.logger?.debug?.({ session: session.id, user: session.principal?.username }, 'stomp connected');
    },
    forget(session) {
      if (live.delete(session.id)) counters.sessions--;
    },
    sessionsOf(username) {
      // forEach, not for-of over values(): the iterator's result objects were not always optimised away, and this
      // runs for every CONNECT over every session (a burst of 2,000 reconnects allocated a MiB here).
      let n = 0;
      live.forEach((session) => {
        if (session.principal?.username === username) n++;
      });
      return n;
    },
  };

  return {
    openSession(transport: StompTransport, info: SessionInfo) {
      const session = new Session(`${epoch}-s${++sessionSeq}`, host, transport, info);
      live.set(session.id, session);
      counters.sessions++;
      counters.sessionsOpened++;
      return session;
    },
    publish,
    deferWhile,
    sessions: () => live.size,
    disconnectUser(username, reason = 'disconnected by the server') {
      let n = 0;
      for (const session of [...live.values()])
        if (session.principal?.username === username) {
          session.fail('disconnected', reason);
          n++;
        }
      return n;
    },
    counters: () => ({ ...counters }),
    close() {
      for (const session of [...live.values()]) session.teardown(true);
    },
  };
}
