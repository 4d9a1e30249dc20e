// The emulator's unicast (unicast.ts) against what the live amd group found on FreeSWITCH 1.11.1: UDP datagrams of
// 320 bytes (20 ms of L16 little-endian at 8 kHz) from local-port to remote-port, carrying what the far end says
// from where it stands since the answer, and nothing more once a playback reset the session.
import { createSocket } from 'node:dgram';
import { createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { startEmulator } from '../../freeswitch-emulator/index.js';
import { TestClient } from '../../freeswitch-emulator/test-client.js';

t.test('unicast streams the peer’s audio as L16 datagrams from local-port, until a playback', async (t) => {
  // 2 s of a ramp the datagrams can be matched against: sample i is i % 30000.
  const audio = Int16Array.from({ length: 16_000 }, (_, i) => i % 30_000);
  const legs: TestClient[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    legs.push(TestClient.wrap(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const emu = await startEmulator({ timeScale: 0.1, peers: { '13800000000': { kind: 'answer', audio } } });
  const probe = createSocket('udp4');
  const got: { at: number; from: number; bytes: Buffer }[] = [];
  probe.on('message', (bytes, r) => got.push({ at: Date.now(), from: r.port, bytes }));
  await new Promise<void>((r) => probe.bind(0, '127.0.0.1', r));
  t.teardown(async () => {
    probe.close();
    await emu.close();
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });
  const inbound = await TestClient.connect(emu.port);
  await inbound.next();
  await inbound.reply('auth ClueCon');
  const port = (server.address() as AddressInfo).port;
  await inbound.reply(
    `bgapi originate {origination_uuid=u-1}sofia/external/13800000000@x '&socket(127.0.0.1:${port} async full)'`,
  );
  await emu.waitFor(() => legs.length === 1);
  const leg = legs[0]!;
  await leg.reply('connect');
  const reply = await leg.reply(
    `sendmsg\ncall-command: unicast\nlocal-ip: 127.0.0.1\nlocal-port: 47311\nremote-ip: 127.0.0.1\nremote-port: ${probe.address().port}\ntransport: tcp`,
  );
  t.equal(reply.headers.find(([k]) => k === 'Reply-Text')?.[1], '+OK');
  await emu.waitFor(() => got.length >= 20);
  t.ok(
    got.every((d) => d.bytes.length === 320 && d.from === 47311),
    'UDP (whatever transport says), 320 bytes, from local-port',
  );
  const first = got[0]!.bytes;
  const a = first.readInt16LE(0);
  t.equal(first.readInt16LE(2), a + 1, 'little-endian samples of the peer’s audio, in order');
  t.equal(got[1]!.bytes.readInt16LE(0), a + 160, 'the next datagram is the next 20 ms');
  await leg.reply(
    'sendmsg\ncall-command: execute\nexecute-app-name: playback\nexecute-app-arg: silence_stream://100',
  );
  await new Promise((r) => setTimeout(r, 100));
  const after = got.length;
  await new Promise((r) => setTimeout(r, 200));
  t.equal(got.length, after, 'a playback ends the stream for good');
});
