import t from 'tap';
import { FakeClock } from '../../../src/core/clock.js';
import { projectAccessRules, type Principal } from '../../../src/stomp/access.js';
import { createBroker } from '../../../src/stomp/broker.js';
import { createFrameParser } from '../../../src/stomp/parser.js';
import type { BrokerOptions, StompFrame } from '../../../src/stomp/index.js';

const users: Record<string, Principal> = {
  '1001': { username: '1001', projectCode: 'P1', role: 'agent' },
  '1002': { username: '1002', projectCode: 'P1', role: 'agent' },
  boss: { username: 'boss', projectCode: 'P1', role: 'manager' },
  svc: { username: 'svc', projectCode: '', role: 'service' },
};
const rules = projectAccessRules({ isUsernameInProject: (u, p) => users[u]?.projectCode === p });

function setup(extra: Partial<BrokerOptions> = {}) {
  const clock = new FakeClock();
  const commands: Array<[string, string, string]> = [];
  const broker = createBroker({
    clock,
    authenticate: async (login, passcode) =>
      users[login] && passcode === 'pw' ? users[login] : { error: `bad credentials for ${login}` },
    authorizeSubscribe: rules.authorizeSubscribe,
    mayActAs: rules.mayActAs,
    onAppMessage: async (p, destination, body) => void commands.push([p.username, destination, body]),
    ...extra,
  });
  function client(transport = 'test') {
    const parser = createFrameParser();
    const frames: StompFrame[] = [];
    const raw: string[] = [];
    let closed = false;
    const session = broker.openSession(
      {
        send(text) {
          raw.push(text);
          for (const e of parser.push(text)) if (e.kind === 'frame') frames.push(e.frame);
        },
        close() {
          closed = true;
        },
      },
      { transport },
    );
    return {
      session,
      frames,
      raw,
      get closed() {
        return closed;
      },
      send: (text: string) => session.receive(text),
      last: () => frames.at(-1),
    };
  }
  async function connected(login: string, heartBeat = '0,0') {
    const c = client();
    c.send(
      `CONNECT\naccept-version:1.1,1.2\nhost:cc\nlogin:${login}\npasscode:pw\nheart-beat:${heartBeat}\n\n\0`,
    );
    await settle();
    return c;
  }
  return { clock, broker, commands, client, connected };
}
const settle = () => new Promise((r) => setImmediate(r));

t.test(
  'given good credentials, CONNECT is answered with the negotiated version and heart-beats',
  async (t) => {
    const { connected, broker } = setup();
    const c = await connected('1001', '5000,20000');
    t.equal(c.last()?.command, 'CONNECTED');
    t.match(c.last()?.headers, { version: '1.2', 'heart-beat': '10000,10000', 'user-name': '1001' });
    t.equal(broker.sessions(), 1);
    broker.close();
    t.ok(c.closed);
    t.equal(broker.sessions(), 0);
  },
);

t.test('given a wrong password, CONNECT gets an ERROR and the connection closes', async (t) => {
  const { client, broker } = setup();
  const c = client();
  c.send('CONNECT\naccept-version:1.2\nlogin:1001\npasscode:nope\n\n\0');
  await settle();
  t.match(c.last(), {
    command: 'ERROR',
    headers: { message: 'authentication failed' },
    body: /bad credentials/,
  });
  t.ok(c.closed);
  t.equal(broker.counters().connectsRefused, 1);
});

t.test('an authenticate that throws is a refused CONNECT, not a crash', async (t) => {
  const { client } = setup({ authenticate: () => Promise.reject(new Error('db down')) });
  const c = client();
  c.send('STOMP\naccept-version:1.2\nlogin:x\npasscode:y\n\n\0');
  await settle();
  t.match(c.last(), { command: 'ERROR', body: /unavailable/ });
});

t.test('an unsupported version, a frame before CONNECT, and silence all end the connection', async (t) => {
  const { client, clock } = setup();
  const a = client();
  a.send('CONNECT\naccept-version:2.0\n\n\0');
  await settle();
  t.match(a.last(), { command: 'ERROR', headers: { message: 'unsupported protocol version' } });
  const b = client();
  b.send('SUBSCRIBE\nid:1\ndestination:/topic/x\n\n\0');
  await settle();
  t.match(b.last(), { command: 'ERROR', headers: { message: 'expected CONNECT' } });
  const c = client();
  clock.advance(10_000);
  t.match(c.last(), { command: 'ERROR', headers: { message: 'no CONNECT frame' } });
  t.ok(a.closed && b.closed && c.closed);
});

