// One CSV field (RFC 4180) that a spreadsheet program opens as the text it is, never as a formula (issue #17).
// OWASP's CSV-injection rule: a cell whose first character is = + - @ tab or CR is read by Excel and LibreOffice as
// a formula (`-1+1480`, `+HYPERLINK("http://x","click")`, `@SUM(...)`, `=cmd|...`), so such a cell gets a leading
// single quote, which makes both programs take the rest as text. One exception: a phone number, a `+` followed by
// digits only (`+8613900000000`), is written as it is. It cannot call a function or refer to a cell (at most a
// spreadsheet reads it as a number), and a quote in front would corrupt the number for every program that reads
// the CSV as data. Values that are numbers (durations, ids) are written as numbers.

const FORMULA_START = /^[=+\-@\t\r]/;
const PHONE_NUMBER = /^\+\d{1,20}$/;

/** The cell's text with a formula-like start made inert (see above). */
function inertCell(text: string): string {
  return FORMULA_START.test(text) && !PHONE_NUMBER.test(text) ? `'${text}` : text;
}

/** One CSV field: empty for null, quoted when it holds a quote, comma or line break. */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'number' ? String(value) : inertCell(String(value));
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
