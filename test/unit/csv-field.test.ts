// Issue #17 item 5: CSV cells that a spreadsheet would evaluate are made inert (OWASP), phone numbers are not.
import t from 'tap';
import { csvField } from '../../src/api/csv-field.js';

t.test('cells starting with = + - @ tab or CR get a leading quote', async (t) => {
  for (const [raw, out] of [
    ['=cmd|"/c calc"!A0', `"'=cmd|""/c calc""!A0"`],
    ['-1+1480', "'-1+1480"],
    ['+HYPERLINK("http://evil.example","click")', `"'+HYPERLINK(""http://evil.example"",""click"")"`],
    ['@SUM(A1:A9)', "'@SUM(A1:A9)"],
    ['\t=1+1', "'\t=1+1"],
    ['\r=1+1', `"'\r=1+1"`],
    ['+86 138', "'+86 138"],
    ['-', "'-"],
    ['+', "'+"],
  ] as const)
    t.equal(csvField(raw), out, JSON.stringify(raw));
});

t.test('phone numbers, numbers and plain text are written as they are', async (t) => {
  t.equal(csvField('+8613900000000'), '+8613900000000', 'a + and digits only: a phone number, kept');
  t.equal(csvField('13900000000'), '13900000000');
  t.equal(csvField(-5), '-5', 'a number value is a number');
  t.equal(csvField('T1-campaign'), 'T1-campaign', 'a dash inside is harmless');
  t.equal(csvField(null), '');
  t.equal(csvField('a,"b"'), '"a,""b"""');
});
