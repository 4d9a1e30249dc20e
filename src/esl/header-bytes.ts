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
 * Values every frame repeats (the envelope's, an event's name): given as these strings rather than a new one cut
 * per frame (names have their own cache, nameOf). Indexed by byte length.
 */
const KNOWN: (readonly (readonly [Buffer, string])[])[] = [];
for (const text of [
  'text/event-plain',
  'text/event-json',
  'command/reply',
  'api/response',
  'text/disconnect-notice',
  'auth/request',
  'log/data',
  '+OK',
  'BACKGROUND_JOB',
  'CHANNEL_EXECUTE',
  'CHANNEL_EXECUTE_COMPLETE',
  'CHANNEL_ANSWER',
  'CHANNEL_BRIDGE',
  'CHANNEL_UNBRIDGE',
  'CHANNEL_HANGUP',
  'CHANNEL_HANGUP_COMPLETE',
  'NORMAL_CLEARING',
]) {
  const bytes = Buffer.from(text);
  KNOWN[bytes.length] = [...(KNOWN[bytes.length] ?? []), [bytes, text]];
}

/** bytes[start, end) decoded: a known string as itself. */
function textOf(bytes: Buffer, start: number, end: number): string {
  const known = KNOWN[end - start];
  if (known !== undefined)
    next: for (const [want, text] of known) {
      for (let i = 0; i < want.length; i++) if (bytes[start + i] !== want[i]) continue next;
      return text;
    }
  return bytes.toString('utf8', start, end);
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
  const raw = end > v ? textOf(bytes, v, end) : '';
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
 * Header names as strings, by a hash of their bytes: a connect reply names ~200 channel variables and every leg's
 * names the same ones, so each name is cut from the bytes once, not once per leg (direct-mapped, ASCII names only).
 */
const NAME_SLOTS = 4096;
const names: (string | undefined)[] = new Array<string | undefined>(NAME_SLOTS).fill(undefined);

function nameOf(bytes: Buffer, start: number, end: number, hash: number, ascii: boolean): string {
  if (!ascii) return bytes.toString('utf8', start, end);
  const slot = (hash ^ (end - start)) & (NAME_SLOTS - 1);
  const cached = names[slot];
  if (cached !== undefined && cached.length === end - start) {
    let i = 0;
    while (i < cached.length && cached.charCodeAt(i) === bytes[start + i]) i++;
    if (i === cached.length) return cached;
  }
  const name = bytes.toString('latin1', start, end);
  names[slot] = name;
  return name;
}

/**
 * Parses the "Name: value" lines of bytes[start, end), as parseHeaderLines parses their text. A line without a
 * colon is not a header and is skipped. The last of a repeated name wins. The map has no prototype, so `__proto__`
 * is just a name. For a frame's few-line envelope: a long block is parsed from its text (lazy-headers.ts).
 */
export function parseHeaderBytes(
  bytes: Buffer,
  start: number,
  end: number,
  decode: boolean,
): Record<string, string> {
  const headers = Object.create(null) as Record<string, string>;
  let line = start;
  while (line < end) {
    // The name, hashed on the way to its colon (nameOf).
    let colon = line;
    let hash = 0;
    let high = 0;
    for (; colon < end; colon++) {
      const byte = bytes[colon]!;
      if (byte === COLON || byte === LF) break;
      hash = (Math.imul(hash, 31) + byte) | 0;
      high |= byte;
    }
    let stop = colon < end && bytes[colon] === LF ? colon : bytes.indexOf(LF, colon);
    if (stop === -1 || stop > end) stop = end;
    if (colon < stop) {
      headers[nameOf(bytes, line, colon, hash, high < 0x80)] = valueAt(bytes, colon + 1, stop, decode);
    }
    line = stop + 1;
  }
  return headers;
}
