// "projectCode is not in the expected format" left the caller guessing (issue #17): a pattern failure says which
// characters are allowed. The routes' patterns are character classes (`^[A-Za-z0-9_-]+$`), which are put into
// words here; the few others have their sentence below, and anything else is shown as the pattern itself.

const KNOWN: Record<string, string> = {
  '^\\+?[0-9]*$': 'digits with an optional leading +',
  '^[A-Za-z0-9.\\-]+(:[0-9]{1,5})?$': 'a host name or IPv4 address with an optional :port',
  '^(?![\\s\\S]*\\$\\{)[^\\u0000-\\u001f\\u007f]*$': 'text without control characters or ${',
};

const RANGES: [string, string][] = [
  ['A-Za-z', 'letters'],
  ['a-zA-Z', 'letters'],
  ['A-Z', 'capital letters'],
  ['a-z', 'small letters'],
  ['0-9', 'digits'],
];

const NAMED_ESCAPES: Record<string, string> = { s: 'whitespace', n: 'line breaks', t: 'tabs' };

/** The members of a character class body (`A-Za-z0-9_-`) as words: ['letters', 'digits', '_', '-']. */
function classMembers(body: string): string[] {
  const out: string[] = [];
  let rest = body;
  while (rest.length > 0) {
    const range = RANGES.find(([r]) => rest.startsWith(r));
    if (range) {
      out.push(range[1]);
      rest = rest.slice(range[0].length);
    } else if (rest.startsWith('\\') && rest.length > 1) {
      out.push(NAMED_ESCAPES[rest[1]!] ?? rest[1]!);
      rest = rest.slice(2);
    } else {
      out.push(rest[0]!);
      rest = rest.slice(1);
    }
  }
  return [...new Set(out)];
}

const list = (words: string[]): string =>
  words.length <= 1 ? (words[0] ?? '') : `${words.slice(0, -1).join(', ')} and ${words.at(-1)!}`;

/** What a value matching `pattern` looks like, as the end of "<field> must be ...". */
export function patternInWords(pattern: string): string {
  const known = KNOWN[pattern];
  if (known) return known;
  const m = /^\^\[(\^?)([^\]]+)\]([+*])\$$/.exec(pattern);
  if (!m) return `text matching ${pattern}`;
  const words = list(classMembers(m[2]!));
  return m[1] ? `text without ${words.replace(/ and /, ' or ')}` : `made of ${words} only`;
}
