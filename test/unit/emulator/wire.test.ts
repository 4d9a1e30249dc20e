import t from 'tap';
import { listCaptures, readCapture, receivedBytes } from '../../support/captures.js';
import { CommandReader, jsonEvent, plainEvent } from '../../freeswitch-emulator/wire.js';
import { parseFrames } from '../../freeswitch-emulator/test-client.js';

/** Flat JSON object → pairs, keeping repeated keys (FreeSWITCH writes some twice). */
function jsonPairs(text: string): [string, string][] {
  return [...text.matchAll(/"((?:[^"\\]|\\.)*)":"((?:[^"\\]|\\.)*)"/g)].map(
    (m) => [JSON.parse(`"${m[1]}"`), JSON.parse(`"${m[2]}"`)] as [string, string],
  );
}

/** Plain event body → decoded pairs in order, and the inner body when there is one. */
function plainPairs(body: string): { pairs: [string, string][]; inner?: string } {
  const blank = body.indexOf('\n\n');
  const lines = body.slice(0, blank).split('\n');
  const pairs = lines.map(
    (l) =>
      [l.slice(0, l.indexOf(': ')), decodeURIComponent(l.slice(l.indexOf(': ') + 2))] as [string, string],
  );
  const rest = body.slice(blank + 2);
  if (rest.length > 0) return { pairs: pairs.filter(([k]) => k !== 'Content-Length'), inner: rest };
  return { pairs };
}

t.test('every captured event re-encodes to the exact bytes FreeSWITCH sent', async (t) => {
  let checked = 0;
  for (const name of listCaptures()) {
    const { frames } = parseFrames(receivedBytes(readCapture(name)));
    for (const f of frames) {
      const type = f.headers.find(([k]) => k === 'Content-Type')?.[1];
      const raw = Buffer.concat([
        Buffer.from(f.headers.map(([k, v]) => `${k}: ${v}\n`).join('') + '\n'),
        Buffer.from(f.body),
      ]);
      let mine: Buffer;
      if (type === 'text/event-plain') {
        // COMMAND events carry the sendmsg headers before Event-Name; the encoder does not care about that.
        const { pairs, inner } = plainPairs(f.body);
        mine = plainEvent(pairs, inner);
      } else if (type === 'text/event-json') {
        const pairs = jsonPairs(f.body);
        const body = pairs.find(([k]) => k === '_body')?.[1];
        mine = jsonEvent(
          pairs.filter(([k]) => k !== '_body' && !(body !== undefined && k === 'Content-Length')),
          body,
        );
      } else continue;
      checked++;
      if (!mine.equals(raw)) t.fail(`${name}: ${f.event?.['Event-Name']} differs`);
    }
  }
  t.ok(checked > 500, `${checked} events compared byte for byte`);
});

t.test('the command reader splits commands at the blank line and reads sendmsg bodies', async (t) => {
  const reader = new CommandReader();
  t.same(reader.push(Buffer.from('auth Clue')), []);
  const got = reader.push(
    Buffer.from('Con\n\nsendmsg u\ncall-command: execute\ncontent-length: 3\n\nabcapi version\r\n\r\n'),
  );
  t.same(
    got.map((c) => [c.line, c.body]),
    [
      ['auth ClueCon', ''],
      ['sendmsg u', 'abc'],
      ['api version', ''],
    ],
  );
  t.same(got[1]!.headers, [
    ['call-command', 'execute'],
    ['content-length', '3'],
  ]);
});
