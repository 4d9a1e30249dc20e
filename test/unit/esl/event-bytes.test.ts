// Plain events are read in the bytes they arrived as (issue 21): a lookup searches the bytes for its header and
// decodes only that value, so a ~5 KB channel event never becomes one string. What a reader sees must be exactly
// what decoding the whole text gave: URL-decoded values, multi-byte UTF-8 however the chunks cut it, the last of a
// repeated name, nothing for an absent one.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import t from 'tap';
import { EslParser, decodeEvent, type EslEvent, type EslFrame } from '../../../src/esl/index.js';
import { keptHeaders } from '../../../src/esl/lazy-headers.js';
import { searchedFor } from './searched-for.js';

/** One plain event as mod_event_socket sends it: envelope, then the event (its headers, ended by a blank line). */
function plainEvent(lines: string[], body?: string): Buffer {
  let event = `${lines.join('\n')}\n`;
  event += body === undefined ? '\n' : `Content-Length: ${Buffer.byteLength(body)}\n\n${body}`;
  const bytes = Buffer.from(event);
  return Buffer.concat([
    Buffer.from(`Content-Length: ${bytes.length}\nContent-Type: text/event-plain\n\n`),
    bytes,
  ]);
}

/** Every frame the bytes hold, pushed `size` bytes at a time. */
function framesOf(bytes: Buffer, size = bytes.length): EslFrame[] {
  const parser = new EslParser();
  const frames: EslFrame[] = [];
  for (let at = 0; at < bytes.length; at += size) frames.push(...parser.push(bytes.subarray(at, at + size)));
  if (parser.buffered !== 0) throw new Error(`${parser.buffered} bytes left half-parsed`);
  return frames;
}

function eventOf(bytes: Buffer, size?: number): EslEvent {
  const [frame] = framesOf(bytes, size);
  return decodeEvent(frame!)!;
}

const NAME = '张三丰';
const lines = [
  'Event-Name: CHANNEL_ANSWER',
  'Unique-ID: 7f4de4c2-0000-4000-8000-000000000001',
  `Caller-Caller-ID-Name: ${encodeURIComponent(NAME)}`,
  `variable_raw_name: ${NAME}`,
  'variable_sip_h_X-Note: a: b%20c: d',
  'variable_percent: 100%',
  'variable_bad_escape: %E5%BC',
  'Hangup-Cause: NONE',
  'variable_x: 1',
  'Hangup-Cause: USER_BUSY',
  'ID: short',
];

t.test('multi-byte values read the same however the chunks cut them', async (t) => {
  const bytes = plainEvent(lines);
  for (const size of [1, 2, 3, 5, 7, 64, bytes.length]) {
    const e = eventOf(bytes, size);
    t.equal(e.name, 'CHANNEL_ANSWER');
    t.equal(e.headers['Caller-Caller-ID-Name'], NAME, `URL-encoded, chunks of ${size}`);
    t.equal(e.headers['variable_raw_name'], NAME, `raw UTF-8, chunks of ${size}`);
  }
});

t.test('a BACKGROUND_JOB body is cut on bytes, multi-byte characters included, across chunks', async (t) => {
  const body = `+OK ${NAME}\n第二行`;
  const bytes = plainEvent(['Event-Name: BACKGROUND_JOB', 'Job-UUID: j1'], body);
  for (const size of [1, 4, bytes.length]) {
    const e = eventOf(bytes, size);
    t.equal(e.body, body);
    t.equal(e.headers['Job-UUID'], 'j1');
  }
  const withJunk = plainEvent(['Event-Name: BACKGROUND_JOB', 'Job-UUID: j1'], `+OK\nJob-UUID: fake\n`);
  const e = eventOf(withJunk);
  t.equal(e.headers['Job-UUID'], 'j1', 'a header line inside the body is not a header');
  t.equal(e.body, '+OK\nJob-UUID: fake\n');
});

