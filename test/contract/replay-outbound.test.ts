// Replays the client side of every outbound capture: the emulator connects to us as FreeSWITCH's socket app did,
// we send what the recorder sent, and compare the frames: replies, notices, the connect reply's header order, the
// sequence of event names, and each event's header order (values such as UUIDs and times differ).
import { createServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import t from 'tap';
import { listCaptures, readCapture, receivedBytes } from '../support/captures.js';
import { startEmulator } from '../freeswitch-emulator/index.js';
import type { Emulator } from '../freeswitch-emulator/index.js';
import { TestClient, get, parseFrames } from '../freeswitch-emulator/test-client.js';
import type { Frame } from '../freeswitch-emulator/test-client.js';

/** How each capture's call reached the socket (README "Outbound mode"), redone on the emulator. */
function placeCall(name: string, emu: Emulator, port: number): void {
  if (name.includes('uac-4001')) emu.inboundCall('13700000000', '4001');
  else if (name.includes('caller-hangs-up')) {
    // The UAC sent BYE while the 10 s tone played: hang up once the playback runs.
    const uuid = emu.inboundCall('13700000000', '4005');
    void emu
      .waitFor(() => emu.channels().find((c) => c.uuid === uuid && c.application === 'playback'))
      .then((c) => emu.remoteHangup(c.uuid));
  } else if (name.includes('socket_test'))
    void emu.api(
      `originate {origination_caller_id_number=1000}sofia/external/13800000000@127.0.0.1:15090 socket_test XML default`,
    );
  else
    void emu.api(
      `originate {origination_caller_id_number=1000}sofia/external/13800000000@127.0.0.1:15090 '&socket(127.0.0.1:${port} async full)'`,
    );
}

const nonEvent = (f: Frame) => !f.event && get(f, 'Event-Name') !== 'CHANNEL_DATA';
const shape = (f: Frame) => [
  get(f, 'Content-Type'),
  f.headers.map(([k]) => k).join(','),
  get(f, 'Reply-Text') ?? '',
];
const shared = (a: string[], b: string[]) => a.filter((n) => b.includes(n) && !n.startsWith('variable_'));

for (const name of listCaptures().filter((n) => n.startsWith('outbound-'))) {
  t.test(`replaying ${name} gives the captured frames`, async (t) => {
    const sockets = new Set<Socket>();
    let accept: (c: TestClient) => void = () => undefined;
    const accepted = new Promise<TestClient>((resolve) => (accept = resolve));
    const server = createServer((s) => {
      sockets.add(s);
      accept(TestClient.wrap(s));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const emu = await startEmulator({
      timeScale: 0.01,
      dialplanSocket: { host: '127.0.0.1', port },
      peers: { '13900000000': { kind: 'answer', hangupAfterMs: 3000 } },
    });
    t.teardown(async () => {
      await emu.close();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });
    placeCall(name, emu, port);
    const leg = await accepted;
    const capture = readCapture(name);
    for (const r of capture.records) {
      if (r.kind !== 'send') continue;
      const text = r.bytes.toString('utf8');
      leg.send(text);
      const eventUuid = /event-uuid: (\S+)/.exec(text)?.[1];
      if (/^connect/.test(text)) await leg.next((f) => get(f, 'Event-Name') === 'CHANNEL_DATA');
      else await leg.next((f) => nonEvent(f));
      // The recorder waited for each app to finish (or the leg to end) before its next command.
      if (eventUuid) {
        await leg.find(
          (f) =>
            (f.event?.['Event-Name'] === 'CHANNEL_EXECUTE_COMPLETE' &&
              f.event['Application-UUID'] === eventUuid) ||
            get(f, 'Content-Disposition') === 'linger',
        );
      }
      if (/call-command: hangup/.test(text))
        await leg.find((f) => get(f, 'Content-Type') === 'text/disconnect-notice');
    }
    if (!capture.records.some((r) => r.kind === 'send' && r.bytes.toString().startsWith('exit')))
      await leg.waitClosed();
    else await leg.waitClosed();

    const want = parseFrames(receivedBytes(capture)).frames;
    t.same(leg.frames.filter(nonEvent).map(shape), want.filter(nonEvent).map(shape), 'replies and notices');
    const connectGot = leg.frames.find((f) => get(f, 'Event-Name') === 'CHANNEL_DATA')!;
    const connectWant = want.find((f) => get(f, 'Event-Name') === 'CHANNEL_DATA')!;
    const names = (f: Frame) => f.headers.map(([k]) => k);
    t.same(
      shared(names(connectGot), names(connectWant)),
      shared(names(connectWant), names(connectGot)),
      'connect reply order',
    );
    t.same(
      names(connectGot).slice(-4),
      names(connectWant).slice(-4),
      'connect reply ends with the command/reply headers',
    );
    const evName = (f: Frame) => f.event!['Event-Name']!;
    t.same(
      leg.frames.filter((f) => f.event).map(evName),
      want.filter((f) => f.event).map(evName),
      'event sequence',
    );
    for (const f of leg.frames.filter((x) => x.event)) {
      const w = want.find((x) => x.event?.['Event-Name'] === f.event!['Event-Name']);
      if (w)
        t.same(
          shared(f.eventOrder!, w.eventOrder!),
          shared(w.eventOrder!, f.eventOrder!),
          `${evName(f)} header order`,
        );
    }
  });
}
