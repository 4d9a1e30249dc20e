// A publish encodes its MESSAGE once per shape (STOMP version, subscription id) and hands the same bytes to every
// session of that shape (issue 21: encoding and copying the text per session was most of a publish's own cost).
import t from 'tap';
import { FakeClock } from '../../../src/core/clock.js';
import { createBroker } from '../../../src/stomp/broker.js';
import { createFrameParser } from '../../../src/stomp/parser.js';
import type { StompFrame, StompTransport } from '../../../src/stomp/index.js';

const TOPIC = '/topic/callExtStatus/P1';
const settle = () => new Promise((r) => setImmediate(r));

function setup() {
  const broker = createBroker({
    clock: new FakeClock(),
    authenticate: async (login) => ({ username: login, projectCode: 'P1', role: 'agent' }),
    authorizeSubscribe: () => true,
    onAppMessage: async () => undefined,
  });
  async function client(opts: { login: string; version: string; subscribe: string; bytes: boolean }) {
    const frames: StompFrame[] = [];
    const bytes: Buffer[] = [];
    const parser = createFrameParser();
    const read = (text: string) => {
      for (const e of parser.push(text)) if (e.kind === 'frame') frames.push(e.frame);
    };
    const transport: StompTransport = { send: read, close: () => undefined };
    if (opts.bytes)
      transport.sendBytes = (b) => {
        bytes.push(b);
        read(b.toString('utf8'));
      };
    const session = broker.openSession(transport, { transport: 'test' });
    session.receive(
      `CONNECT\naccept-version:${opts.version}\nlogin:${opts.login}\npasscode:x\nheart-beat:0,0\n\n\0`,
    );
    await settle();
    session.receive(`SUBSCRIBE\n${opts.subscribe}destination:${TOPIC}\n\n\0`);
    await settle();
    return { frames, bytes };
  }
  return { broker, client };
}

t.test('sessions of one version and subscription id get the very same bytes', async (t) => {
  const { broker, client } = setup();
  const a = await client({ login: 'a', version: '1.2', subscribe: 'id:sub-0\n', bytes: true });
  const b = await client({ login: 'b', version: '1.2', subscribe: 'id:sub-0\n', bytes: true });
  const other = await client({ login: 'c', version: '1.2', subscribe: 'id:x:1\n', bytes: true });
  const old = await client({ login: 'd', version: '1.1', subscribe: 'id:sub-0\n', bytes: true });
  t.equal(broker.publish(TOPIC, { state: 'idle' }), 4);
  t.equal(a.bytes.length, 1);
  t.equal(a.bytes[0], b.bytes[0], 'one Buffer for both sessions');
  t.not(other.bytes[0], a.bytes[0], 'another subscription id, another frame');
  t.not(old.bytes[0], a.bytes[0], 'another version, another frame');
  const message = (c: { frames: StompFrame[] }) => c.frames.find((f) => f.command === 'MESSAGE');
  t.match(message(a), {
    headers: { subscription: 'sub-0', destination: TOPIC, 'content-type': 'application/json;charset=UTF-8' },
    body: '{"state":"idle"}',
  });
  t.ok(other.bytes[0]!.toString().includes('subscription:x\\c1\n'), 'the id is escaped');
  t.equal(message(old)?.headers.subscription, 'sub-0');
  broker.close();
});

t.test('a 1.2 client-ack subscription gets a frame of its own, with its ack id', async (t) => {
  const { broker, client } = setup();
  const a = await client({ login: 'a', version: '1.2', subscribe: 'id:0\nack:client\n', bytes: true });
  const b = await client({ login: 'b', version: '1.2', subscribe: 'id:0\nack:client\n', bytes: true });
  broker.publish(TOPIC, 'hello');
  t.not(a.bytes[0], b.bytes[0]);
  const ackOf = (c: { frames: StompFrame[] }) => c.frames.find((f) => f.command === 'MESSAGE')?.headers.ack;
  t.match(ackOf(a), /^.+-s\d+\\c.+$/, "the session's id and the message id, escaped");
  t.not(ackOf(a), ackOf(b));
  broker.close();
});

t.test('a transport without sendBytes gets the same frame as text, multi-byte bodies whole', async (t) => {
  const { broker, client } = setup();
  const text = await client({ login: 'a', version: '1.2', subscribe: 'id:0\n', bytes: false });
  const bytes = await client({ login: 'b', version: '1.2', subscribe: 'id:0\n', bytes: true });
  broker.publish(TOPIC, 'déjà vu ☎');
  const m = text.frames.find((f) => f.command === 'MESSAGE');
  t.equal(m?.body, 'déjà vu ☎');
  t.equal(m?.headers['content-length'], String(Buffer.byteLength('déjà vu ☎')));
  t.same(
    m,
    bytes.frames.find((f) => f.command === 'MESSAGE'),
  );
  broker.close();
});

t.test('subscriptions of alternating shapes each get the frame of their own shape', async (t) => {
  const { broker, client } = setup();
  // The broker reuses the bytes of the subscription before when the shape is the same: here it never is twice
  // running but for the last two.
  const a = await client({ login: 'a', version: '1.2', subscribe: 'id:0\n', bytes: true });
  const old = await client({ login: 'b', version: '1.1', subscribe: 'id:0\n', bytes: true });
  const again = await client({ login: 'c', version: '1.2', subscribe: 'id:0\n', bytes: true });
  const other = await client({ login: 'd', version: '1.2', subscribe: 'id:1\n', bytes: true });
  const acked = await client({ login: 'e', version: '1.2', subscribe: 'id:1\nack:client\n', bytes: true });
  const last = await client({ login: 'f', version: '1.2', subscribe: 'id:1\n', bytes: true });
  t.equal(broker.publish(TOPIC, 'x'), 6);
  t.equal(again.bytes[0], a.bytes[0], 'the same shape further on: the same Buffer');
  t.not(old.bytes[0], a.bytes[0], 'another version between them: its own');
  t.equal(last.bytes[0], other.bytes[0]);
  t.not(other.bytes[0], a.bytes[0]);
  const sub = (c: { frames: StompFrame[] }) => c.frames.find((f) => f.command === 'MESSAGE')?.headers;
  t.match(sub(other), { subscription: '1' });
  t.match(sub(last), { subscription: '1' });
  t.match(sub(acked), { subscription: '1', ack: /.+/ });
  t.equal(sub(last)?.ack, undefined, 'no ack id from the client-ack subscription before it');
  t.match(sub(old), { subscription: '0' });
  broker.close();
});
