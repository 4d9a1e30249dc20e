// Issue #17 item 16, on a whole app: requests are debug lines, and a FreeSWITCH node that is not there is told
// once (not "event socket lost" at every retry, before it ever connected), then once more when it comes.
import { connect, createServer, type Socket } from 'node:net';
import t from 'tap';
import { loggerOptions } from '../../src/app.js';
import { testConfig } from '../../src/config.js';
import { startEmulator } from '../freeswitch-emulator/index.js';
import { startTestApp } from '../support/app.js';

const capture = (level: string) => {
  const lines: { level: number; msg: string }[] = [];
  const stream = { write: (l: string) => void lines.push(JSON.parse(l) as { level: number; msg: string }) };
  return { lines, logger: { ...loggerOptions(testConfig()), level, stream } };
};

t.test('requests are logged at debug, not at info', async (t) => {
  const info = capture('info');
  const a = await startTestApp({}, { logger: info.logger });
  t.teardown(a.close);
  await a.app.http.inject({ method: 'GET', url: '/health' });
  t.same(
    info.lines.filter((l) => /request/.test(l.msg)),
    [],
    'no request line at info',
  );
  const debug = capture('debug');
  const b = await startTestApp({}, { logger: debug.logger });
  t.teardown(b.close);
  await b.app.http.inject({ method: 'GET', url: '/health' });
  t.same(
    debug.lines.filter((l) => /request/.test(l.msg)).map((l) => [l.level, l.msg]),
    [
      [20, 'incoming request'],
      [20, 'request completed'],
    ],
  );
});

async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

t.test('an unreachable node gets one warning across its retries, and one line when it is back', async (t) => {
  const port = await closedPort();
  const log = capture('info');
  const ta = await startTestApp(
    { seedNode: { ...testConfig().seedNode, eslPort: port } },
    { logger: log.logger, eslBackoff: { initialMs: 100, maxMs: 100 } },
  );
  t.teardown(ta.close);
  await ta.app.start();
  const attempts = () => ta.app.ctx.metrics.snapshot()['esl.disconnects'] ?? 0;
  for (let i = 0; i < 200 && attempts() < 5; i++) {
    await new Promise((r) => setTimeout(r, 20));
    ta.clock.advance(100);
  }
  t.ok(attempts() >= 5, `${attempts()} failed attempts`);
  const nodeLines = () => log.lines.filter((l) => /FreeSWITCH/.test(l.msg));
  t.same(
    nodeLines().map((l) => [l.level, l.msg]),
    [
      [
        40,
        `FreeSWITCH node local cannot be reached at 127.0.0.1:${port}; retrying in the background (the HTTP API works meanwhile)`,
      ],
    ],
    'one warning, no "lost" before it ever connected',
  );
  // FreeSWITCH arrives at the address the node was given: a relay on that port to the emulator.
  const fs = await startEmulator({ timeScale: 0.01 });
  t.teardown(() => fs.close());
  const piped = new Set<Socket>();
  const relay = createServer((client) => {
    const upstream = connect(fs.port, '127.0.0.1');
    for (const s of [client, upstream]) {
      piped.add(s);
      s.on('error', () => {});
      s.on('close', () => (client.destroy(), upstream.destroy()));
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((r) => relay.listen(port, '127.0.0.1', r));
  t.teardown(() => {
    relay.close();
    for (const s of piped) s.destroy();
  });
  for (let i = 0; i < 200 && !ta.app.nodes.isConnected(1); i++) {
    await new Promise((r) => setTimeout(r, 20));
    ta.clock.advance(100);
  }
  t.ok(ta.app.nodes.isConnected(1));
  t.same(nodeLines().at(-1), {
    ...nodeLines().at(-1),
    level: 30,
    msg: 'FreeSWITCH node local is reachable again',
  });
  t.equal(nodeLines().length, 2, 'and nothing else about the node');
});
