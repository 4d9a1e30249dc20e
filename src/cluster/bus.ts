// The STOMP frames of a cluster go through RabbitMQ (issue 20): one connection per instance, one topic exchange keyed
// by destination (routing-key.ts), and one exclusive, auto-delete, server-named queue per instance, so RabbitMQ
// never holds a queue per subscriber. The queue is bound with `#`: every instance gets every frame and fans it out
// to its own subscribers, or drops it when it has none (a map lookup; scripts/bench/cluster-fanout.ts measures
// the cost). Binding only the destinations local sessions subscribe to would save traffic, but a frame published in
// the instant between a SUBSCRIBE and its binding would be lost; with `#` nothing is.
//
// Delivery is at most once, like the broker's own: no acknowledgements, no persistence. While RabbitMQ is away the
// broker still delivers to this instance's sessions, frames meant for the others are dropped and counted, and the
// link reconnects with backoff (the queue went with the old connection; a new one is declared and bound).
import { randomBytes } from 'node:crypto';
import { connect, type Channel, type ChannelModel, type ConsumeMessage } from 'amqplib';
import type { Clock, TimerHandle } from '../core/clock.js';
import type { Metrics } from '../core/metrics.js';
import { backoffDelay, type BackoffPolicy } from '../esl/backoff.js';
import type { Relay, RelayedFrame } from '../stomp/relay.js';
import { routingKeyOf, RPC_ROUTING_KEY } from './routing-key.js';

type LinkState = 'connecting' | 'up' | 'down' | 'closed';

interface BusLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

interface BusOptions {
  url: string;
  instanceId: string;
  exchange: string;
  clock: Clock;
  metrics: Metrics;
  log: BusLog;
}

/** Instance-to-instance messages (forward.ts: /app commands and their answers), beside the STOMP frames. */
export interface RpcLink {
  /** Sends a message for the other instances; false when the link is down (nothing was sent). */
  sendRpc(message: object): boolean;
  /** Adds a handler of messages from the other instances, with the sender's claimed instance id. */
  onRpc(deliver: (message: unknown, from: string) => void): void;
}

export interface Bus extends Relay, RpcLink {
  /** Connects, and keeps reconnecting until `close`. */
  start(): void;
  close(): Promise<void>;
  state(): LinkState;
}

/** RabbitMQ comes back within seconds after a restart: retry soon, and never wait more than 5 s. */
const BUS_BACKOFF: BackoffPolicy = { initialMs: 250, maxMs: 5000, factor: 2, jitter: 0.2 };
/** Frames a slow instance may have waiting in RabbitMQ before the oldest are dropped. */
const QUEUE_MAX_FRAMES = 100_000;
/**
 * Frames amqplib may hold for the socket before `publish` says "full" and the bus drops frames until it drains. Its
 * default (1,024) is smaller than one burst of a large call center (every agent's three status frames at once).
 */
const WRITE_BUFFER_FRAMES = 32_768;
/** A dead TCP peer (no RST, e.g. a partition) is noticed after two missed heart-beats. */
const HEARTBEAT_S = 5;

const BUS_COUNTERS = [
  'cluster.amqp.connects',
  'cluster.amqp.reconnects',
  'cluster.amqp.lost',
  'cluster.amqp.failures',
  'cluster.frames.in',
  'cluster.frames.out',
  'cluster.frames.dropped',
  'cluster.frames.malformed',
  'cluster.rpc.in',
  'cluster.rpc.out',
  'cluster.instanceIdClashes',
];

const H_DESTINATION = 'cc-destination';
/**
 * An instance-to-instance message. It goes through the same exchange and queues as the frames (every instance gets
 * it; the one addressed acts), so what an owner publishes for a command and its answer to the requester reach the
 * requester's queue in the order they were sent: the answer never overtakes the command's notify frames.
 */
const RPC_TYPE = 'rpc';
/** Which process published a frame: each instance skips its own (already delivered to its sessions). */
const H_RUN = 'cc-run';
const H_HEADERS = 'cc-headers';

interface Link {
  model: ChannelModel;
  channel?: Channel;
  alive: boolean;
  /** The socket's buffer is full: drop frames until it drains, rather than grow without bound. */
  congested: boolean;
  blocked: boolean;
}

