// The outbound socket's limits (issue 17.2): whoever connects cannot hold sockets or memory without end.
import { connect, type Socket } from 'node:net';
import t from 'tap';
import { systemClock } from '../../../src/core/clock.js';
import { OutboundServer, type OutboundServerOptions } from '../../../src/esl/index.js';

async function listen(options: Partial<OutboundServerOptions> = {}) {
  const server = new OutboundServer({
    host: '127.0.0.1',
    port: 0,
    clock: systemClock,
    onSession: () => {},
    ...options,
  });
  const { port } = await server.listen();
  return { server, port };
}

/** A client that connects and records what it is sent and when it is closed. */
function client(port: number): { socket: Socket; got: () => string; closed: Promise<void> } {
  const socket = connect({ host: '127.0.0.1', port });
  let got = '';
  socket.on('data', (d: Buffer) => (got += d.toString()));
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return { socket, got: () => got, closed };
}

const within = <T>(p: Promise<T>, ms: number, what: string): Promise<T> =>
  Promise.race([
    p,
    new Promise<T>((_r, reject) => setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms)),
  ]);

t.test('1,000 sockets that never answer connect are all closed after the handshake timeout', async (t) => {
  const { server, port } = await listen({ connectTimeoutMs: 300, maxConnections: 5000 });
  t.teardown(() => server.close());
  const silent = Array.from({ length: 1000 }, () => client(port));
  await within(Promise.all(silent.map((c) => c.closed)), 15_000, 'every silent socket closed');
  t.ok(
    silent.every((c) => c.got().startsWith('connect\n\n')),
    'each was asked to connect first',
  );
  t.equal(server.counters.handshakeFailures, 1000);
  t.equal(server.counters.active, 0, 'nothing left open');
});

t.test('past maxConnections a new socket is closed at once, before a byte is read or written', async (t) => {
  const { server, port } = await listen({ connectTimeoutMs: 60_000, maxConnections: 5 });
  t.teardown(() => server.close());
  const held = Array.from({ length: 5 }, () => client(port));
  await within(
    new Promise<void>((resolve) => {
      const check = setInterval(() => held.every((c) => c.got()) && (clearInterval(check), resolve()));
    }),
    5000,
    'five sessions up',
  );
  const extra = client(port);
  await within(extra.closed, 5000, 'the sixth closed');
  t.equal(extra.got(), '', 'never asked to connect');
  t.equal(server.counters.refusedFull, 1);
  t.equal(server.counters.active, 5, 'the five stay');
  held[0]!.socket.destroy();
  await held[0]!.closed;
  await within(
    new Promise<void>((resolve) => {
      const check = setInterval(() => server.counters.active === 4 && (clearInterval(check), resolve()));
    }),
    5000,
    'a slot freed',
  );
  const next = client(port);
  await within(
    new Promise<void>((resolve) => next.socket.once('data', () => resolve())),
    5000,
    'a freed slot is taken again',
  );
});

t.test('a peer that admit refuses is closed at once', async (t) => {
  const seen: string[] = [];
  const { server, port } = await listen({ admit: (address) => (seen.push(address), false) });
  t.teardown(() => server.close());
  const c = client(port);
  await within(c.closed, 5000, 'refused peer closed');
  t.equal(c.got(), '');
  t.same(seen, ['127.0.0.1'], 'the address as IPv4');
  t.equal(server.counters.refusedPeer, 1);
  t.equal(server.counters.accepted, 0);
});

t.test('a peer sending header bytes without end is closed once they pass the cap', async (t) => {
  const { server, port } = await listen({ connectTimeoutMs: 60_000 });
  t.teardown(() => server.close());
  const c = client(port);
  const chunk = Buffer.alloc(64 * 1024, 'X');
  let sent = 0;
  // 96 MiB offered; writes stop as soon as the server closes the socket.
  const writing = (async () => {
    while (!c.socket.destroyed && sent < 96 * 1024 * 1024) {
      sent += chunk.length;
      if (!c.socket.write(chunk)) await new Promise((r) => c.socket.once('drain', r).once('close', r));
    }
  })();
  await within(c.closed, 10_000, 'closed');
  await writing;
  t.ok(sent < 8 * 1024 * 1024, `closed after ${sent} bytes were offered`);
  t.equal(server.counters.oversizedFrames, 1);
  t.equal(server.counters.active, 0);
});
