// What an idle WebSocket session leaves on its socket (issue 21: memory per idle session): once ws has taken the
// socket over, the upgrade router's own 'error' listener is let go (ws's ends the connection on an error), so the
// socket holds one listener rather than a list of two; and an error on it still ends the session, not the process.
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import t from 'tap';
import { systemClock } from '../../../src/core/clock.js';
import {
  createBroker,
  createUpgradeRouter,
  createWebSocketEndpoints,
  DEFAULT_SOCKJS_TIMINGS,
} from '../../../src/stomp/index.js';
import { rawWs, until } from './harness.js';

const CONNECT = 'CONNECT\naccept-version:1.2\nlogin:1001\npasscode:pw\nheart-beat:0,0\n\n\0';

t.test(
  "an upgraded socket keeps only ws's error listener, and an error on it ends the session",
  async (t) => {
    const broker = createBroker({
      clock: systemClock,
      authenticate: async (login) => ({ username: login, projectCode: 'P1', role: 'agent' }),
      authorizeSubscribe: () => true,
      onAppMessage: async () => undefined,
    });
    const endpoints = createWebSocketEndpoints(broker, {
      clock: systemClock,
      timings: DEFAULT_SOCKJS_TIMINGS,
      maxPayloadBytes: 1024 * 1024,
      maxBufferedBytes: 8 * 1024 * 1024,
    });
    const router = createUpgradeRouter();
    router.add('/ws', endpoints.stomp);
    const server: Server = createServer();
    const sockets: Socket[] = [];
    server.on('connection', (s) => sockets.push(s));
    server.on('upgrade', router.handle);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    t.teardown(async () => {
      endpoints.close();
      broker.close();
      await new Promise((r) => server.close(r));
    });
    const { port } = server.address() as { port: number };

    const c = rawWs(`ws://127.0.0.1:${port}/ws`, ['v12.stomp']);
    await c.opened;
    c.ws.send(CONNECT);
    await until(() => c.received.some((m) => m.startsWith('CONNECTED')), 'CONNECTED');
    const [socket] = sockets;
    t.equal(socket.listenerCount('error'), 1, 'one error listener on the upgraded socket');
    t.equal(broker.sessions(), 1);

    socket.emit('error', new Error('connection reset'));
    await c.closed;
    await until(() => broker.sessions() === 0, 'the session to end');
    t.equal(broker.sessions(), 0, 'the session ended with its socket');

    // The endpoints keep their own set of open sockets (not ws's client tracking): closing them still ends each.
    const d = rawWs(`ws://127.0.0.1:${port}/ws`, ['v12.stomp']);
    await d.opened;
    d.ws.send(CONNECT);
    await until(() => d.received.some((m) => m.startsWith('CONNECTED')), 'CONNECTED');
    endpoints.close();
    await d.closed;
    await until(() => broker.sessions() === 0, 'the session to end');
    t.pass('closing the endpoints closed the open socket');
  },
);
