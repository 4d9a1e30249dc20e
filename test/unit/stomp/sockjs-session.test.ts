import t from 'tap';
import { FakeClock } from '../../../src/core/clock.js';
import { createBroker } from '../../../src/stomp/broker.js';
import { decodeClientPayload, messageFrame } from '../../../src/stomp/transport/sockjs-frames.js';
import {
  DEFAULT_SOCKJS_TIMINGS,
  SockJsSession,
  type Receiver,
} from '../../../src/stomp/transport/sockjs-session.js';

const CONNECT = 'CONNECT\naccept-version:1.2\nlogin:1001\npasscode:pw\n\n\0';
const settle = () => new Promise((r) => setImmediate(r));

function setup(timings = {}) {
  const clock = new FakeClock();
  const broker = createBroker({
    clock,
    authenticate: async (login) => ({ username: login, projectCode: 'P1', role: 'agent' }),
    authorizeSubscribe: () => true,
    onAppMessage: async () => undefined,
  });
  const gone: string[] = [];
  const session = new SockJsSession(
    'x1',
    broker,
    clock,
    { ...DEFAULT_SOCKJS_TIMINGS, ...timings },
    { transport: 'test' },
    (s) => gone.push(s.id),
  );
  return { clock, broker, session, gone };
}

/** A long poll: answers once. */
function poll(): Receiver & { frames: string[]; ended: boolean } {
  const r = {
    frames: [] as string[],
    ended: false,
    write(frame: string) {
      r.frames.push(frame);
      r.ended = true;
      return false;
    },
    end() {
      r.ended = true;
    },
  };
  return r;
}

t.test('frames: a[...] is a JSON array, client payloads are strings or arrays of strings', async (t) => {
  t.equal(messageFrame(['a\n"b"\0', '中']), 'a["a\\n\\"b\\"\\u0000","中"]');
  t.same(decodeClientPayload('"x"'), ['x']);
  t.same(decodeClientPayload('["x","y"]'), ['x', 'y']);
  t.same(decodeClientPayload(''), { error: 'Payload expected.' });
  t.same(decodeClientPayload('{'), { error: 'Broken JSON encoding.' });
  t.same(decodeClientPayload('{"a":1}'), { error: 'Broken JSON encoding.' });
});

t.test('messages wait in the outbox until the next poll, batched in one a[...]', async (t) => {
  const { session, broker } = setup();
  const first = poll();
  session.attach(first, true);
  t.same(first.frames, ['o']);
  session.deliver([CONNECT, 'SUBSCRIBE\nid:1\ndestination:/topic/t\nreceipt:r\n\n\0']);
  await settle();
  const second = poll();
  session.attach(second, false);
  const batch = JSON.parse(second.frames[0].slice(1)) as string[];
  t.same(
    batch.map((f) => f.split('\n')[0]),
    ['CONNECTED', 'RECEIPT'],
  );
  t.equal(broker.sessions(), 1);
});

t.test('a second receiver while one is attached gets c[2010] and the first keeps the session', async (t) => {
  const { session } = setup();
  session.attach(poll(), true);
  const waiting = poll();
  session.attach(waiting, false);
  const intruder = poll();
  session.attach(intruder, false);
  t.same(intruder.frames, ['c[2010,"Another connection still open"]']);
  t.notOk(waiting.ended);
});

t.test('without a receiver for the disconnect delay the session ends, and the broker hears it', async (t) => {
  const { session, broker, clock, gone } = setup({ disconnectDelayMs: 5000 });
  const r = poll();
  session.attach(r, true);
  session.deliver([CONNECT]);
  await settle();
  clock.advance(4999);
  t.equal(broker.sessions(), 1);
  clock.advance(1);
  t.equal(broker.sessions(), 0);
  t.same(gone, ['x1']);
  const late = poll();
  session.attach(late, false);
  t.same(late.frames, ['c[3000,"Go away!"]']);
});

t.test(
  'when STOMP ends with no receiver, the next poll gets the ERROR and the one after c[3000]',
  async (t) => {
    const { session, clock, gone } = setup({ disconnectDelayMs: 5000 });
    session.attach(poll(), true);
    session.deliver(['SEND\n\n\0']);
    await settle();
    const next = poll();
    session.attach(next, false);
    t.match(next.frames[0], /^a\["ERROR\\n/);
    const last = poll();
    session.attach(last, false);
    t.same(last.frames, ['c[3000,"Go away!"]']);
    clock.advance(5000);
    t.same(gone, ['x1']);
  },
);

t.test(
  'a heart-beat answers a waiting poll; a client that stops polling past the queue limit is dropped',
  async (t) => {
    const { session, clock, broker } = setup({
      heartbeatMs: 1000,
      maxQueuedMessages: 3,
      disconnectDelayMs: 60_000,
    });
    session.attach(poll(), true);
    session.deliver([CONNECT, 'SUBSCRIBE\nid:1\ndestination:/topic/t\n\n\0']);
    await settle();
    const r = poll();
    session.attach(r, false);
    const waiting = poll();
    session.attach(waiting, false);
    clock.advance(1000);
    t.same(waiting.frames, ['h']);
    for (let i = 0; i < 4; i++) broker.publish('/topic/t', `m${i}`);
    t.equal(broker.sessions(), 0);
    t.notOk(session.isOpen());
  },
);
