// Replays the client side of every inbound capture against the emulator and compares what comes back with what
// FreeSWITCH sent: each reply's Content-Type and header names in order, and for every event name both produced,
// the common header block and the relative order of the headers both carry (values such as UUIDs and times differ).
import t from 'tap';
import { listCaptures, readCapture, receivedBytes } from '../support/captures.js';
import { startEmulator } from '../freeswitch-emulator/index.js';
import { TestClient, get, parseFrames } from '../freeswitch-emulator/test-client.js';
import type { Frame } from '../freeswitch-emulator/test-client.js';

/** The lab's SIPp peers, keyed by the numbers the captures dial (README "Peers"). */
const PEERS = {
  '13800000001': { kind: 'busy' },
  '13800000002': { kind: 'no-answer' },
} as const;

/** Captures whose whole event sequence (one leg's events and the API/BACKGROUND_JOB between them) we reproduce. */
const SEQUENCE_CHECKED: Record<string, string> = {
  'inbound-originate-answer-park-kill.txt': '24cd3efb-d95b-424b-90cd-c907aaf62972',
  'inbound-originate-answer-park-kill.json-events.txt': '373587c0-2b72-4fe8-93ce-afad356d099f',
  'inbound-originate-busy-486.txt': 'ad8a48dd-c6d6-4e97-a3c8-f85edc22f9a9',
  'inbound-originate-noanswer-timeout.txt': 'cc0d49ea-bd51-44bf-a85f-54dd233115de',
  'inbound-playback-wav-record-session.txt': '223eeb9a-2644-4b0d-9d35-5fe698d54d21',
};

/** Event names (CHANNEL_STATE / CALLSTATE with their state) of one leg plus switch-wide events, timers left out. */
function legSequence(frames: Frame[], uuid: string): string[] {
  return frames.flatMap((f) => {
    const e = f.event;
    if (!e || ['HEARTBEAT', 'RE_SCHEDULE'].includes(e['Event-Name']!)) return [];
    if (e['Unique-ID'] !== undefined && e['Unique-ID'] !== uuid) return [];
    const name = e['Event-Name']!;
    if (name === 'CHANNEL_STATE') return [`${name}:${e['Channel-State']}`];
    if (name === 'CHANNEL_CALLSTATE') return [`${name}:${e['Channel-Call-State']}`];
    return [name];
  });
}

const isReply = (f: Frame) => ['command/reply', 'api/response'].includes(get(f, 'Content-Type') ?? '');

function capturedFrames(name: string): { replies: Frame[]; events: Map<string, Frame> } {
  const capture = readCapture(name);
  const all = parseFrames(
    Buffer.concat(capture.records.flatMap((r) => (r.kind === 'recv' ? [r.bytes] : []))),
  ).frames;
  const events = new Map<string, Frame>();
  for (const f of all) {
    if (!f.event) continue;
    for (const key of [eventKey(f), eventKey(f, true)]) if (!events.has(key)) events.set(key, f);
  }
  return { replies: all.filter(isReply), events };
}

/** Events are compared with a captured one raised at the same place (CODEC comes from two functions). */
const eventKey = (f: Frame, precise = false) =>
  `${f.event!['Event-Name']}/${f.event!['Event-Subclass'] ?? ''}${precise ? '/' + f.event!['Event-Calling-Function'] : ''}`;

/** The 13 headers from Event-Name on (PRIVATE_COMMAND puts the sendmsg headers before them). */
const commonBlock = (order: string[]) =>
  order.slice(order.indexOf('Event-Name'), order.indexOf('Event-Name') + 13);

const shared = (a: string[], b: string[]) => a.filter((n) => b.includes(n) && !n.startsWith('variable_'));

for (const name of listCaptures().filter(
  (n) => n.startsWith('inbound-') && n !== 'inbound-auth-wrong-password.txt',
)) {
  t.test(`replaying ${name} gives the captured reply and event shapes`, async (t) => {
    const emu = await startEmulator({ timeScale: 0.01, peers: { ...PEERS } });
    emu.register('1000');
    t.teardown(() => emu.close());
    const { replies, events } = capturedFrames(name);
    const client = await TestClient.connect(emu.port);
    await client.next();
    const sends = readCapture(name).records.flatMap((r) =>
      r.kind === 'send' ? [r.bytes.toString('utf8')] : [],
    );
    let index = 0;
    for (const text of sends) {
      // The recorder sent exit once its calls were over.
      if (text.startsWith('exit'))
        await emu.waitFor(() => emu.channels().length === 0, 3000).catch(() => undefined);
      client.send(text);
      const got = await client.next(isReply, 10_000);
      const want = replies[index++];
      const command = text.trim().split('\n')[0];
      t.equal(get(got, 'Content-Type'), want && get(want, 'Content-Type'), `${command}: content type`);
      t.same(
        got.headers.map(([k]) => k),
        want?.headers.map(([k]) => k),
        `${command}: header names`,
      );
      if (get(got, 'Content-Type') === 'command/reply' && !/Job-UUID/.test(get(got, 'Reply-Text') ?? '')) {
        t.equal(get(got, 'Reply-Text'), want && get(want, 'Reply-Text'), `${command}: reply text`);
      }
      if (command === 'exit') break;
      // Let the legs this command started play out (timeScale 0.01) before the next one, as the recorder did.
      await new Promise((r) => setTimeout(r, 60));
    }
    let compared = 0;
    for (const f of client.frames) {
      if (!f.event) continue;
      const want = events.get(eventKey(f, true)) ?? events.get(eventKey(f));
      if (!want?.eventOrder || !f.eventOrder) continue;
      compared++;
      t.same(
        commonBlock(f.eventOrder),
        commonBlock(want.eventOrder),
        `${f.event['Event-Name']}: common block`,
      );
      t.same(
        shared(f.eventOrder, want.eventOrder),
        shared(want.eventOrder, f.eventOrder),
        `${f.event['Event-Name']}: order`,
      );
    }
    t.comment(`${compared} events compared with the capture`);
    const uuid = SEQUENCE_CHECKED[name];
    if (uuid) {
      t.same(
        legSequence(client.frames, uuid),
        legSequence(parseFrames(receivedBytes(readCapture(name))).frames, uuid),
        'event sequence of the leg',
      );
    }
    client.close();
  });
}
