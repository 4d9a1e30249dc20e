import t from 'tap';
import { CsvFirstColumn, DncKeys, MAX_LINE_CHARS } from '../../src/dialer/dnc-import.js';

const csv = '\uFEFFphone,name\r\n13900000001,Li\r\n\r\n"+8613900000002";x\n13900000003\r13900000004\t5\r\n';
const expected = [
  { position: 1, value: 'phone' },
  { position: 2, value: '13900000001' },
  { position: 4, value: '+8613900000002' },
  { position: 5, value: '13900000003' },
  { position: 6, value: '13900000004' },
];

t.test('a CSV split into pieces at any byte gives the same values and line numbers', async (t) => {
  const bytes = Buffer.from(csv, 'utf8');
  for (let cut = 0; cut <= bytes.length; cut++)
    for (const second of [cut, Math.min(bytes.length, cut + 1)]) {
      const lines = new CsvFirstColumn();
      const got = [
        ...lines.push(bytes.subarray(0, cut)),
        ...lines.push(bytes.subarray(cut, second)),
        ...lines.push(bytes.subarray(second)),
        ...lines.end(),
      ];
      if (JSON.stringify(got) !== JSON.stringify(expected))
        t.fail(`cut at ${cut}/${second}: ${JSON.stringify(got)}`);
    }
  t.pass('every split agrees');
  const noFinalNewline = new CsvFirstColumn();
  t.same(
    [...noFinalNewline.push('1\r\n2'), ...noFinalNewline.end()],
    [
      { position: 1, value: '1' },
      { position: 2, value: '2' },
    ],
  );
});

t.test('a line longer than the limit is refused without buffering the rest', async (t) => {
  const lines = new CsvFirstColumn();
  t.throws(() => lines.push('1'.repeat(MAX_LINE_CHARS + 1)), /file: line 1 is longer than 1024/);
  const second = new CsvFirstColumn();
  t.throws(() => second.push(`13900000001\r\n${'9'.repeat(MAX_LINE_CHARS + 5)}\r\n`), /line 2 is longer/);
});

t.test('keys: a header is skipped, a bad value named, duplicates and a leading + merged', async (t) => {
  const keys = new DncKeys();
  await keys.addAll(expected);
  await keys.addAll([{ position: 7, value: '13900000001' }]);
  t.same(keys.done().sort(), ['13900000001', '13900000003', '13900000004', '8613900000002']);
  const bad = new DncKeys();
  // Grouping (spaces, dashes) is normalised away since issue 17.15; a letter inside the number is not.
  await t.rejects(bad.addAll([{ position: 3, value: '139-0000-O001' }]), {
    http: 400,
    message: /value 3 \("139-0000-O001"\) is not a phone number/,
  });
  const grouped = new DncKeys();
  await grouped.addAll([{ position: 1, value: '+86 139 0000 0005' }]);
  t.same(grouped.done(), ['8613900000005'], 'a grouped number is listed by its digits');
  t.throws(() => new DncKeys().done(), { message: /at least one phone number/ });
});
