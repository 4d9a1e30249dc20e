// A publish writes its MESSAGE to every WebSocket as one frame built once (ws-frame.ts) instead of ws.send per socket:
// the bytes must be exactly those ws would have written for the same text, at every length encoding.
import t from 'tap';
import * as ws from 'ws';
import { textFrame, textFrameOf } from '../../../src/stomp/transport/ws-frame.js';

interface FrameOptions {
  fin: boolean;
  opcode: number;
  mask: boolean;
  readOnly: boolean;
  rsv1: boolean;
}
/** ws's own framing (not in its type declarations): a header buffer and the data. */
const { Sender } = ws as unknown as { Sender: { frame(data: Buffer, options: FrameOptions): Buffer[] } };
const wsFrame = (payload: Buffer) =>
  Buffer.concat(Sender.frame(payload, { fin: true, opcode: 1, mask: false, readOnly: true, rsv1: false }));

t.test('byte for byte what ws frames, on both sides of each length encoding', async (t) => {
  for (const n of [0, 1, 125, 126, 127, 1000, 65_535, 65_536, 70_000, 1_048_576]) {
    const payload = Buffer.alloc(n, 'a');
    t.same(textFrame(payload), wsFrame(payload), `${n} bytes`);
  }
});

t.test('multi-byte UTF-8 is framed by its byte length, not its characters', async (t) => {
  // 49 characters, 127 bytes: a length in characters would pick the 7-bit encoding and cut the text short.
  const text = 'MESSAGE\n\n' + '中'.repeat(39) + '\0';
  const payload = Buffer.from(text);
  t.equal(payload.length, 127);
  const frame = textFrame(payload);
  t.same(frame, wsFrame(payload));
  t.equal(frame.subarray(4).toString('utf8'), text);
});

t.test('the same payload in a row gets the very same frame; another payload a new one', async (t) => {
  const a = Buffer.from('MESSAGE\n\na\0');
  const b = Buffer.from('MESSAGE\n\na\0');
  const first = textFrame(a);
  t.equal(textFrame(a), first, 'one frame for every socket of a publish');
  const other = textFrame(b);
  t.not(other, first, 'equal bytes in another Buffer are framed again');
  t.same(other, first);
  t.same(textFrame(a), first, 'and the first payload again is still framed right');
});

t.test("a session's own frames, encoded from their text, are what ws frames for the same text", async (t) => {
  for (const n of [0, 1, 125, 126, 65_535, 65_536, 70_000]) {
    const text = 'x'.repeat(n);
    t.same(textFrameOf(text), wsFrame(Buffer.from(text)), `${n} characters`);
  }
  // 54 characters, 126 bytes: the character count would pick the 7-bit length encoding.
  const text = 'ERROR\nmessage:x\n\n' + '中'.repeat(36) + '\0';
  t.equal(Buffer.byteLength(text), 126);
  t.same(textFrameOf(text), wsFrame(Buffer.from(text)));
  t.equal(textFrameOf(text).subarray(4).toString('utf8'), text);
});
