import t from 'tap';
import { EslParser, contentType, decodeEvent, type EslFrame } from '../../../src/esl/index.js';
import { listCaptures, readCapture, receivedBytes } from '../../support/captures.js';

function replay(chunks: Buffer[]): { frames: EslFrame[]; leftover: number } {
  const parser = new EslParser();
  const frames = chunks.flatMap((c) => parser.push(c));
  return { frames, leftover: parser.buffered };
}

function split(bytes: Buffer, sizes: () => number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length;) {
    const n = Math.max(1, sizes());
    out.push(bytes.subarray(i, i + n));
    i += n;
  }
  return out;
}

/** A small seeded generator so "random" chunking is the same on every run. */
function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/**
 * An oracle independent of the parser: how many envelopes of each Content-Type the raw stream holds. A JSON
 * event body has no trailing newline, so the next envelope can start right after its closing brace.
 */
function contentTypeLines(bytes: Buffer): Map<string, number> {
  const counts = new Map<string, number>();
  for (const m of bytes.toString('utf8').matchAll(/(?:^|\})Content-Type: (\S+)$/gm))
    counts.set(m[1]!, (counts.get(m[1]!) ?? 0) + 1);
  return counts;
}

function typeCounts(frames: EslFrame[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const f of frames) counts.set(contentType(f), (counts.get(contentType(f)) ?? 0) + 1);
  return counts;
}

const summary = (f: EslFrame): string => JSON.stringify([f.headers, f.body]);

for (const name of listCaptures()) {
  t.test(`given the capture ${name}, every chunking yields the same complete frames`, (t) => {
    const capture = readCapture(name);
    const original = capture.records.flatMap((r) => (r.kind === 'recv' ? [r.bytes] : []));
    const all = receivedBytes(capture);
    const asCaptured = replay(original);
    const byteByByte = replay(split(all, () => 1));
    const rnd = seeded(name.length * 7919);
    const randomly = replay(split(all, () => Math.floor(rnd() * 3000)));

    t.equal(asCaptured.leftover, 0, 'nothing is left half-parsed');
    t.equal(byteByByte.leftover, 0);
    t.equal(randomly.leftover, 0);
    t.same(
      byteByByte.frames.map(summary),
      asCaptured.frames.map(summary),
      '1-byte chunks give the same frames',
    );
    t.same(
      randomly.frames.map(summary),
      asCaptured.frames.map(summary),
      'random chunks give the same frames',
    );
    t.same(typeCounts(asCaptured.frames), contentTypeLines(all), 'one frame per Content-Type envelope');

    const sends = capture.records.filter((r) => r.kind === 'send').length;
    const replies = asCaptured.frames.filter((f) => /^(command\/reply|api\/response)$/.test(contentType(f)));
    t.equal(replies.length, sends, 'every command got exactly one reply');

    const events = asCaptured.frames.filter((f) => contentType(f).startsWith('text/event-'));
    const decoded = events.map(decodeEvent);
    t.ok(
      decoded.every((e) => e !== undefined && e.name.length > 0),
      `all ${events.length} events decode to a named event`,
    );
    const last = asCaptured.frames[asCaptured.frames.length - 1]!;
    t.equal(contentType(last), 'text/disconnect-notice', 'FreeSWITCH says goodbye before closing');
    if (name.startsWith('inbound-')) t.equal(contentType(asCaptured.frames[0]!), 'auth/request');
    t.end();
  });
}