t.test(
  'the CONNECT deadline: one timer for every session still negotiating, each at its own moment',
  async (t) => {
    const { client, clock, connected, broker } = setup();
    const a = client();
    clock.advance(4_000);
    const b = client();
    const c = client();
    t.equal(clock.pending(), 1, 'three sessions waiting for CONNECT, one timer (not one each)');
    c.send('CONNECT\naccept-version:1.2\nlogin:1001\npasscode:pw\n\n\0');
    await settle();
    t.equal(c.last()?.command, 'CONNECTED');
    clock.advance(5_999);
    t.notOk(a.closed, 'not before its 10 s');
    clock.advance(1);
    t.match(a.last(), { command: 'ERROR', headers: { message: 'no CONNECT frame' } });
    t.ok(a.closed, '10 s after it opened');
    clock.advance(3_999);
    t.notOk(b.closed, 'opened 4 s later: 4 s more');
    clock.advance(1);
    t.ok(b.closed);
    t.notOk(c.closed, 'the one that connected stays');
    t.equal(clock.pending(), 0, 'nobody waiting: no timer');
    const d = await connected('1002');
    t.equal(d.last()?.command, 'CONNECTED');
    t.equal(clock.pending(), 0, 'a session that connected at once leaves no timer behind');
    const e = client();
    e.send('DISCONNECT\n\n\0');
    await settle();
    t.ok(e.closed);
    t.equal(clock.pending(), 0, 'nor does one that ended before connecting');
    broker.close();
  },
);

t.test(
  'a CONNECT that arrived in time is not ended by the deadline while authenticate is pending',
  async (t) => {
    let answer: (p: Principal) => void = () => undefined;
    const { client, clock } = setup({ authenticate: () => new Promise((r) => (answer = r)) });
    const c = client();
    c.send(
      'CONNECT\naccept-version:1.2\nlogin:1001\npasscode:pw\n\n\0SUBSCRIBE\nid:0\ndestination:/topic/status/1001\nreceipt:r\n\n\0',
    );
    clock.advance(20_000);
    t.notOk(c.closed);
    answer(users['1001']);
    await settle();
    t.same(
      c.frames.map((f) => f.command),
      ['CONNECTED', 'RECEIPT'],
      'the SUBSCRIBE behind it waited for it, then ran',
    );
  },
);

t.test(
  'a 1.0 client (no accept-version) gets a 1.0 session: no version header, no heart-beats',
  async (t) => {
    const { client, broker } = setup();
    const c = client();
    c.send('CONNECT\nlogin:1001\npasscode:pw\n\n\0SUBSCRIBE\ndestination:/topic/status/1001\n\n\0');
    await settle();
    t.equal(c.frames[0].command, 'CONNECTED');
    t.notOk('version' in c.frames[0].headers);
    t.equal(broker.publish('/topic/status/1001', { workStatus: 1 }), 1);
    t.match(c.last()?.headers, {
      subscription: '/topic/status/1001',
      'content-type': 'application/json;charset=UTF-8',
    });
    c.send('UNSUBSCRIBE\ndestination:/topic/status/1001\n\n\0');
    await settle();
    t.equal(broker.publish('/topic/status/1001', 'x'), 0);
  },
);

t.test('an agent subscribed to its topic receives a published object as JSON MESSAGE', async (t) => {
  const { connected, broker } = setup();
  const c = await connected('1001');
  c.send('SUBSCRIBE\nid:sub-0\ndestination:/topic/status/1001\nreceipt:r1\n\n\0');
  await settle();
  t.match(c.last(), { command: 'RECEIPT', headers: { 'receipt-id': 'r1' } });
  const body = { workStatus: 1, note: '置闲成功' };
  t.equal(broker.publish('/topic/status/1001', body, { destination: '/evil', custom: 'yes' }), 1);
  const msg = c.last()!;
  t.match(msg, {
    command: 'MESSAGE',
    headers: { destination: '/topic/status/1001', subscription: 'sub-0', custom: 'yes' },
  });
  t.ok(msg.headers['message-id']);
  t.equal(msg.headers['content-length'], String(Buffer.byteLength(JSON.stringify(body))));
  t.same(JSON.parse(msg.body), body);
  t.equal(broker.counters().messagesOut, 1);
  c.send('UNSUBSCRIBE\nid:sub-0\nreceipt:r2\n\n\0');
  await settle();
  t.equal(c.last()?.headers['receipt-id'], 'r2');
  t.equal(broker.publish('/topic/status/1001', body), 0);
});

