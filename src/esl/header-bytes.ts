// "Name: value" lines read where they arrived: in the bytes of a frame, never decoded into one text first.
//
// A plain event is ~5 KB of headers of which its readers look at a handful; turning every event's bytes into a
// string was a quarter of what the app allocated per attempt in the campaign benchmark (issue 21). Here a lookup
// searches the bytes natively for "\nName:" and decodes only the value found. Values are cut from the bytes as
// strings of their own, so a value kept past its event holds no event text alive.

const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const COLON = 0x3a;

/** "\nName:" per name looked up (a handful of names in practice; capped, should a caller make names up). */
const needles = new Map<string, Buffer>();
const MAX_NEEDLES = 512;

function needleOf(name: string): Buffer {
  let needle = needles.get(name);
  if (needle === undefined) {
    needle = Buffer.from(`\n${name}:`);
    if (needles.size < MAX_NEEDLES) needles.set(name, needle);
  }
  return needle;
}

/**
 * FreeSWITCH URL-encodes event header values; a malformed escape is kept as sent rather than lost. `raw` is a
 * string of its own (cut from bytes), so unlike frame.ts's urlDecode it needs no detaching.
 */
function decodeValue(raw: string): string {
  if (!raw.includes('%')) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/** The value of the line starting at `from` (just past "Name:"), up to the line's end or `limit`. */
function valueAt(bytes: Buffer, from: number, limit: number, decode: boolean): string {
  let v = from;
  while (v < limit && bytes[v] === SPACE) v++;
  let end = bytes.indexOf(LF, v);
  if (end === -1 || end > limit) end = limit;
  if (end > v && bytes[end - 1] === CR) end--;
  const raw = end > v ? bytes.toString('utf8', v, end) : '';
  return decode ? decodeValue(raw) : raw;
}

/**
 * The value of the last "name: value" line of bytes[0, limit), as parseHeaderLines gives it for the same text (the
 * last of a repeated name wins; `decode`: URL-decoded). Searching backwards finds the last line without reading
 * what comes before it.
 */
export function findHeaderValue(
  bytes: Buffer,
  limit: number,
  name: string,
  decode: boolean,
): string | undefined {
  const needle = needleOf(name);
  // A match must end by `limit`; a negative offset would mean "from the end", so it is checked first.
  const last = limit - needle.length;
  const at = last < 0 ? -1 : bytes.lastIndexOf(needle, last);
  if (at !== -1) return valueAt(bytes, at + needle.length, limit, decode);
  return startsWithName(bytes, limit, needle) ? valueAt(bytes, needle.length - 1, limit, decode) : undefined;
}

/** Whether the first line is "name:" (the needle without its leading "\n"). */
function startsWithName(bytes: Buffer, limit: number, needle: Buffer): boolean {
  if (needle.length - 1 > limit) return false;
  for (let i = 1; i < needle.length; i++) if (bytes[i - 1] !== needle[i]) return false;
  return true;
}

/**
 * Parses the "Name: value" lines of bytes[start, end), as parseHeaderLines parses their text. A line without a
 * colon is not a header and is skipped. `keep`: only the names it keeps get a value (the others' values are never
 * decoded). The last of a repeated name wins. The map has no prototype, so `__proto__` is just a name.
 */
export function parseHeaderBytes(
  bytes: Buffer,
  start: number,
  end: number,
  decode: boolean,
  keep?: (name: string) => boolean,
): Record<string, string> {
  const headers = Object.create(null) as Record<string, string>;
  let line = start;
  while (line < end) {
    let stop = bytes.indexOf(LF, line);
    if (stop === -1 || stop > end) stop = end;
    let colon = line;
    while (colon < stop && bytes[colon] !== COLON) colon++;
    if (colon < stop) {
      const name = bytes.toString('utf8', line, colon);
      if (!keep || keep(name)) headers[name] = valueAt(bytes, colon + 1, stop, decode);
    }
    line = stop + 1;
  }
  return headers;
}