t.test('values with ": " and "%", repeated, absent and look-alike names', async (t) => {
  const e = eventOf(plainEvent(lines));
  t.equal(e.headers['variable_sip_h_X-Note'], 'a: b c: d');
  t.equal(e.headers['variable_percent'], '100%', 'a lone % is kept as sent');
  t.equal(e.headers['variable_bad_escape'], '%E5%BC', 'a malformed escape is kept as sent');
  t.equal(e.headers['Hangup-Cause'], 'USER_BUSY', 'the last of a repeated name');
  t.equal(e.headers['ID'], 'short', 'not the end of Unique-ID');
  t.equal(e.headers['Unique'], undefined, 'not the start of Unique-ID');
  t.equal(e.headers['No-Such-Header'], undefined);
  t.notOk('No-Such-Header' in e.headers);
  t.ok('variable_x' in e.headers);
  t.equal(e.headers['Event-Name'], 'CHANNEL_ANSWER', 'the first line');
  t.equal(e.body, undefined, 'a channel event has no body');
  const all = { ...e.headers };
  t.equal(Object.keys(all).length, lines.length - 1, 'enumerating: every name once');
  t.equal(all['Hangup-Cause'], 'USER_BUSY');
  t.equal(all['Caller-Caller-ID-Name'], NAME);
});

t.test('names whose bytes hash alike are still told apart', async (t) => {
  // "Aa" and "BB" have the same 31-based hash: one would be taken for the other if names were matched on it alone.
  for (const order of [
    ['Aa: 1', 'BB: 2'],
    ['BB: 2', 'Aa: 1'],
  ]) {
    const e = eventOf(plainEvent(['Event-Name: DTMF', ...order]));
    t.same({ Aa: e.headers['Aa'], BB: e.headers['BB'] }, { Aa: '1', BB: '2' });
    const all = { ...e.headers };
    t.same([all['Aa'], all['BB']], ['1', '2'], 'enumerated');
  }
});

t.test('a header with an empty value, or a CR before its newline', async (t) => {
  const e = eventOf(
    plainEvent(['Event-Name: DTMF', 'DTMF-Digit: 5\r', 'variable_empty:', 'variable_spaces:   ']),
  );
  t.equal(e.headers['DTMF-Digit'], '5');
  t.equal(e.headers['variable_empty'], '');
  t.equal(e.headers['variable_spaces'], '');
});

t.test('reading a few headers of a channel event never decodes its whole text (issue 21)', async (t) => {
  const filler = Array.from({ length: 150 }, (_, i) => `variable_filler_${i}: ${'v'.repeat(30)}`);
  const bytes = plainEvent([
    'Event-Name: CHANNEL_BRIDGE',
    'Unique-ID: u1',
    ...filler,
    'Other-Leg-Unique-ID: u2',
  ]);
  const decoded: number[] = [];
  const utf8Slice = Buffer.prototype.utf8Slice;
  Buffer.prototype.utf8Slice = function (this: Buffer, start?: number, end?: number) {
    decoded.push((end ?? this.length) - (start ?? 0));
    return utf8Slice.call(this, start, end);
  };
  try {
    const e = eventOf(bytes);
    t.equal(e.name, 'CHANNEL_BRIDGE');
    t.equal(e.headers['Unique-ID'], 'u1');
    t.equal(e.headers['Other-Leg-Unique-ID'], 'u2');
    t.equal(e.headers['Event-Subclass'], undefined);
  } finally {
    Buffer.prototype.utf8Slice = utf8Slice;
  }
  t.ok(bytes.length > 5000);
  t.ok(Math.max(...decoded) < 100, `longest text decoded: ${Math.max(...decoded)} bytes of ${bytes.length}`);
});

t.test('a channel event ended by its blank line is not searched for an inner Content-Length', async (t) => {
  const bytes = plainEvent(['Event-Name: CHANNEL_HANGUP', 'Unique-ID: u1']);
  let e: EslEvent | undefined;
  const needles = searchedFor(() => {
    e = eventOf(bytes);
    t.equal(e.headers['Unique-ID'], 'u1');
  });
  t.equal(e?.body, undefined);
  t.ok(needles.includes('Unique-ID'), 'the spy sees the lookups');
  t.notOk(needles.includes('Content-Length'), 'no search for a header it cannot have');
  const empty = eventOf(plainEvent(['Event-Name: BACKGROUND_JOB', 'Job-UUID: j1'], ''));
  t.equal(empty.body, '', 'an empty body is still a body');
});

