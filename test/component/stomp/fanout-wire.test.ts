// What a publish puts on the wire (issue 21): the MESSAGE is framed once and the same WebSocket frame is written to
// every plain WebSocket's socket, where SockJS sessions get it as text inside their own framing. Every client must
// read exactly the frame it would have got from ws.send, in order with what ws itself sends on the same socket, and a
// client that stops reading is still dropped.
import type { Duplex } from 'node:stream';
import t from 'tap';
import { createFrameParser } from '../../../src/stomp/parser.js';
import type { StompFrame } from '../../../src/stomp/index.js';
import { rawWs, startServer, until, type Harness } from './harness.js';

const TOPIC = '/topic/task/P1';
const connectFrame = (login: string, version: string) =>
  `CONNECT\naccept-version:${version}\nhost:cc\nlogin:${login}\npasscode:pw\nheart-beat:0,0\n\n\0`;
/** `id` as it goes on the wire (escaped); the receipt's id is the plain one. */
const subscribeFrame = (id: string) =>
  `SUBSCRIBE\nid:${id}\ndestination:${TOPIC}\nreceipt:r-${id.replace('\\c', '')}\n\n\0`;

/** A plain WebSocket client, CONNECTed and SUBSCRIBEd (the receipt seen). */
async function plain(h: Harness, login: string, version: string, id: string) {
  const c = rawWs(h.wsBase, ['v12.stomp', 'v11.stomp']);
  await c.opened;
  c.ws.send(connectFrame(login, version));
  await until(() => c.received.length === 1, 'CONNECTED');
  c.ws.send(subscribeFrame(id));
  await until(() => c.received.some((m) => m.includes(`receipt-id:r-${id.replace('\\c', '')}`)), 'receipt');
  return { ...c, messages: () => c.received.filter((m) => m.startsWith('MESSAGE')) };
}

/** A SockJS client over its websocket transport: STOMP text inside o / a[...] frames. */
async function sockjs(h: Harness, login: string, id: string) {
  const c = rawWs(`${h.wsBase}/000/${login}x/websocket`);
  await c.opened;
  const frames = () =>
    c.received.filter((m) => m.startsWith('a')).flatMap((m) => JSON.parse(m.slice(1)) as string[]);
  c.ws.send(JSON.stringify([connectFrame(login, '1.2')]));
  await until(() => frames().length === 1, 'CONNECTED');
  c.ws.send(JSON.stringify([subscribeFrame(id)]));
  await until(() => frames().some((m) => m.includes(`receipt-id:r-${id}`)), 'receipt');
  return { ...c, messages: () => frames().filter((m) => m.startsWith('MESSAGE')) };
}

function parse(text: string): StompFrame {
  const parser = createFrameParser();
  parser.setVersion('1.2');
  const events = parser.push(text);
  if (events.length !== 1 || events[0]!.kind !== 'frame')
    throw new Error(`not one frame: ${text.slice(0, 80)}`);
  return events[0]!.frame;
}

const BODIES: Array<string | object> = [
  'short',
  // The frame crosses 125 bytes (a 16-bit length) ...
  'x'.repeat(200),
  'déjà vu ☎ 中文 😀',
  // ... and 65,535 bytes (a 64-bit length), in characters of three bytes each.
  '中'.repeat(25_000),
  { agent: '张三', state: 'idle', n: 1 },
];

t.test('every client reads the very frame ws.send would have sent, at every length and script', async (t) => {
  const h = await startServer();
  t.teardown(() => h.close());
  const a = await plain(h, '1001', '1.2', '0');
  const again = await plain(h, '1001', '1.2', 'x\\c1');
  const old = await plain(h, 'boss', '1.1', '0');
  const viaSockJs = await sockjs(h, '1002', '0');
  for (const body of BODIES) t.equal(h.broker.publish(TOPIC, body), 4);
  const all = [a, again, old, viaSockJs];
  await until(() => all.every((c) => c.messages().length === BODIES.length), 'every MESSAGE');
  for (const [i, body] of BODIES.entries()) {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    const frames = all.map((c) => parse(c.messages()[i]!));
    for (const f of frames) {
      t.equal(f.body, text, `body ${i} whole`);
      t.equal(f.headers['content-length'], String(Buffer.byteLength(text)), `body ${i} counted in bytes`);
      t.equal(f.headers.destination, TOPIC);
    }
    t.equal(a.messages()[i], viaSockJs.messages()[i], `body ${i}: the WebSocket frame holds the SockJS text`);
    t.equal(frames[1]!.headers.subscription, 'x:1', 'its own subscription id, escaped and read back');
    t.equal(frames[2]!.headers.subscription, '0');
    t.equal(new Set(frames.map((f) => f.headers['message-id'])).size, 1, 'one message id');
  }
  for (const c of all) c.ws.close();
});

t.test("the ready-made frames and ws's own frames reach a socket in the order they were sent", async (t) => {
  const h = await startServer();
  t.teardown(() => h.close());
  const a = await plain(h, '1001', '1.2', '0');
  const before = a.received.length;
  h.broker.publish(TOPIC, 'first');
  h.broker.publish(TOPIC, '中文 second');
  t.equal(h.broker.disconnectUser('1001', 'bye'), 1);
  const closed = await a.closed;
  t.equal(closed.code, 1000);
  const got = a.received.slice(before);
  t.equal(got.length, 3);
  t.equal(parse(got[0]!).body, 'first');
  t.equal(parse(got[1]!).body, '中文 second');
  t.match(parse(got[2]!), { command: 'ERROR', headers: { message: 'disconnected' }, body: 'bye' });
});

t.test('a client that stops reading is dropped; the others keep getting every message', async (t) => {
  const h = await startServer({ maxBufferedBytes: 256 * 1024 });
  t.teardown(() => h.close());
  const stuck = await plain(h, '1001', '1.2', '0');
  const reader = await plain(h, '1002', '1.2', '0');
  (stuck.ws as unknown as { _socket: Duplex })._socket.pause();
  const body = 'y'.repeat(100_000);
  let published = 0;
  // Loopback's kernel buffers take a few MiB first; 40 MiB is far past them and the 256 KiB limit.
  while (h.broker.sessions() === 2 && published < 400) {
    h.broker.publish(TOPIC, body);
    published++;
    await new Promise((r) => setImmediate(r));
  }
  t.equal(h.broker.sessions(), 1, `the stuck client is dropped (after ${published} publishes)`);
  t.ok(published < 400);
  await until(() => reader.messages().length === published, 'the reader got all of them');
  t.ok(reader.messages().every((m) => parse(m).body === body));
  reader.ws.close();
  stuck.ws.terminate();
});
