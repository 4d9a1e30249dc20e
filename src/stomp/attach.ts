// One call wires STOMP into the app: SockJS HTTP routes under `path`, and the upgrade router on fastify's server
// for plain WebSocket (`path`, `path/websocket`) and SockJS websocket (`path/<server>/<session>/websocket`).
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { systemClock, type Clock } from '../core/clock.js';
import type { Broker } from './types.js';
import { SockJsRegistry, stompHttpRoutes } from './transport/sockjs-routes.js';
import { DEFAULT_SOCKJS_TIMINGS, type SockJsTimings } from './transport/sockjs-session.js';
import { createUpgradeRouter, type UpgradeRouter } from './transport/upgrade-router.js';
import { createWebSocketEndpoints } from './transport/websocket.js';

export interface AttachStompOptions {
  /** Default '/callcenter/ws'. */
  path?: string;
  /** Default systemClock; drives SockJS heart-beats and session timeouts. */
  clock?: Clock;
  timings?: Partial<SockJsTimings>;
  /** Largest WebSocket message accepted. Default 1 MiB. */
  maxPayloadBytes?: number;
  /** A WebSocket client with more than this unsent is dropped (it stopped reading). Default 8 MiB. */
  maxBufferedBytes?: number;
  /** Share an upgrade router with other WebSocket features; by default one is created and attached. */
  router?: UpgradeRouter;
  /** Origins whose pages may use the SockJS HTTP transports with credentials (CORS). Default none. */
  allowedOrigins?: readonly string[];
  /** The client's address of an upgrade request (behind a trusted proxy, its X-Forwarded-For). Default the peer's. */
  clientAddress?: (req: IncomingMessage) => string;
}

export interface AttachedStomp {
  router: UpgradeRouter;
  /** SockJS HTTP sessions open now (websocket sessions are counted by the broker). */
  sockjsSessions(): number;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function attachStomp(
  app: FastifyInstance,
  broker: Broker,
  options: AttachStompOptions = {},
): AttachedStomp {
  const path = (options.path ?? '/callcenter/ws').replace(/\/$/, '');
  const clock = options.clock ?? systemClock;
  const timings = { ...DEFAULT_SOCKJS_TIMINGS, ...options.timings };
  const registry = new SockJsRegistry(broker, clock, timings);
  const endpoints = createWebSocketEndpoints(broker, {
    clock,
    timings,
    maxPayloadBytes: options.maxPayloadBytes ?? 1024 * 1024,
    maxBufferedBytes: options.maxBufferedBytes ?? 8 * 1024 * 1024,
    clientAddress: options.clientAddress,
  });
  const router = options.router ?? createUpgradeRouter();
  router.add(path, endpoints.stomp);
  router.add(`${path}/websocket`, endpoints.stomp);
  router.add(new RegExp(`^${escapeRegExp(path)}/[^/.]+/[^/.]+/websocket$`), endpoints.sockjs);
  if (!options.router) app.server.on('upgrade', router.handle);

  app.register(stompHttpRoutes, { broker, registry, prefix: path, allowedOrigins: options.allowedOrigins });
  // Open websockets would keep server.close() waiting forever: end them before fastify closes the server.
  app.addHook('preClose', (done) => {
    endpoints.close();
    done();
  });
  app.addHook('onClose', (_app, done) => {
    if (!options.router) app.server.off('upgrade', router.handle);
    done();
  });
  return { router, sockjsSessions: () => registry.size() };
}