t.test("an agent subscribing to another agent's topic gets a clear ERROR and is disconnected", async (t) => {
  const { connected, broker } = setup();
  const c = await connected('1001');
  c.send('SUBSCRIBE\nid:1\ndestination:/topic/status/1002\nreceipt:r9\n\n\0');
  await settle();
  t.match(c.last(), {
    command: 'ERROR',
    headers: { message: 'subscription refused', 'receipt-id': 'r9' },
    body: /agent 1001 of project P1 may not subscribe to \/topic\/status\/1002/,
  });
  t.ok(c.closed);
  t.equal(broker.counters().subscriptionsRefused, 1);
  t.equal(broker.sessions(), 0);
});

t.test('SUBSCRIBE needs destination and a fresh id, a known ack mode', async (t) => {
  const { connected } = setup();
  for (const [frame, message] of [
    ['SUBSCRIBE\nid:1\n\n\0', 'missing destination'],
    ['SUBSCRIBE\ndestination:/topic/status/1001\n\n\0', 'missing id'],
    ['SUBSCRIBE\nid:1\nack:sometimes\ndestination:/topic/status/1001\n\n\0', 'invalid ack mode'],
    [
      'SUBSCRIBE\nid:1\ndestination:/topic/status/1001\n\n\0SUBSCRIBE\nid:1\ndestination:/topic/bye/1001\n\n\0',
      'duplicate subscription id',
    ],
    ['UNSUBSCRIBE\n\n\0', 'missing id'],
    ['SEND\n\nx\0', 'missing destination'],
    ['BEGIN\ntransaction:t\n\n\0', 'transactions are not supported'],
    ['SEND\ndestination:/app/idle\ntransaction:t\n\n\0', 'transactions are not supported'],
    ['CONNECT\n\n\0', 'already connected'],
    ['FROB\n\n\0', 'unknown command'],
    ['SEND\ndestination:/queue/x\n\n\0', 'send refused'],
    ['SEND\ndestination:/topic/status/1001\n\nhi\0', 'send refused'],
    ['SEND\ncontent-length:1\n\nhi\0', 'malformed frame'],
  ] as const) {
    const c = await connected('1001');
    c.send(frame);
    await settle();
    t.match(c.last(), { command: 'ERROR', headers: { message } }, frame);
    t.ok(c.closed);
  }
});

t.test('ACK and NACK are accepted with receipts; client ack mode carries an ack header in 1.2', async (t) => {
  const { connected, broker } = setup();
  const c = await connected('1001');
  c.send('SUBSCRIBE\nid:a\nack:client-individual\ndestination:/topic/call/1001\n\n\0');
  await settle();
  broker.publish('/topic/call/1001', 'ring');
  const ack = c.last()!.headers.ack;
  t.ok(ack);
  c.send(`ACK\nid:${ack}\nreceipt:k\n\n\0NACK\nid:${ack}\nreceipt:n\n\n\0`);
  await settle();
  t.same(
    c.frames.slice(-2).map((f) => f.headers['receipt-id']),
    ['k', 'n'],
  );
});

t.test('an /app command for oneself reaches the application, and its receipt follows it', async (t) => {
  const { connected, commands } = setup();
  const c = await connected('1001');
  const body = '{"username":"1001","workType":"10","projectCode":"P1"}';
  c.send(`SEND\ndestination:/app/idle\nreceipt:idle-1\ncontent-type:application/json\n\n${body}\0`);
  await settle();
  t.same(commands, [['1001', '/app/idle', body]]);
  t.match(c.last(), { command: 'RECEIPT', headers: { 'receipt-id': 'idle-1' } });
});

t.test(
  "an agent's /app command naming another agent is refused before the application sees it",
  async (t) => {
    const { connected, commands, broker } = setup();
    const c = await connected('1001');
    c.send('SEND\ndestination:/app/busy\nreceipt:x\n\n{"username":"1002"}\0');
    await settle();
    t.same(commands, []);
    t.match(c.last(), {
      command: 'ERROR',
      headers: { message: 'send refused', 'receipt-id': 'x' },
      body: /1001 may not/,
    });
    t.equal(broker.counters().sendsRefused, 1);
  },
);

