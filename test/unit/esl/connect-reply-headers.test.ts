// The outbound socket's connect reply is one header block of every channel variable (~9 KB, ~200 headers), of which a
// leg keeps ~15 (issue 21: what a leg allocates). The parser leaves such a block unparsed until read, and the kept
// headers are cut from its text alone; what a reader sees is what the eager parse gave.
import { types } from 'node:util';
import t from 'tap';
import { EslParser } from '../../../src/esl/index.js';
import { parseHeaderLines } from '../../../src/esl/frame.js';
import { keptHeaders } from '../../../src/esl/lazy-headers.js';

/** A connect reply as mod_event_socket writes it: the envelope, then every channel variable, URL-encoded. */
function connectReply(): string {
  const lines = [
    'Content-Type: command/reply',
    'Reply-Text: +OK',
    'Unique-ID: 4f0c6a1e-0000-4000-8000-000000000001',
  ];
  for (let i = 0; i < 200; i++) lines.push(`variable_filler_${i}: ${'v'.repeat(30)}%20${i}`);
  lines.push('variable_cc_task: T%201', 'Caller-Destination-Number: 13800000000', 'variable_cc_task: T%202');
  return `${lines.join('\n')}\n\n`;
}

const keep = (name: string) => name.startsWith('variable_cc_') || name === 'Unique-ID';

t.test('a connect reply is parsed when read, and reads as the eager parse gave it', async (t) => {
  const text = connectReply();
  const [frame] = new EslParser().push(Buffer.from(text));
  t.ok(frame);
  t.ok(types.isProxy(frame!.headers), 'the ~9 KB block is not parsed up front');
  t.equal(frame!.headers['Content-Type'], 'command/reply');
  t.equal(frame!.headers['variable_cc_task'], 'T%202', 'a lookup: the last of a repeated name, as sent');
  t.same({ ...frame!.headers }, parseHeaderLines(text.slice(0, -2), false), 'enumerating parses them all');
  const [small] = new EslParser().push(Buffer.from('Content-Type: command/reply\nReply-Text: +OK\n\n'));
  t.notOk(types.isProxy(small!.headers), 'a few-line envelope is parsed at once');
});

t.test(
  'the kept headers of a connect reply: decoded, the last of a repeated name, nothing else',
  async (t) => {
    const text = connectReply();
    const want = {
      'Unique-ID': '4f0c6a1e-0000-4000-8000-000000000001',
      variable_cc_task: 'T 2',
    };
    const [lazy] = new EslParser().push(Buffer.from(text));
    t.same({ ...keptHeaders(lazy!.headers, keep) }, want, 'from the unparsed block');
    t.same({ ...keptHeaders(parseHeaderLines(text.slice(0, -2), false), keep) }, want, 'from parsed headers');
    t.equal(Object.keys(keptHeaders(lazy!.headers)).length, 205, 'without a rule, every header');
  },
);
