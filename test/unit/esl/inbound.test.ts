import type { Socket } from 'node:net';
import t from 'tap';
import { FakeClock } from '../../../src/core/clock.js';
import {
  backoffDelay,
  InboundClient,
  type InboundEvents,
  type InboundOptions,
} from '../../../src/esl/index.js';
import { readCapture } from '../../support/captures.js';
import { commandSplitter, firstLine, manualPeer, scriptedServer } from './scripted-peer.js';

const next = <K extends keyof InboundEvents>(client: InboundClient, type: K): Promise<InboundEvents[K]> =>
  new Promise((resolve) => client.once(type, resolve));

const reply = (text: string): string => `Content-Type: command/reply\nReply-Text: ${text}\n\n`;

/** Just enough of FreeSWITCH's inbound socket: greet, check the password, acknowledge, say goodbye. */
function actLikeFreeswitch(socket: Socket): void {
  socket.write('Content-Type: auth/request\n\n');
  socket.on(
    'data',
    commandSplitter((command) => {
      const line = firstLine(command);
      if (line === 'auth ClueCon') socket.write(reply('+OK accepted'));
      else if (line.startsWith('auth ')) socket.end(reply('-ERR invalid'));
      else if (line.startsWith('event ')) socket.write(reply('+OK event listener enabled plain'));
      else if (line.startsWith('filter ')) socket.write(reply('+OK filter added.'));
      else if (line === 'exit') socket.end(reply('+OK bye'));
      else socket.write(reply('-ERR command not found'));
    }),
  );
}

function client(port: number, clock: FakeClock, extra: Partial<InboundOptions> = {}): InboundClient {
  return new InboundClient({
    host: '127.0.0.1',
    port,
    password: 'ClueCon',
    clock,
    random: () => 0.5,
    backoff: { initialMs: 500, maxMs: 3000 },
    ...extra,
  });
}

t.test(
  'given FreeSWITCH drops us, the client returns after backoff and restores events and filters',
  async (t) => {
    const peer = await manualPeer(actLikeFreeswitch);
    const clock = new FakeClock();
    const esl = client(peer.port, clock);
    const events: string[] = [];
    esl.on('event', (e) => events.push(e.name));
    t.same(await esl.api('status'), {
      ok: false,
      error: { kind: 'closed', text: 'not connected to FreeSWITCH' },
    });
    esl.start();
    await next(esl, 'connected');
    t.equal(esl.state, 'connected');
    t.ok((await esl.subscribe('plain', ['CHANNEL_ANSWER', 'CUSTOM', 'sofia::register'])).ok);
    t.ok((await esl.filter('Unique-ID', 'abc')).ok);
    t.ok((await esl.filter('Unique-ID', 'gone')).ok);
    t.ok((await esl.filterDelete('Unique-ID', 'gone')).ok, 'a deleted filter is sent and forgotten');

    const lost = next(esl, 'disconnected');
    (await peer.socket(0)).destroy();
    t.match(await lost, { retryInMs: 500 });
    t.equal(esl.state, 'waiting');
    clock.advance(499);
    t.equal(esl.state, 'waiting', 'not before the backoff is over');
    const back = next(esl, 'connected');
    clock.advance(1);
    t.equal(esl.state, 'connecting');
    await back;
    t.same((await peer.commands(3, 1)).map(firstLine), [
      'auth ClueCon',
      'event plain CHANNEL_ANSWER BACKGROUND_JOB CUSTOM sofia::register',
      'filter Unique-ID abc',
    ]);
    const heartbeat = 'Event-Name: HEARTBEAT\n\n';
    const got = next(esl, 'event');
    (await peer.socket(1)).write(
      `Content-Length: ${heartbeat.length}\nContent-Type: text/event-plain\n\n${heartbeat}`,
    );
    await got;
    t.same(events, ['HEARTBEAT']);
    t.match(esl.counters, { connects: 2, reconnects: 1, authFailures: 0, commandsSent: 8 });
    await esl.stop();
    t.equal(esl.state, 'stopped');
    t.equal(clock.pending(), 0, 'no retry scheduled after stop');
    t.equal(firstLine((await peer.commands(4, 1))[3]!), 'exit');
    await peer.close();
  },
);

t.test('given nobody answers, retries back off exponentially up to the cap', async (t) => {
  const peer = await manualPeer((socket) => socket.destroy());
  const clock = new FakeClock();
  const esl = client(peer.port, clock);
  const delays: number[] = [];
  esl.start();
  for (let i = 0; i < 5; i++) {
    const { retryInMs } = await next(esl, 'disconnected');
    delays.push(retryInMs);
    clock.advance(retryInMs);
  }
  t.same(delays, [500, 1000, 2000, 3000, 3000]);
  t.equal(esl.counters.reconnects, 5);
  await esl.stop();
  await peer.close();
});

t.test('given FreeSWITCH never greets, the handshake gives up after its limit', async (t) => {
  const peer = await manualPeer();
  const clock = new FakeClock();
  const esl = client(peer.port, clock, { handshakeTimeoutMs: 2000 });
  esl.start();
  await peer.socket(0);
  const lost = next(esl, 'disconnected');
  clock.advance(2000);
  t.match(await lost, { reason: 'closed by local' });
  await esl.stop();
  await peer.close();
});

t.test(
  'given a wrong password, the client says auth-failed and retries slowly, never in a storm',
  async (t) => {
    const peer = await scriptedServer(readCapture('inbound-auth-wrong-password.txt'));
    const clock = new FakeClock();
    const esl = client(peer.port, clock, { password: 'WrongPassword', authRetryMs: 30_000 });
    let disconnects = 0;
    esl.on('disconnected', () => disconnects++);
    esl.start();
    t.same(await next(esl, 'auth-failed'), { text: 'invalid', retryInMs: 30_000 });
    t.equal(esl.state, 'waiting');
    clock.advance(29_999);
    t.equal(esl.state, 'waiting');
    t.equal(peer.logs.length, 1, 'one attempt so far');
    const again = next(esl, 'auth-failed');
    clock.advance(1);
    t.same(await again, { text: 'invalid', retryInMs: 60_000 }, 'the wait doubles');
    t.equal(disconnects, 0, 'an auth failure is not reported as a network loss');
    t.match(esl.counters, { authFailures: 2, reconnects: 1, connects: 0 });
    await esl.stop();
    await peer.close();
  },
);

t.test('backoff delays spread ±jitter around the nominal value and never pass the cap', (t) => {
  const policy = { initialMs: 1000, maxMs: 10_000, factor: 2, jitter: 0.2 };
  t.equal(backoffDelay(policy, 0, 0), 800);
  t.equal(backoffDelay(policy, 0, 0.999999), 1200);
  t.equal(backoffDelay(policy, 2, 0.5), 4000);
  t.equal(backoffDelay(policy, 10, 0.999999), 10_000);
  t.end();
});