t.test('a manager may act for an agent of its project (eavesdrop) but not of another', async (t) => {
  const { connected, commands } = setup();
  const m = await connected('boss');
  m.send('SEND\ndestination:/app/eavesdrop\n\n{"username":"1002","listenerExt":"boss"}\0');
  await settle();
  t.equal(commands.length, 1);
  m.send('SEND\ndestination:/app/eavesdrop\n\n{"username":"2001"}\0');
  await settle();
  t.equal(commands.length, 1);
  t.match(m.last(), { command: 'ERROR' });
});

t.test('a failing /app handler is reported as ERROR and closes the session', async (t) => {
  const { connected } = setup({ onAppMessage: () => Promise.reject(new Error('bug')) });
  const c = await connected('1001');
  c.send('SEND\ndestination:/app/idle\n\n{}\0');
  await settle();
  t.match(c.last(), { command: 'ERROR', headers: { message: 'command failed' } });
});

t.test('frames are handled in order: a SUBSCRIBE after a slow /app command waits for it', async (t) => {
  let release!: () => void;
  const order: string[] = [];
  const { connected, broker } = setup({
    onAppMessage: () => new Promise<void>((r) => (release = () => (order.push('app'), r()))),
  });
  const c = await connected('1001');
  c.send(
    'SEND\ndestination:/app/idle\n\n{}\0SUBSCRIBE\nid:1\ndestination:/topic/status/1001\nreceipt:s\n\n\0',
  );
  await settle();
  t.equal(broker.publish('/topic/status/1001', 'x'), 0, 'not subscribed yet');
  release();
  await settle();
  t.equal(c.last()?.headers['receipt-id'], 's');
  t.same(order, ['app']);
});

t.test('nobody publishes to topics with SEND, a service account neither', async (t) => {
  const { connected } = setup();
  const agent = await connected('1001');
  agent.send('SUBSCRIBE\nid:1\ndestination:/topic/task/P1\nreceipt:s\n\n\0');
  await settle();
  const svc = await connected('svc');
  svc.send('SEND\ndestination:/topic/task/P1\ncontent-type:application/json\nreceipt:p\n\n{"status":2}\0');
  await settle();
  t.match(agent.last(), { command: 'RECEIPT' }, 'the agent got nothing forged');
  t.match(svc.last(), { command: 'ERROR', headers: { message: 'send refused' } });
});

t.test('DISCONNECT with a receipt: RECEIPT first, then the connection closes', async (t) => {
  const { connected, broker } = setup();
  const c = await connected('1001');
  c.send('DISCONNECT\nreceipt:bye\n\n\0');
  await settle();
  t.match(c.last(), { command: 'RECEIPT', headers: { 'receipt-id': 'bye' } });
  t.ok(c.closed);
  t.equal(broker.sessions(), 0);
  c.send('SUBSCRIBE\nid:1\ndestination:/topic/status/1001\n\n\0');
  t.equal(c.last()?.command, 'RECEIPT', 'a closed session ignores input');
});

t.test('heart-beats: the server beats when idle, and closes a client that stops beating', async (t) => {
  const { connected, clock, broker } = setup();
  const c = await connected('1001', '10000,10000');
  clock.advance(10_000);
  t.equal(c.raw.at(-1), '\n', 'an EOL after 10 s of silence');
  const sentBefore = c.raw.length;
  clock.advance(5_000);
  t.equal(c.raw.length, sentBefore, 'not before the interval');
  for (let i = 0; i < 5; i++) {
    c.send('\n');
    clock.advance(15_000);
  }
  t.notOk(c.closed, 'a client beating every 15 s against a 20 s limit stays');
  clock.advance(20_000);
  t.ok(c.closed, 'silent for 20 s (10 s × grace 2): closed');
  t.equal(broker.counters().heartbeatTimeouts, 1);
  t.equal(clock.pending(), 0, 'no timers left behind');
});

