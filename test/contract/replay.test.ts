// Replays the client side of every inbound capture against the emulator and compares what comes back with what
// FreeSWITCH sent: each reply's Content-Type and header names in order, and for every event name both produced,
// the common header block and the relative order of the headers both carry (values such as UUIDs and times differ).
import t from 'tap';
import { listCaptures, readCapture } from '../support/captures.js';
import { startEmulator } from '../freeswitch-emulator/index.js';
import { TestClient, get, parseFrames } from '../freeswitch-emulator/test-client.js';
import type { Frame } from '../freeswitch-emulator/test-client.js';

/** The lab's SIPp peers, keyed by the numbers the captures dial (README "Peers"). */
const PEERS = {
  '13800000001': { kind: 'busy' },
  '13800000002': { kind: 'no-answer' },
} as const;

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
        f.eventOrder.slice(0, 13),
        want.eventOrder.slice(0, 13),
        `${f.event['Event-Name']}: common block`,
      );
      t.same(
        shared(f.eventOrder, want.eventOrder),
        shared(want.eventOrder, f.eventOrder),
        `${f.event['Event-Name']}: order`,
      );
    }
    t.comment(`${compared} events compared with the capture`);
    client.close();
  });
}
