import { createSocket, type Socket } from 'node:dgram';
import t from 'tap';
import { AudioStreams } from '../../../src/calls/amd/audio-streams.js';
import { unicastHeaders } from '../../../src/switch/fs-commands.js';

// FreeSWITCH's side is played by UDP sockets bound to the ports the pool hands out (as switch_ivr_activate_unicast
// binds local-ip:local-port), sending 320-byte L16 datagrams as the park loop does.
async function fsSide(port: number): Promise<Socket> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(port, '127.0.0.1', r));
  return s;
}
const datagram = (value: number): Buffer => {
  const b = Buffer.alloc(320);
  for (let i = 0; i < 160; i++) b.writeInt16LE(value, i * 2);
  return b;
};
const send = (s: Socket, bytes: Buffer, port: number) =>
  new Promise<void>((r) => s.send(bytes, port, '127.0.0.1', () => r()));
const settle = () => new Promise((r) => setTimeout(r, 100));

t.test('each leg gets its own FreeSWITCH port, and its datagrams reach only its own analysis', async (t) => {
  const streams = new AudioStreams({
    fsIp: '127.0.0.1',
    fsPorts: [47100, 47101],
    ourIp: '127.0.0.1',
    ourPort: 0,
  });
  const ourPort = await streams.listen();
  t.teardown(() => streams.close());
  const heardA: number[] = [];
  const heardB: number[] = [];
  const a = streams.open((f) => heardA.push(f[0]!));
  const b = streams.open((f) => heardB.push(f[0]!));
  t.ok(a && b);
  t.same(a!.fs, { ip: '127.0.0.1', port: 47100 });
  t.same(b!.fs.port, 47101);
  t.same(a!.us, { ip: '127.0.0.1', port: ourPort });
  t.equal(
    streams.open(() => undefined),
    null,
    'no third stream while two ports are held',
  );
  const fsA = await fsSide(47100);
  const fsB = await fsSide(47101);
  t.teardown(() => (fsA.close(), fsB.close()));
  await send(fsA, datagram(111), ourPort);
  await send(fsB, datagram(222), ourPort);
  await send(fsA, datagram(-5), ourPort);
  await settle();
  t.same(heardA, [111, -5]);
  t.same(heardB, [222]);

  a!.mute();
  await send(fsA, datagram(7), ourPort);
  await settle();
  t.same(heardA, [111, -5], 'a muted stream delivers nothing more');
  t.equal(
    streams.open(() => undefined),
    null,
    'a muted stream still holds its port (FreeSWITCH may still bind it)',
  );

  a!.release();
  await send(fsA, datagram(8), ourPort);
  await settle();
  t.equal(streams.strayDatagrams, 1, 'datagrams from a released port are strays');
  const c = streams.open(() => undefined);
  t.equal(c?.fs.port, 47100, 'a released port is handed out again');
});

t.test('the unicast sendmsg names FreeSWITCH’s port as local and ours as remote, over udp', async (t) => {
  t.same(unicastHeaders({ ip: '10.0.0.2', port: 47100 }, { ip: '10.0.0.9', port: 8090 }), [
    ['call-command', 'unicast'],
    ['local-ip', '10.0.0.2'],
    ['local-port', '47100'],
    ['remote-ip', '10.0.0.9'],
    ['remote-port', '8090'],
    ['transport', 'udp'],
  ]);
});

t.test(
  'a port released just now is the last one handed out again (FreeSWITCH may not have unbound it yet)',
  async (t) => {
    const streams = new AudioStreams({
      fsIp: '127.0.0.1',
      fsPorts: [47200, 47202],
      ourIp: '127.0.0.1',
      ourPort: 0,
    });
    await streams.listen();
    t.teardown(() => streams.close());
    const a = streams.open(() => undefined)!;
    t.equal(a.fs.port, 47200);
    a.release();
    const b = streams.open(() => undefined)!;
    t.equal(b.fs.port, 47201, 'not the port just released');
    const c = streams.open(() => undefined)!;
    t.equal(c.fs.port, 47202);
    t.equal(streams.open(() => undefined)!.fs.port, 47200, 'then round again');
  },
);