t.test('heart-beats of many sessions: one timer per direction, each session at its own moment', async (t) => {
  const { connected, clock, broker } = setup();
  const a = await connected('1001', '10000,10000');
  const b = await connected('1002', '10000,10000');
  const m = await connected('boss', '10000,10000');
  t.equal(clock.pending(), 2, 'three sessions, two timers (not two each)');
  clock.advance(4_000);
  a.send('\n');
  b.send('SUBSCRIBE\nid:0\ndestination:/topic/status/1002\nreceipt:r\n\n\0');
  t.match(b.last(), { command: 'RECEIPT' });
  clock.advance(6_000);
  t.equal(a.raw.at(-1), '\n', 'silent since CONNECTED 10 s ago: beaten');
  t.equal(m.raw.at(-1), '\n');
  t.match(b.last(), { command: 'RECEIPT' }, 'sent something 6 s ago: not yet');
  clock.advance(3_999);
  t.not(b.raw.at(-1), '\n');
  clock.advance(1);
  t.equal(b.raw.at(-1), '\n', 'at 10 s after its RECEIPT');
  clock.advance(6_000);
  t.ok(m.closed, 'boss sent nothing for 20 s: closed');
  t.notOk(a.closed || b.closed, 'the others were heard 16 s ago');
  clock.advance(3_999);
  t.notOk(a.closed || b.closed);
  clock.advance(1);
  t.ok(a.closed && b.closed, '20 s after they were last heard');
  t.equal(broker.counters().heartbeatTimeouts, 3);
  t.equal(clock.pending(), 0, 'no timers left behind');
});

t.test('sessions that negotiated different intervals each keep their own', async (t) => {
  const { connected, clock, broker } = setup();
  const fast = await connected('1001', '0,10000');
  const slow = await connected('1002', '0,30000');
  const beats = (c: { raw: string[] }) => c.raw.filter((r) => r === '\n').length;
  clock.advance(30_000);
  t.equal(beats(fast), 3);
  t.equal(beats(slow), 1);
  slow.send('DISCONNECT\n\n\0');
  t.ok(slow.closed);
  clock.advance(10_000);
  t.equal(beats(fast), 4, 'the other one goes on');
  t.equal(clock.pending(), 1);
  broker.close();
  t.equal(clock.pending(), 0);
});

t.test('disconnectUser closes every session of that user with an ERROR', async (t) => {
  const { connected, broker } = setup();
  const a = await connected('1001');
  const b = await connected('1001');
  const other = await connected('1002');
  t.equal(broker.disconnectUser('1001', 'logged in elsewhere'), 2);
  t.match(a.last(), { command: 'ERROR', body: 'logged in elsewhere' });
  t.ok(a.closed && b.closed);
  t.notOk(other.closed);
  t.equal(broker.sessions(), 1);
});

t.test('a transport that goes away drops its subscriptions', async (t) => {
  const { connected, broker } = setup();
  const c = await connected('1001');
  c.send('SUBSCRIBE\nid:1\ndestination:/topic/status/1001\n\n\0');
  await settle();
  c.session.transportClosed();
  t.equal(broker.publish('/topic/status/1001', 'x'), 0);
  t.match(broker.counters(), { sessions: 0, sessionsOpened: 1, messagesIn: 2 });
});

t.test('a session that closes while authenticate is pending never gets CONNECTED', async (t) => {
  let finish!: (p: Principal) => void;
  const { client } = setup({ authenticate: () => new Promise((r) => (finish = r)) });
  const c = client();
  c.send('CONNECT\naccept-version:1.2\nlogin:1001\npasscode:pw\n\n\0');
  await settle();
  c.session.transportClosed();
  finish(users['1001']);
  await settle();
  t.same(c.frames, []);
});

t.test('a throwing access callback costs the session an ERROR, never the process', async (t) => {
  const { connected } = setup({
    authorizeSubscribe: () => {
      throw new Error('bug');
    },
  });
  const c = await connected('1001');
  c.send('SUBSCRIBE\nid:1\ndestination:/topic/status/1001\n\n\0');
  await settle();
  t.match(c.last(), { command: 'ERROR', headers: { message: 'internal error' } });
  t.ok(c.closed);
});

t.test('a session holds a bounded number of subscriptions, each destination once', async (t) => {
  const { connected } = setup({ authorizeSubscribe: () => true });
  const dup = await connected('1001');
  dup.send('SUBSCRIBE\nid:1\ndestination:/topic/status/1001\n\n\0');
  dup.send('SUBSCRIBE\nid:2\ndestination:/topic/status/1001\n\n\0');
  await settle();
  t.match(dup.last(), { command: 'ERROR', headers: { message: 'duplicate subscription' } });
  t.ok(dup.closed);

  const greedy = await connected('1002');
  for (let i = 0; i < 300; i++) greedy.send(`SUBSCRIBE\nid:${i}\ndestination:/topic/x/${i}\n\n\0`);
  await settle();
  t.match(greedy.last(), { command: 'ERROR', headers: { message: 'too many subscriptions' } });
  t.match(greedy.last()?.body, /at most 256/);
  t.ok(greedy.closed);
});
