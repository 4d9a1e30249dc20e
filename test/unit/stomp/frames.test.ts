import t from 'tap';
import { byteLength, encodeFrame, escapeHeader, unescapeHeader } from '../../../src/stomp/frame.js';
import { createFrameParser, type ParseEvent } from '../../../src/stomp/parser.js';

const frames = (events: ParseEvent[]) => events.filter((e) => e.kind === 'frame').map((e) => e.frame);
const bytes = (s: string) => new TextEncoder().encode(s);

t.test(
  'a Chinese multi-line body keeps its bytes: content-length counts UTF-8 bytes, not characters',
  async (t) => {
    const body = '{"data":"置闲成功"}\n第二行\n\nlast';
    const text = encodeFrame({ command: 'MESSAGE', headers: { destination: '/topic/a' }, body });
    t.match(text, `content-length:${Buffer.byteLength(body)}\n`);
    t.not(Buffer.byteLength(body), body.length);
    const [frame] = frames(createFrameParser().push(bytes(text)));
    t.equal(frame.body, body);
    t.equal(byteLength(frame.body), Buffer.byteLength(body));
  },
);

t.test('a body with NUL bytes survives when content-length says how long it is', async (t) => {
  const body = 'a\0b';
  const [frame] = frames(createFrameParser().push(encodeFrame({ command: 'SEND', headers: {}, body })));
  t.equal(frame.body, body);
});

t.test('several frames in one message, and one frame split at every byte, both parse', async (t) => {
  const a = encodeFrame({ command: 'SEND', headers: { destination: '/app/idle' }, body: '中文' });
  const b = 'SUBSCRIBE\nid:1\ndestination:/topic/x\n\n\0';
  t.same(
    frames(createFrameParser().push(a + '\n' + b)).map((f) => f.command),
    ['SEND', 'SUBSCRIBE'],
  );
  const parser = createFrameParser();
  const all = bytes(a + b);
  const got: ParseEvent[] = [];
  for (let i = 0; i < all.length; i++) got.push(...parser.push(all.subarray(i, i + 1)));
  t.same(
    frames(got).map((f) => [f.command, f.body]),
    [
      ['SEND', '中文'],
      ['SUBSCRIBE', ''],
    ],
  );
});

t.test('EOLs between frames are heart-beats, LF and CRLF alike', async (t) => {
  const events = createFrameParser().push('\n\r\n\nDISCONNECT\r\nreceipt:7\r\n\r\n\0\n');
  t.same(
    events.map((e) => e.kind),
    ['heartbeat', 'heartbeat', 'heartbeat', 'frame', 'heartbeat'],
  );
  t.same(frames(events)[0].headers, { receipt: '7' });
});

t.test(
  '1.2 headers are escaped and unescaped (backslash, LF, colon, CR); CONNECT/CONNECTED are not',
  async (t) => {
    const value = 'a:b\\c\nd\re';
    t.equal(escapeHeader(value, '1.2'), 'a\\cb\\\\c\\nd\\re');
    t.equal(unescapeHeader(escapeHeader(value, '1.2'), '1.2'), value);
    t.equal(escapeHeader(value, '1.1'), 'a\\cb\\\\c\\nd e', '1.1 has no CR escape');
    t.equal(unescapeHeader('a\\tb', '1.2'), null, 'undefined escapes are fatal');
    t.equal(unescapeHeader('a\\rb', '1.1'), null);
    const parser = createFrameParser();
    parser.setVersion('1.2');
    const text = encodeFrame({ command: 'MESSAGE', headers: { x: value }, body: '' }, '1.2');
    t.equal(frames(parser.push(text))[0].headers.x, value);
    t.match(
      encodeFrame({ command: 'CONNECTED', headers: { 'user-name': 'a:b' }, body: '' }),
      'user-name:a:b\n',
    );
    t.equal(frames(parser.push('CONNECT\nlogin:a\\cb\n\n\0'))[0].headers.login, 'a\\cb');
  },
);

t.test('a repeated header keeps its first value', async (t) => {
  t.equal(frames(createFrameParser().push('SEND\nx:1\nx:2\n\n\0'))[0].headers.x, '1');
});

t.test('malformed input is an error event, after which the parser stays silent', async (t) => {
  const cases: Array<[string, RegExp]> = [
    ['send\n\n\0', /command/],
    ['SEND\nnocolon\n\n\0', /header line/],
    ['SEND\ncontent-length:x\n\n\0', /content-length/],
    ['SEND\ncontent-length:1\n\nab\0', /NUL/],
  ];
  for (const [input, why] of cases) {
    const parser = createFrameParser();
    const events = parser.push(input);
    t.equal(events.at(-1)?.kind, 'error', input);
    t.match((events.at(-1) as { message: string }).message, why);
    t.same(parser.push('SEND\n\n\0'), []);
  }
  const small = createFrameParser({ maxHeaderBytes: 16, maxBodyBytes: 4 });
  t.match(small.push('SEND\nlong-header:0123456789\n'), [{ kind: 'error', message: /headers too large/ }]);
  t.match(createFrameParser({ maxHeaderBytes: 64, maxBodyBytes: 4 }).push('SEND\n\n123456'), [
    { kind: 'error', message: /body too large/ },
  ]);
  t.match(createFrameParser({ maxHeaderBytes: 64, maxBodyBytes: 4 }).push('SEND\ncontent-length:9\n\n'), [
    { kind: 'error', message: /body too large/ },
  ]);
});

t.test('1.0 headers are taken literally and written without line breaks', async (t) => {
  t.equal(escapeHeader('a\nb:c', '1.0'), 'a b:c');
  const parser = createFrameParser();
  parser.setVersion('1.0');
  t.equal(frames(parser.push('SEND\nx:a\\nb\n\n\0'))[0].headers.x, 'a\\nb');
});

t.test(
  'text is decoded as a TextDecoder decodes it: a leading BOM dropped, invalid bytes as U+FFFD',
  async (t) => {
    const decoder = new TextDecoder();
    const cases = [
      Buffer.from([0xef, 0xbb, 0xbf, 0x61, 0x62]),
      Buffer.from([0x61, 0xff, 0x62, 0xc3]),
      Buffer.from([0xe4, 0xb8, 0xad, 0xed, 0xa0, 0x80, 0xf0, 0x9f, 0x98]),
      Buffer.from([0xef, 0xbb]),
    ];
    for (const body of cases) {
      const frame = Buffer.concat([
        Buffer.from(`SEND\ncontent-length:${body.length}\n\n`),
        body,
        Buffer.from('\0'),
      ]);
      const [parsed] = frames(createFrameParser().push(frame));
      t.equal(parsed.body, decoder.decode(body), body.toString('hex'));
    }
  },
);

t.test("an unread tail is the parser's own copy, not a view of the chunk it came in", async (t) => {
  const parser = createFrameParser();
  const chunk = Buffer.from('SEND\ndestination:/app/a\n\nhel');
  t.same(parser.push(chunk), [], 'nothing complete yet');
  // The transport may reuse (or the pool may hand out again) the memory of a chunk once it was pushed.
  chunk.fill(0x78);
  const [frame] = frames(parser.push(Buffer.from('lo\0')));
  t.match(frame, { command: 'SEND', headers: { destination: '/app/a' }, body: 'hello' });
});
