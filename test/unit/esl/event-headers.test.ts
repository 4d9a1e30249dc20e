import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import t from 'tap';
import { EslParser, contentType, decodeEvent, type EslEvent } from '../../../src/esl/index.js';
import { parseHeaderLines } from '../../../src/esl/frame.js';
import { listCaptures, readCapture, receivedBytes } from '../../support/captures.js';
import { searchedFor } from './searched-for.js';

/** What decodeEvent gave before headers were read lazily: every header parsed and URL-decoded. */
function eagerHeaders(body: string): Record<string, string> {
  const blank = body.indexOf('\n\n');
  return parseHeaderLines(blank === -1 ? body : body.slice(0, blank), true);
}

t.test('every header of every captured plain event reads as an eager parse gives it', async (t) => {
  let events = 0;
  let mismatches = 0;
  for (const name of listCaptures())
    for (const frame of new EslParser().push(receivedBytes(readCapture(name)))) {
      if (contentType(frame) !== 'text/event-plain') continue;
      const eager = eagerHeaders(frame.body);
      const looked = decodeEvent(frame)!;
      for (const [header, value] of Object.entries(eager)) if (looked.headers[header] !== value) mismatches++;
      if (looked.headers['No-Such-Header'] !== undefined) mismatches++;
      events++;
    }
  t.ok(events > 100, `${events} plain events`);
  t.equal(mismatches, 0);
});

t.test('a repeated header reads as its last line, as FreeSWITCH repeats Hangup-Cause', async (t) => {
  const body = 'Event-Name: CHANNEL_HANGUP\nHangup-Cause: NONE\nUnique-ID: u1\nHangup-Cause: USER_BUSY\n';
  const e = decodeEvent({ headers: { 'Content-Type': 'text/event-plain' }, body })!;
  t.equal(e.name, 'CHANNEL_HANGUP');
  t.equal(e.headers['Hangup-Cause'], 'USER_BUSY');
  t.ok('Unique-ID' in e.headers);
  t.notOk('Other-Leg-Unique-ID' in e.headers);
});

t.test(
  'decoding a channel event without a body does not search its text for an inner Content-Length (issue 21)',
  async (t) => {
    const body = `Event-Name: CHANNEL_BRIDGE\nUnique-ID: u1\n${'variable_x: y\n'.repeat(300)}`;
    const withBody = 'Event-Name: BACKGROUND_JOB\nJob-UUID: j1\nContent-Length: 3\n\n+OK';
    let bridge: EslEvent | undefined;
    const searched = searchedFor(() => {
      bridge = decodeEvent({ headers: { 'Content-Type': 'text/event-plain' }, body });
      t.equal(bridge?.headers['Unique-ID'], 'u1');
    });
    t.ok(searched.includes('Unique-ID'), 'the spy sees the lookups');
    t.equal(bridge?.name, 'CHANNEL_BRIDGE');
    t.equal(bridge?.body, undefined);
    t.notOk(searched.includes('Content-Length'), 'no search for a header it cannot have');
    const job = decodeEvent({ headers: { 'Content-Type': 'text/event-plain' }, body: withBody })!;
    t.equal(job.body, '+OK', 'an event with a body still reads it by its Content-Length');
  },
);

t.test(
  'spreading the headers gives all of them, in the order of the text, after some were read',
  async (t) => {
    const body = 'Event-Name: DTMF\nUnique-ID: u1\nDTMF-Digit: %23\nCaller-Caller-ID-Name: %E5%BC%A0\n';
    const e = decodeEvent({ headers: { 'Content-Type': 'text/event-plain' }, body })!;
    t.equal(e.headers['DTMF-Digit'], '#');
    t.same(Object.keys({ ...e.headers }), ['Event-Name', 'Unique-ID', 'DTMF-Digit', 'Caller-Caller-ID-Name']);
    t.same({ ...e.headers }, eagerHeaders(body));
    t.equal(JSON.stringify(e.headers), JSON.stringify(eagerHeaders(body)));
  },
);

/** The uuid of an event of ~2 MB, read as a leg reads its channel's (the event itself is dropped). */
function uuidOfLargeEvent(i: number): string {
  const pad = 'x'.repeat(2 * 2 ** 20);
  const body = `Event-Name: CHANNEL_ANSWER\nUnique-ID: 7f4de4c2-0000-4000-8000-00000000000${i}\nVariable_pad: ${pad}\n`;
  return decodeEvent({ headers: { 'Content-Type': 'text/event-plain' }, body })!.headers['Unique-ID']!;
}

t.test('a header value kept after its event does not keep the event text alive (issue 21)', async (t) => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const heap = () => {
    gc();
    return process.memoryUsage().heapUsed;
  };
  const before = heap();
  const kept = Array.from({ length: 10 }, (_, i) => uuidOfLargeEvent(i));
  const grown = heap() - before;
  t.equal(kept[3], '7f4de4c2-0000-4000-8000-000000000003');
  // Kept whole, the ten events would be 20 MiB.
  t.ok(grown < 5 * 2 ** 20, `the heap grew ${(grown / 2 ** 20).toFixed(2)} MiB for ten kept uuids`);
});
