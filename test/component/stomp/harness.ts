// A real fastify app with the STOMP endpoints on an ephemeral port, and real clients (stompjs over ws or SockJS).
import Fastify from 'fastify';
import { Client, type IFrame, type IStompSocket } from '@stomp/stompjs';
import SockJS from 'sockjs-client';
import WebSocket from 'ws';
import type { Clock } from '../../../src/core/clock.js';
import { systemClock } from '../../../src/core/clock.js';
import {
  attachStomp,
  createBroker,
  projectAccessRules,
  type BrokerOptions,
  type Principal,
  type SockJsTimings,
  type UpgradeRouter,
} from '../../../src/stomp/index.js';

export const users: Record<string, Principal> = {
  '1001': { username: '1001', projectCode: 'P1', role: 'agent' },
  '1002': { username: '1002', projectCode: 'P1', role: 'agent' },
  boss: { username: 'boss', projectCode: 'P1', role: 'manager' },
};

export interface Harness {
  base: string;
  wsBase: string;
  broker: ReturnType<typeof createBroker>;
  commands: Array<{ username: string; destination: string; body: string }>;
  sockjsSessions(): number;
  router: UpgradeRouter;
  /** POSTs through fastify's inject from another client address; resolves with the status. */
  injectPost(url: string, remoteAddress: string): Promise<number>;
  close(): Promise<void>;
}

export async function startServer(
  opts: {
    clock?: Clock;
    brokerClock?: Clock;
    timings?: Partial<SockJsTimings>;
    broker?: Partial<BrokerOptions>;
    allowedOrigins?: string[];
    maxBufferedBytes?: number;
  } = {},
): Promise<Harness> {
  const rules = projectAccessRules({ isUsernameInProject: (u, p) => users[u]?.projectCode === p });
  const commands: Harness['commands'] = [];
  const broker = createBroker({
    clock: opts.brokerClock ?? systemClock,
    authenticate: async (login, passcode) =>
      users[login] && passcode === 'pw' ? users[login] : { error: `wrong username or password for ${login}` },
    authorizeSubscribe: rules.authorizeSubscribe,
    mayActAs: rules.mayActAs,
    onAppMessage: async (p, destination, body) =>
      void commands.push({ username: p.username, destination, body }),
    ...opts.broker,
  });
  const app = Fastify();
  const attached = attachStomp(app, broker, {
    path: '/callcenter/ws',
    clock: opts.clock,
    timings: opts.timings,
    allowedOrigins: opts.allowedOrigins,
    maxBufferedBytes: opts.maxBufferedBytes,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as { port: number };
  return {
    base: `http://127.0.0.1:${port}/callcenter/ws`,
    wsBase: `ws://127.0.0.1:${port}/callcenter/ws`,
    broker,
    commands,
    sockjsSessions: attached.sockjsSessions,
    router: attached.router,
    injectPost: async (url, remoteAddress) =>
      (await app.inject({ method: 'POST', url, remoteAddress })).statusCode,
    close: async () => {
      await app.close();
      broker.close();
    },
  };
}

export type Transport = 'ws' | 'ws-websocket' | 'sockjs-websocket' | 'xhr-streaming' | 'xhr-polling';

export function socketFactory(h: Harness, transport: Transport): () => IStompSocket {
  switch (transport) {
    case 'ws':
      return () =>
        new WebSocket(h.wsBase, ['v12.stomp', 'v11.stomp', 'v10.stomp']) as unknown as IStompSocket;
    case 'ws-websocket':
      return () => new WebSocket(`${h.wsBase}/websocket`, ['v12.stomp']) as unknown as IStompSocket;
    case 'sockjs-websocket':
      return () => new SockJS(h.base, null, { transports: ['websocket'] }) as unknown as IStompSocket;
    default:
      return () => new SockJS(h.base, null, { transports: [transport] }) as unknown as IStompSocket;
  }
}

export interface TestClient {
  client: Client;
  errors: IFrame[];
  closed: Promise<void>;
  /** Resolves with the frame a subscription receives next. */
  next(destination: string): Promise<IFrame>;
  stop(): Promise<void>;
}

/** Connects stompjs; resolves when CONNECTED, or when ERROR arrives (then `errors` holds it). */
export async function connect(
  h: Harness,
  transport: Transport,
  login: string,
  passcode = 'pw',
  extra: Partial<ConstructorParameters<typeof Client>[0]> = {},
): Promise<TestClient> {
  const errors: IFrame[] = [];
  let closedResolve!: () => void;
  const closed = new Promise<void>((r) => (closedResolve = r));
  const client = new Client({
    webSocketFactory: socketFactory(h, transport),
    connectHeaders: { login, passcode, host: 'callcenter' },
    reconnectDelay: 0,
    heartbeatIncoming: 0,
    heartbeatOutgoing: 0,
    debug: () => undefined,
    ...extra,
  });
  await new Promise<void>((resolve) => {
    client.onConnect = () => resolve();
    client.onStompError = (f) => {
      errors.push(f);
      resolve();
    };
    client.onWebSocketClose = () => {
      closedResolve();
      resolve();
    };
    client.activate();
  });
  return {
    client,
    errors,
    closed,
    next: (destination) =>
      new Promise((resolve) => {
        const sub = client.subscribe(destination, (m) => {
          sub.unsubscribe();
          resolve(m);
        });
      }),
    stop: () => client.deactivate(),
  };
}

export function receipt(client: Client, id: string): Promise<IFrame> {
  return new Promise((resolve) => client.watchForReceipt(id, resolve));
}

/** Waits until `check` holds, polling on the event loop (bounded: fails the test instead of hanging). */
export async function until(check: () => boolean, what: string, tries = 500): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A plain `ws` client that keeps every message it receives as text. */
export function rawWs(url: string, protocols?: string[]) {
  const ws = new WebSocket(url, protocols);
  const received: string[] = [];
  ws.on('message', (d) => received.push(d.toString()));
  const opened = new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  return { ws, received, opened, closed };
}