t.test(
  'given a bgapi originate to a busy peer, the reply names our Job-UUID and the event carries -ERR',
  (t) => {
    const { frames } = replay([receivedBytes(readCapture('inbound-originate-busy-486.txt'))]);
    const reply = frames.find((f) => f.headers['Job-UUID'] !== undefined)!;
    t.match(reply.headers['Reply-Text'], /^\+OK Job-UUID: /);
    const job = frames.map(decodeEvent).find((e) => e?.name === 'BACKGROUND_JOB')!;
    t.equal(job.headers['Job-UUID'], reply.headers['Job-UUID']);
    t.equal(job.body, '-ERR USER_BUSY\n', 'the inner Content-Length body');
    t.match(
      job.headers['Job-Command-Arg'],
      /^\{origination_uuid=.*@127\.0\.0\.1:15092 &park\(\)$/,
      'URL-decoded',
    );
    t.end();
  },
);

t.test(
  'given json events, the body of BACKGROUND_JOB comes from _body and headers are plain strings',
  (t) => {
    const { frames } = replay([
      receivedBytes(readCapture('inbound-originate-answer-park-kill.json-events.txt')),
    ]);
    const events = frames.filter((f) => contentType(f) === 'text/event-json').map(decodeEvent);
    t.ok(events.length > 10);
    const job = events.find((e) => e?.name === 'BACKGROUND_JOB')!;
    t.match(job.body, /^\+OK [0-9a-f-]{36}\n$/);
    t.equal(job.headers['FreeSWITCH-IPv6'], 'fd00::2');
    t.end();
  },
);

t.test('given CUSTOM events, the subclass is decoded', (t) => {
  const { frames } = replay([receivedBytes(readCapture('inbound-conference-two-legs.txt'))]);
  const custom = frames.map(decodeEvent).filter((e) => e?.name === 'CUSTOM');
  t.ok(custom.some((e) => e?.subclass === 'conference::maintenance'));
  t.end();
});

t.test('given the outbound connect reply, it is one header block ending in command/reply', (t) => {
  const { frames } = replay([receivedBytes(readCapture('outbound-socket-dialplan-socket_test-linger3.txt'))]);
  const connect = frames[0]!;
  t.equal(contentType(connect), 'command/reply');
  t.equal(connect.headers['Reply-Text'], '%2BOK%0A', 'still encoded at the framing level');
  t.equal(connect.headers['Event-Name'], 'CHANNEL_DATA');
  t.equal(connect.body, '');
  const linger = frames.find((f) => f.headers['Content-Disposition'] === 'linger')!;
  t.equal(linger.headers['Linger-Time'], '3');
  t.end();
});

t.test('given log lines, they are log/data frames with their text as body', (t) => {
  const { frames } = replay([receivedBytes(readCapture('inbound-event-subscriptions-filters-log.txt'))]);
  const logs = frames.filter((f) => contentType(f) === 'log/data');
  t.ok(logs.length > 3);
  t.match(logs[0]!.body, /\[NOTICE\] switch_channel\.c:\d+ New Channel/);
  t.equal(logs[0]!.headers['Log-Level'], '5');
  t.end();
});

t.test(
  'given a body with multi-byte characters, Content-Length counts bytes, even when split inside one',
  (t) => {
    const body = '坐席 1001 已接通 ✓\n';
    const bytes = Buffer.from(
      `Content-Type: api/response\nContent-Length: ${Buffer.byteLength(body)}\n\n${body}Content-Type: command/reply\nReply-Text: +OK\n\n`,
    );
    const { frames, leftover } = replay(split(bytes, () => 1));
    t.equal(leftover, 0);
    t.equal(frames.length, 2);
    t.equal(frames[0]!.body, body);
    t.equal(frames[1]!.headers['Reply-Text'], '+OK');
    t.end();
  },
);

t.test('given a frame cut in the middle, nothing comes out until the rest arrives', (t) => {
  const parser = new EslParser();
  t.same(parser.push(Buffer.from('Content-Type: api/response\nContent-Length: 4\n\n+O')), []);
  t.equal(parser.buffered, 2);
  const frames = parser.push(Buffer.from('K\n'));
  t.equal(frames.length, 1);
  t.equal(frames[0]!.body, '+OK\n');
  t.end();
});

t.test('given a header named __proto__, it is plain data', (t) => {
  const [frame] = new EslParser().push(Buffer.from('Content-Type: command/reply\n__proto__: x\n\n'));
  t.equal(frame!.headers['__proto__'], 'x');
  t.equal(Object.getPrototypeOf(frame!.headers), null);
  t.end();
});

t.test('given a malformed json or plain event without a name, the decoder says undefined', (t) => {
  t.equal(decodeEvent({ headers: { 'Content-Type': 'text/event-json' }, body: '{oops' }), undefined);
  t.equal(decodeEvent({ headers: { 'Content-Type': 'text/event-json' }, body: '[1]' }), undefined);
  t.equal(decodeEvent({ headers: { 'Content-Type': 'text/event-plain' }, body: 'Foo: bar\n\n' }), undefined);
  t.equal(decodeEvent({ headers: { 'Content-Type': 'command/reply' }, body: '' }), undefined);
  const arr = decodeEvent({
    headers: { 'Content-Type': 'text/event-json' },
    body: '{"Event-Name":"X","Multi":["a","b"],"Gone":null}',
  });
  t.equal(arr?.headers['Multi'], 'ARRAY::a|:b', 'json arrays read like plain ARRAY:: values');
  t.notOk('Gone' in (arr?.headers ?? {}));
  t.equal(
    decodeEvent({ headers: { 'Content-Type': 'text/event-plain' }, body: 'Event-Name: X\nBad: %E0%A4%A\n\n' })
      ?.headers['Bad'],
    '%E0%A4%A',
    'a malformed escape is kept as sent',
  );
  t.end();
});

t.test(
  'a header block that never ends is refused once it passes the cap, not after 96 MiB (issue 17.2)',
  async (t) => {
    const parser = new EslParser();
    const chunk = Buffer.alloc(64 * 1024, 'X');
    let pushed = 0;
    while (!parser.error && pushed < 96 * 1024 * 1024) {
      t.same(parser.push(chunk), []);
      pushed += chunk.length;
    }
    t.match(parser.error, /header block longer than 65536 bytes/);
    t.ok(pushed <= 2 * chunk.length, `refused after ${pushed} bytes`);
    t.equal(parser.buffered, 0, 'what it had is let go');
    t.same(parser.push(Buffer.from('Content-Type: command/reply\n\n')), [], 'and nothing after is framed');
  },
);

t.test('a Content-Length over the body cap is refused at once, before any body arrives', async (t) => {
  const parser = new EslParser({ maxBodyBytes: 1024 });
  const ok = parser.push(Buffer.from('Content-Type: api/response\nContent-Length: 3\n\nabc'));
  t.equal(ok[0]?.body, 'abc', 'a body within the cap');
  t.same(parser.push(Buffer.from('Content-Type: api/response\nContent-Length: 1025\n\n')), []);
  t.match(parser.error, /Content-Length 1025 is over 1024 bytes/);
  const huge = new EslParser();
  huge.push(Buffer.from('Content-Type: api/response\nContent-Length: 99999999999999999999\n\n'));
  t.match(huge.error, /is over/, 'a number too large for a buffer too');
});

t.test('frames within the caps parse as before, however they are cut', async (t) => {
  const parser = new EslParser({ maxHeaderBytes: 64 });
  const frames = [...'Content-Type: command/reply\nReply-Text: +OK\n\n'].flatMap((c) =>
    parser.push(Buffer.from(c)),
  );
  t.equal(frames.length, 1);
  t.equal(parser.error, undefined);
});