t.test('an event completed in the parser buffer survives the frames after it', async (t) => {
  // Chunks that never end on a frame's end: every event completes in the parser's own buffer, which it compacts and
  // writes again as the stream goes on (16 KiB, so ~40 KB of events pass through it several times).
  const filler = Array.from({ length: 60 }, (_, i) => `variable_filler_${i}: ${'v'.repeat(30)}`);
  const uuid = (i: number) => `${String(i).padStart(4, '0')}-${'u'.repeat(36)}`;
  const events = Array.from({ length: 14 }, (_, i) =>
    plainEvent(['Event-Name: CHANNEL_ANSWER', ...filler, `Unique-ID: ${uuid(i)}`, `variable_name: ${NAME}`]),
  );
  const frames = framesOf(Buffer.concat(events), 997);
  const read = frames
    .map((f) => decodeEvent(f)!)
    .map((e) => [e.headers['Unique-ID'], e.headers['variable_name']]);
  t.same(
    read,
    events.map((_, i) => [uuid(i), NAME]),
  );
});

t.test('a large envelope split across chunks keeps its multi-byte values', async (t) => {
  const lines = ['Content-Type: command/reply', 'Reply-Text: +OK', 'Unique-ID: u1'];
  for (let i = 0; i < 60; i++) lines.push(`variable_filler_${i}: ${'v'.repeat(30)}`);
  lines.push(`variable_cc_name: ${encodeURIComponent(NAME)}`, `variable_cc_raw: ${NAME}`);
  const bytes = Buffer.from(`${lines.join('\n')}\n\n`);
  t.ok(bytes.length > 1024, 'parsed when read');
  for (const size of [1, 3, 500, bytes.length]) {
    const [frame] = framesOf(bytes, size);
    t.equal(frame!.headers['Reply-Text'], '+OK');
    t.same(
      { ...keptHeaders(frame!.headers, (name) => name.startsWith('variable_cc_')) },
      { variable_cc_name: NAME, variable_cc_raw: NAME },
    );
  }
});

/** An event read from one socket read holding it and 2 MiB of other frames (a buffer of its own, as a read is). */
function eventFromLargeChunk(i: number): EslEvent {
  const log = Buffer.from(`Content-Type: log/data\nContent-Length: ${2 ** 21}\n\n${'x'.repeat(2 ** 21)}`);
  const event = plainEvent(['Event-Name: CHANNEL_HANGUP', `Unique-ID: u${i}`]);
  const frames = new EslParser().push(Buffer.from(Buffer.concat([event, log])));
  return decodeEvent(frames[0]!)!;
}

/** Bytes of ArrayBuffers alive after collecting: released on a helper thread, so collect, let it run, collect again. */
async function externalAfterGc(): Promise<number> {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return process.memoryUsage().arrayBuffers;
}

t.test('an event kept from a chunk of many does not keep the chunk alive', async (t) => {
  const before = await externalAfterGc();
  const kept = Array.from({ length: 10 }, (_, i) => eventFromLargeChunk(i));
  const grown = (await externalAfterGc()) - before;
  t.equal(kept[3]!.headers['Unique-ID'], 'u3');
  // Pinned, the ten chunks would be 20 MiB.
  t.ok(grown < 2 ** 20, `buffers grew ${(grown / 2 ** 20).toFixed(2)} MiB for ten kept events`);
});

/** A disconnect notice read from one socket read of 30 KB (the notice, then an event): what a session keeps. */
function noticeFromChunk(i: number): EslFrame {
  const text = `Disconnected, goodbye ${i}.\nSee you at ClueCon! http://www.cluecon.com/\n`;
  const notice = Buffer.from(
    `Content-Type: text/disconnect-notice\nController-Session-UUID: u${i}\nContent-Disposition: disconnect\nContent-Length: ${text.length}\n\n${text}`,
  );
  const event = plainEvent([
    'Event-Name: CHANNEL_HANGUP',
    `Unique-ID: u${i}`,
    `variable_pad: ${'p'.repeat(30_000)}`,
  ]);
  const frames = new EslParser().push(Buffer.from(Buffer.concat([notice, event])));
  return frames[0]!;
}

t.test(
  'a frame other than an event is decoded at once, pinning no chunk (a session keeps its notice)',
  async (t) => {
    const before = await externalAfterGc();
    const kept = Array.from({ length: 20 }, (_, i) => noticeFromChunk(i));
    const grown = (await externalAfterGc()) - before;
    t.match(kept[3]!.body, /^Disconnected, goodbye 3\./);
    // Pinned, the twenty chunks would be 600 KB.
    t.ok(grown < 200_000, `buffers grew ${grown} bytes for twenty kept notices`);
  },
);
