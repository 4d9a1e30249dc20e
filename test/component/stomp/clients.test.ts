// Real STOMP clients (stompjs) over every transport we serve: plain WebSocket, SockJS websocket, xhr-streaming and
// xhr-polling (sockjs-client). Each story runs on each transport.
import t from 'tap';
import { connect, receipt, startServer, until, type Transport } from './harness.js';

const transports: Transport[] = ['ws', 'ws-websocket', 'sockjs-websocket', 'xhr-streaming', 'xhr-polling'];
const chinese = '{"msgType":"success","data":"置闲成功"}\n第二行：坐席已置闲\n\n最后一行';

for (const transport of transports) {
  t.test(`over ${transport}`, async (t) => {
    const h = await startServer();
    t.teardown(() => h.close());

    await t.test(
      'an agent connects, subscribes with a receipt and gets a Chinese multi-line body byte-exact',
      async (t) => {
        const c = await connect(h, transport, '1001');
        t.teardown(() => c.stop());
        t.same(c.errors, []);
        t.equal(c.client.connectedVersion, '1.2');
        const got = new Promise<{ body: string; headers: Record<string, string>; binary: Uint8Array }>(
          (resolve) =>
            c.client.subscribe(
              '/topic/notify/P1/1001',
              (m) => resolve({ body: m.body, headers: m.headers, binary: m.binaryBody }),
              { receipt: 'sub-1' },
            ),
        );
        await receipt(c.client, 'sub-1');
        t.equal(
          h.sockjsSessions(),
          transport.startsWith('xhr') ? 1 : 0,
          'the SockJS HTTP transport is the one in use',
        );
        t.equal(h.broker.sessions(), 1);
        t.equal(h.broker.publish('/topic/notify/P1/1001', chinese), 1);
        const m = await got;
        t.equal(m.body, chinese);
        t.equal(m.headers['content-length'], String(Buffer.byteLength(chinese)));
        t.same(Buffer.from(m.binary), Buffer.from(chinese, 'utf8'));
        t.match(m.headers, {
          destination: '/topic/notify/P1/1001',
          'content-type': 'text/plain;charset=UTF-8',
        });
        t.ok(m.headers['message-id']);
        t.ok(m.headers.subscription);
      },
    );

    await t.test('a published object arrives as JSON', async (t) => {
      const c = await connect(h, transport, 'boss');
      t.teardown(() => c.stop());
      const next = c.next('/topic/callExtStatus/P1');
      await until(
        () => h.broker.publish('/topic/callExtStatus/P1', { username: '1001', workStatus: 1 }) === 1,
        'sub',
      );
      const m = await next;
      t.equal(m.headers['content-type'], 'application/json;charset=UTF-8');
      t.same(JSON.parse(m.body), { username: '1001', workStatus: 1 });
    });

    await t.test('an /app command for oneself reaches the application and is receipted', async (t) => {
      const c = await connect(h, transport, '1001');
      t.teardown(() => c.stop());
      const body = '{"username":"1001","workType":"10","projectCode":"P1","note":"中文"}';
      const r = receipt(c.client, 'idle-1');
      c.client.publish({ destination: '/app/idle', body, headers: { receipt: 'idle-1' } });
      await r;
      t.match(h.commands.at(-1), { username: '1001', destination: '/app/idle', body });
    });

    await t.test('an /app command naming another agent is refused with an ERROR', async (t) => {
      const c = await connect(h, transport, '1001');
      const before = h.commands.length;
      const error = new Promise<string>((resolve) => (c.client.onStompError = (f) => resolve(f.body)));
      c.client.publish({ destination: '/app/busy', body: '{"username":"1002","projectCode":"P1"}' });
      t.match(await error, /1001 may not send \/app\/busy for username 1002/);
      await c.closed;
      t.equal(h.commands.length, before);
      await c.stop();
    });

    await t.test("a subscription to another agent's topic gets a clear ERROR", async (t) => {
      const c = await connect(h, transport, '1001');
      const error = new Promise<Record<string, string>>(
        (resolve) => (c.client.onStompError = (f) => resolve(f.headers)),
      );
      c.client.subscribe('/topic/status/1002', () => undefined);
      t.match(await error, { message: 'subscription refused' });
      await c.closed;
      await c.stop();
    });

    await t.test('a wrong password is refused at CONNECT', async (t) => {
      const c = await connect(h, transport, '1001', 'wrong');
      t.match(c.errors[0]?.headers, { message: 'authentication failed' });
      t.match(c.errors[0]?.body, /wrong username or password/);
      await c.closed;
      await c.stop();
    });

    await t.test('all sessions are gone once the clients leave', async () => {
      await until(() => h.broker.sessions() === 0, 'sessions to close');
    });
  });
}

for (const transport of ['ws', 'xhr-streaming'] as const) {
  t.test(
    `stompjs and the broker exchange heart-beats over ${transport} and the session stays up`,
    async (t) => {
      // Short real intervals with wide tolerances: the story is that each side understands the other's EOLs.
      const h = await startServer({
        broker: { heartbeat: { sendMs: 30, receiveMs: 30 }, heartbeatGrace: 100 },
      });
      t.teardown(() => h.close());
      const log: string[] = [];
      const c = await connect(h, transport, '1001', 'pw', {
        heartbeatIncoming: 30,
        heartbeatOutgoing: 30,
        heartbeatToleranceMultiplier: 100,
        debug: (line) => log.push(line),
      });
      t.teardown(() => c.stop());
      await until(() => log.filter((l) => l === '<<< PONG').length >= 3, 'three server heart-beats');
      await until(() => log.filter((l) => l === '>>> PING').length >= 3, 'three client heart-beats');
      t.equal(h.broker.sessions(), 1);
      t.equal(h.broker.counters().heartbeatTimeouts, 0);
      t.ok(c.client.connected);
    },
  );
}