function withHeartbeat(url: string): string {
  const u = new URL(url);
  if (!u.searchParams.has('heartbeat')) u.searchParams.set('heartbeat', String(HEARTBEAT_S));
  return u.toString();
}

/** A frame from another instance, or why it is unusable. */
function decode(msg: ConsumeMessage): RelayedFrame | string {
  const h = msg.properties.headers ?? {};
  const destination: unknown = h[H_DESTINATION];
  if (typeof destination !== 'string' || !destination.startsWith('/topic/')) return 'no /topic destination';
  const text = msg.content.toString('utf8');
  try {
    const body: string | object = msg.properties.type === 'json' ? (JSON.parse(text) as object) : text;
    const raw: unknown = h[H_HEADERS] === undefined ? {} : JSON.parse(String(h[H_HEADERS]));
    if (typeof raw !== 'object' || raw === null || Object.values(raw).some((v) => typeof v !== 'string'))
      return 'headers are not strings';
    return { destination, body, headers: raw as Record<string, string> };
  } catch {
    return 'not JSON';
  }
}

export function createBus(o: BusOptions): Bus {
  const { metrics, log, instanceId, exchange } = o;
  const run = randomBytes(8).toString('hex');
  let deliver: ((frame: RelayedFrame) => void) | undefined;
  // Several kinds of instance message share the link (forwarded commands, store changes): each handler gets all.
  const rpcHandlers: ((message: unknown, from: string) => void)[] = [];
  let current: Link | undefined;
  let state: LinkState = 'down';
  let closed = false;
  let everUp = false;
  let failures = 0;
  let downSince: number | undefined;
  let retry: TimerHandle | undefined;
  let started = false;
  let clashWarned = false;

  metrics.gauge('cluster.amqp.up', () => (state === 'up' ? 1 : 0));
  // Present from the start, at 0: a scrape tells "none yet" from "not counted".
  for (const name of BUS_COUNTERS) metrics.inc(name, 0);

  function receive(msg: ConsumeMessage): void {
    const headers = msg.properties.headers ?? {};
    if (headers[H_RUN] === run) return;
    if (msg.properties.appId === instanceId) {
      metrics.inc('cluster.instanceIdClashes');
      if (!clashWarned)
        log.warn({ instanceId }, 'another instance uses this CC_INSTANCE_ID: give each its own');
      clashWarned = true;
    }
    if (msg.properties.type === RPC_TYPE) return receiveRpc(msg);
    const frame = decode(msg);
    if (typeof frame === 'string') {
      metrics.inc('cluster.frames.malformed');
      return;
    }
    metrics.inc('cluster.frames.in');
    deliver?.(frame);
  }

  function receiveRpc(msg: ConsumeMessage): void {
    let message: unknown;
    try {
      message = JSON.parse(msg.content.toString('utf8'));
    } catch {
      metrics.inc('cluster.frames.malformed');
      return;
    }
    metrics.inc('cluster.rpc.in');
    for (const deliverRpc of rpcHandlers) deliverRpc(message, String(msg.properties.appId ?? ''));
  }

  async function open(): Promise<Link> {
    const model = await connect(withHeartbeat(o.url), {
      timeout: 10_000,
      clientProperties: { connection_name: `callcenter ${instanceId}` },
    });
    const link: Link = { model, alive: true, congested: false, blocked: false };
    // 'error' is followed by 'close'; without a listener an 'error' event would crash the process.
    model.on('error', (err: Error) => log.warn({ err: err.message }, 'RabbitMQ connection error'));
    model.on('close', () => {
      link.alive = false;
      if (current === link) lost();
    });
    model.on('blocked', (reason: string) => {
      link.blocked = true;
      log.warn({ reason }, 'RabbitMQ blocks publishing: frames for other instances are dropped');
    });
    model.on('unblocked', () => (link.blocked = false));
    try {
      const channel = await model.createChannel({ highWaterMark: WRITE_BUFFER_FRAMES });
      channel.on('error', (err: Error) => log.warn({ err: err.message }, 'RabbitMQ channel error'));
      // The server closes a channel on a protocol fault: end the connection too, and the reconnect starts afresh.
      channel.on('close', () => void model.close().catch(() => undefined));
      channel.on('drain', () => (link.congested = false));
      await channel.assertExchange(exchange, 'topic', { durable: true });
      const { queue } = await channel.assertQueue('', {
        exclusive: true,
        autoDelete: true,
        durable: false,
        arguments: { 'x-max-length': QUEUE_MAX_FRAMES },
      });
      await channel.bindQueue(queue, exchange, '#');
      await channel.consume(queue, (msg) => msg && receive(msg), { noAck: true });
      link.channel = channel;
      return link;
    } catch (err) {
      await model.close().catch(() => undefined);
      throw err;
    }
  }

  function attempt(): void {
    retry = undefined;
    if (closed) return;
    state = 'connecting';
    void open().then(
      (link) => {
        if (closed || !link.alive) {
          void link.model.close().catch(() => undefined);
          if (!closed) scheduleRetry();
          return;
        }
        current = link;
        state = 'up';
        metrics.inc('cluster.amqp.connects');
        if (everUp) metrics.inc('cluster.amqp.reconnects');
        everUp = true;
        const outageMs = downSince === undefined ? undefined : o.clock.now() - downSince;
        downSince = undefined;
        failures = 0;
        log.info(
          { instanceId, exchange, outageMs },
          'RabbitMQ link up: STOMP frames reach the other instances',
        );
      },
      (err: Error) => {
        metrics.inc('cluster.amqp.failures');
        if (failures === 0) log.warn({ err: err.message }, 'RabbitMQ unreachable: retrying with backoff');
        scheduleRetry();
      },
    );
  }

  function scheduleRetry(): void {
    if (closed) return;
    state = 'down';
    downSince ??= o.clock.now();
    const ms = backoffDelay(BUS_BACKOFF, failures++, Math.random());
    retry = o.clock.setTimer(ms, attempt);
  }

  function lost(): void {
    current = undefined;
    metrics.inc('cluster.amqp.lost');
    log.warn(
      { instanceId },
      'RabbitMQ link lost: local sessions still get their frames, other instances do not until it is back',
    );
    scheduleRetry();
  }

  return {
    start() {
      if (closed || started) return;
      started = true;
      attempt();
    },
    publish({ destination, body, headers }) {
      const link = current;
      if (!link?.channel || link.congested || link.blocked) return void metrics.inc('cluster.frames.dropped');
      const json = typeof body !== 'string';
      const extra = Object.keys(headers).length > 0 ? { [H_HEADERS]: JSON.stringify(headers) } : {};
      try {
        const ok = link.channel.publish(
          exchange,
          routingKeyOf(destination),
          Buffer.from(json ? JSON.stringify(body) : body),
          {
            appId: instanceId,
            type: json ? 'json' : 'text',
            headers: { [H_DESTINATION]: destination, [H_RUN]: run, ...extra },
          },
        );
        metrics.inc('cluster.frames.out');
        if (!ok) link.congested = true;
      } catch (err) {
        // The channel closed under us (its 'close' handler reconnects); this frame is lost for the other instances.
        metrics.inc('cluster.frames.dropped');
        log.warn({ err: (err as Error).message, destination }, 'frame not relayed');
      }
    },
    onFrame(fn) {
      deliver = fn;
    },
    sendRpc(message) {
      const link = current;
      if (!link?.channel || link.blocked) return false;
      try {
        // Not dropped while congested, unlike a frame: an answer lost would cost the requester its whole timeout.
        link.channel.publish(exchange, RPC_ROUTING_KEY, Buffer.from(JSON.stringify(message)), {
          appId: instanceId,
          type: RPC_TYPE,
          headers: { [H_RUN]: run },
        });
        metrics.inc('cluster.rpc.out');
        return true;
      } catch (err) {
        log.warn({ err: (err as Error).message }, 'instance message not sent');
        return false;
      }
    },
    onRpc(fn) {
      rpcHandlers.push(fn);
    },
    state: () => state,
    async close() {
      closed = true;
      state = 'closed';
      retry?.cancel();
      // A connection attempt in flight is not awaited (it may hang until its 10 s timeout when RabbitMQ is cut off):
      // its handler sees `closed` and closes what it opened.
      const link = current;
      current = undefined;
      if (link) await link.model.close().catch(() => undefined);
    },
  };
}
