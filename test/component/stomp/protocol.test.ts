// The wire, byte by byte: SockJS HTTP and websocket framing, the upgrade router, and STOMP over a raw WebSocket.
import t from 'tap';
import WebSocket from 'ws';
import { FakeClock } from '../../../src/core/clock.js';
import { rejectUpgrade } from '../../../src/stomp/index.js';
import { rawWs, startServer, until } from './harness.js';

const CONNECT = 'CONNECT\naccept-version:1.2\nhost:cc\nlogin:1001\npasscode:pw\nheart-beat:0,0\n\n\0';
const post = (url: string, body?: string) => fetch(url, { method: 'POST', body });
const sjs = (s: string) => JSON.stringify([s]);

t.test('SockJS info, welcome and CORS preflight answer as Spring does', async (t) => {
  const h = await startServer({ allowedOrigins: ['http://agent.example'] });
  t.teardown(() => h.close());
  const info = await fetch(`${h.base}/info?t=1`, { headers: { origin: 'http://agent.example' } });
  t.equal(info.status, 200);
  t.match(info.headers.get('content-type'), /application\/json/);
  t.equal(info.headers.get('access-control-allow-origin'), 'http://agent.example', 'a configured origin');
  t.equal(info.headers.get('access-control-allow-credentials'), 'true');
  const other = await fetch(`${h.base}/info?t=1`, { headers: { origin: 'http://evil.example' } });
  t.equal(other.headers.get('access-control-allow-origin'), '*', 'any other origin: no credentials');
  t.equal(other.headers.get('access-control-allow-credentials'), null);
  t.match(info.headers.get('cache-control'), /no-store/);
  const json = await info.json();
  t.match(json, { websocket: true, cookie_needed: false, origins: ['*:*'], entropy: Number });
  t.equal(await (await fetch(h.base)).text(), 'Welcome to SockJS!\n');
  const pre = await fetch(`${h.base}/a/b/xhr_streaming`, {
    method: 'OPTIONS',
    headers: { origin: 'http://x', 'access-control-request-headers': 'content-type' },
  });
  t.equal(pre.status, 204);
  t.equal(pre.headers.get('access-control-allow-methods'), 'OPTIONS, POST');
  t.equal(pre.headers.get('access-control-allow-headers'), 'content-type');
  t.equal(
    (await fetch(`${h.base}/info`, { method: 'OPTIONS' })).headers.get('access-control-allow-methods'),
    'OPTIONS, GET',
  );
});

t.test(
  'xhr polling: o, then STOMP frames in a[...] after xhr_send; a second poll is told 2010',
  async (t) => {
    const h = await startServer();
    t.teardown(() => h.close());
    const url = `${h.base}/000/session1`;
    t.equal(await (await post(`${url}/xhr`)).text(), 'o\n');
    const send = await post(`${url}/xhr_send`, sjs(CONNECT));
    t.equal(send.status, 204);
    const poll = await (await post(`${url}/xhr`)).text();
    t.match(poll, /^a\["CONNECTED\\nserver:callcenter\\n/);
    t.ok(poll.endsWith('\\u0000"]\n'));
    const waiting = post(`${url}/xhr`);
    await until(() => h.broker.publish('/topic/none', 'x') === 0 && h.sockjsSessions() === 1, 'poll');
    await new Promise((r) => setTimeout(r, 50));
    t.equal(await (await post(`${url}/xhr`)).text(), 'c[2010,"Another connection still open"]\n');
    await post(`${url}/xhr_send`, sjs('SUBSCRIBE\nid:1\ndestination:/topic/status/1001\nreceipt:r\n\n\0'));
    t.match(await (await waiting).text(), /RECEIPT\\nreceipt-id:r/);
    await post(`${url}/xhr_send`, sjs('DISCONNECT\nreceipt:bye\n\n\0'));
    const last = await (await post(`${url}/xhr`)).text();
    t.match(last, /receipt-id:bye/);
    t.equal(await (await post(`${url}/xhr`)).text(), 'c[3000,"Go away!"]\n');
    await until(() => h.broker.sessions() === 0, 'broker session to end');
  },
);

t.test('a SockJS session answers only to its creator; short ids are refused', async (t) => {
  const h = await startServer();
  t.teardown(() => h.close());
  const url = `${h.base}/123/victim01`;
  t.equal(await (await post(`${url}/xhr`)).text(), 'o\n');
  t.equal((await post(`${url}/xhr_send`, sjs(CONNECT))).status, 204);
  // Another client that learned the session id (another server segment, or another address) reads nothing.
  const thief = await post(`${h.base}/999/victim01/xhr`);
  t.equal(thief.status, 404, 'another server segment cannot poll it');
  t.equal((await post(`${h.base}/999/victim01/xhr_send`, sjs('DISCONNECT\n\n\0'))).status, 404);
  const fromElsewhere = await h.injectPost(`/callcenter/ws/123/victim01/xhr`, '203.0.113.7');
  t.equal(fromElsewhere, 404, 'another address cannot poll it');
  const mine = await (await post(`${url}/xhr`)).text();
  t.match(mine, /CONNECTED/, 'the creator still gets its frames');
  t.equal((await post(`${h.base}/0/abc/xhr`)).status, 404, 'a guessable id is refused');
});

t.test('xhr_send: unknown session 404, empty or broken payload 500', async (t) => {
  const h = await startServer();
  t.teardown(() => h.close());
  t.equal((await post(`${h.base}/0/nope/xhr_send`, '["x"]')).status, 404);
  const url = `${h.base}/0/session2`;
  await (await post(`${url}/xhr`)).text();
  const empty = await post(`${url}/xhr_send`);
  t.equal(empty.status, 500);
  t.equal(await empty.text(), 'Payload expected.');
  const broken = await post(`${url}/xhr_send`, '["x"');
  t.equal(await broken.text(), 'Broken JSON encoding.');
  t.equal((await post(`${url}/xhr_send`, '[1]')).status, 500);
  t.equal((await post(`${h.base}/0/abcd.efgh/xhr`)).status, 404, 'ids with dots are not SockJS urls');
});

t.test(
  'xhr_streaming: a 2 KiB h prelude, o, then frames each on a line; ended at the response limit',
  async (t) => {
    const h = await startServer({ timings: { responseLimitBytes: 4096 } });
    t.teardown(() => h.close());
    const url = `${h.base}/0/stream01`;
    const res = await post(`${url}/xhr_streaming`);
    const reader = res.body!.getReader();
    let text = '';
    const readUntil = async (pattern: RegExp) => {
      while (!pattern.test(text)) {
        const { value, done } = await reader.read();
        if (done) return;
        text += Buffer.from(value).toString('utf8');
      }
    };
    await readUntil(/\no\n/);
    t.equal(text, 'h'.repeat(2048) + '\no\n');
    await post(`${url}/xhr_send`, sjs(CONNECT));
    await readUntil(/CONNECTED/);
    await post(`${url}/xhr_send`, sjs('SUBSCRIBE\nid:1\ndestination:/topic/status/1001\nreceipt:r\n\n\0'));
    await readUntil(/receipt-id:r/);
    h.broker.publish('/topic/status/1001', 'x'.repeat(3000));
    await readUntil(/$^/); // read to the end: the limit was passed, the server ends the response
    t.match(text.slice(2050), /a\["MESSAGE\\n/, text.slice(2050, 2400));
    t.equal(text.match(/a\[/g)?.length, 3, 'CONNECTED, RECEIPT, MESSAGE');
    t.ok(text.length >= 4096);
    t.equal(h.sockjsSessions(), 1, 'the session outlives its streaming request');
    h.broker.publish('/topic/status/1001', 'after');
    const again = await (await post(`${url}/xhr`)).text();
    t.match(
      again,
      /^a\["MESSAGE\\n.*after\\u0000"\]\n$/,
      'the next receiver gets what waited, without a second o',
    );
  },
);

t.test(
  'a SockJS session without a receiver ends after the disconnect delay; heart-beats keep receivers busy',
  async (t) => {
    const clock = new FakeClock();
    const h = await startServer({ clock, timings: { heartbeatMs: 25_000, disconnectDelayMs: 5_000 } });
    t.teardown(() => h.close());
    const url = `${h.base}/0/heartbt1`;
    await (await post(`${url}/xhr`)).text();
    await post(`${url}/xhr_send`, sjs(CONNECT));
    await (await post(`${url}/xhr`)).text();
    const waiting = post(`${url}/xhr`);
    await new Promise((r) => setTimeout(r, 50));
    clock.advance(25_000);
    t.equal(await (await waiting).text(), 'h\n');
    t.equal(h.broker.sessions(), 1);
    clock.advance(5_000);
    t.equal(h.sockjsSessions(), 0);
    t.equal(h.broker.sessions(), 0, 'the STOMP session ended with its SockJS session');
    t.equal((await post(`${url}/xhr_send`, '["x"]')).status, 404);
  },
);

t.test('SockJS websocket framing: o, a[...] frames, and c[3000] when STOMP ends', async (t) => {
  const h = await startServer();
  t.teardown(() => h.close());
  const c = rawWs(`${h.wsBase}/123/abc/websocket`);
  await c.opened;
  await until(() => c.received.length === 1, 'o');
  t.equal(c.received[0], 'o');
  c.ws.send(JSON.stringify([CONNECT.slice(0, 10)]));
  c.ws.send(JSON.stringify(CONNECT.slice(10)));
  await until(() => c.received.length === 2, 'CONNECTED');
  t.match(c.received[1], /^a\["CONNECTED/);
  c.ws.send('["DISCONNECT\\nreceipt:x\\n\\n\\u0000"]');
  t.match(await c.closed, { code: 3000, reason: 'Go away!' });
  t.match(c.received.at(-2), /receipt-id:x/);
  t.equal(c.received.at(-1), 'c[3000,"Go away!"]');
});

t.test('raw WebSocket: split frames, batched frames, the STOMP subprotocol', async (t) => {
  const h = await startServer();
  t.teardown(() => h.close());
  const c = rawWs(h.wsBase, ['v10.stomp', 'v12.stomp']);
  await c.opened;
  t.equal(c.ws.protocol, 'v12.stomp');
  c.ws.send(CONNECT.slice(0, 7));
  c.ws.send(Buffer.from(CONNECT.slice(7)));
  await until(() => c.received.length === 1, 'CONNECTED');
  c.ws.send(
    'SUBSCRIBE\nid:a\ndestination:/topic/status/1001\n\n\0SUBSCRIBE\nid:b\ndestination:/topic/call/1001\nreceipt:2\n\n\0',
  );
  await until(() => c.received.some((m) => m.includes('receipt-id:2')), 'receipt');
  t.equal(h.broker.publish('/topic/call/1001', '中文'), 1);
  await until(() => c.received.some((m) => m.startsWith('MESSAGE')), 'MESSAGE');
  t.match(c.received.at(-1), /content-length:6\n\n中文\0$/);
  c.ws.close();
  await c.closed;
  await until(() => h.broker.sessions() === 0, 'session gone');
});

t.test('a client that stops heart-beating is closed by the server', async (t) => {
  const clock = new FakeClock();
  const h = await startServer({
    brokerClock: clock,
    broker: { heartbeat: { sendMs: 1000, receiveMs: 1000 } },
  });
  t.teardown(() => h.close());
  const c = rawWs(h.wsBase);
  await c.opened;
  c.ws.send(CONNECT.replace('heart-beat:0,0', 'heart-beat:1000,1000'));
  await until(() => c.received.length === 1, 'CONNECTED');
  t.match(c.received[0], /heart-beat:1000,1000/);
  clock.advance(1000);
  await until(() => c.received.length === 2, 'server heart-beat');
  t.equal(c.received[1], '\n');
  clock.advance(1000);
  t.equal(h.broker.sessions(), 0);
  t.match(await c.closed, { code: 1000 });
  t.equal(h.broker.counters().heartbeatTimeouts, 1);
});

t.test('an upgrade to an unknown path gets HTTP 404 and the socket is closed', async (t) => {
  const h = await startServer();
  t.teardown(() => h.close());
  const ws = new WebSocket(h.wsBase.replace('/callcenter/ws', '/nowhere'));
  const status = await new Promise<number>((resolve) => {
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('error', () => undefined);
  });
  t.equal(status, 404);
  ws.terminate();
});

t.test('other features can add upgrade routes to the same router', async (t) => {
  const h = await startServer();
  t.teardown(() => h.close());
  h.router.add('/teapot', (_req, socket) => rejectUpgrade(socket, 418, "I'm a teapot"));
  const ws = new WebSocket(h.wsBase.replace('/callcenter/ws', '/teapot'));
  const status = await new Promise<number>((resolve) => {
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('error', () => undefined);
  });
  t.equal(status, 418);
  ws.terminate();
});

t.test(
  'MESSAGE frames written as ready-made WebSocket frames arrive whole at every length encoding',
  async (t) => {
    const h = await startServer();
    t.teardown(() => h.close());
    const a = rawWs(h.wsBase, ['v12.stomp']);
    const b = rawWs(h.wsBase, ['v12.stomp']);
    await Promise.all([a.opened, b.opened]);
    for (const c of [a, b]) {
      // Two sessions of one agent on its own topic: one publish, the same bytes to both sockets.
      c.ws.send(CONNECT);
      c.ws.send('SUBSCRIBE\nid:0\ndestination:/topic/status/1001\nreceipt:r\n\n\0');
    }
    await until(() => a.received.some((m) => m.startsWith('RECEIPT')), 'a subscribed');
    await until(() => b.received.some((m) => m.startsWith('RECEIPT')), 'b subscribed');
    // 7-bit, 16-bit and 64-bit payload lengths (RFC 6455 §5.2), either side of each boundary, one multi-byte.
    const bodies = [10, 60, 61, 65_400, 65_500, 70_000].map((n, i) =>
      i === 2 ? 'é'.repeat(n / 2) : 'x'.repeat(n),
    );
    for (const body of bodies) h.broker.publish('/topic/status/1001', body);
    for (const c of [a, b]) {
      await until(
        () => c.received.filter((m) => m.startsWith('MESSAGE')).length === bodies.length,
        'every MESSAGE',
      );
      const got = c.received.filter((m) => m.startsWith('MESSAGE'));
      t.same(
        got.map((m) => m.slice(m.indexOf('\n\n') + 2, -1)),
        bodies,
        'every body, in order',
      );
    }
    // ws still sends its own frames on the same socket after ours: the close handshake completes.
    a.ws.close(1000);
    t.equal((await a.closed).code, 1000);
    b.ws.close(1000);
    await b.closed;
  },
);
