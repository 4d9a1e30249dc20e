// Header blocks parsed when read: a plain event's headers (URL-encoded) and the envelope of a large header block (the
// outbound socket's connect reply: every channel variable, ~200 headers of which a leg keeps ~15).
import { emptyHeaders, parseHeaderLines, urlDecode } from './frame.js';

/** A lazily parsed block's whole text, for `keptHeaders` (read through the Proxy's get trap). */
const HEADER_TEXT = Symbol('header text');

/**
 * The headers of a frame's envelope (raw, as parseHeaderLines(…, false) or the parser's lazy block gives them) that
 * `keep` keeps (all without it), URL-decoded, in a map of their own. Of a lazily parsed block only
 * the kept values are cut from its text and decoded; the others are passed over, never copied. The last of a
 * repeated name wins, as parseHeaderLines gives it.
 */
export function keptHeaders(
  headers: Readonly<Record<string, string>>,
  keep?: (name: string) => boolean,
): Record<string, string> {
  const text = (headers as { readonly [HEADER_TEXT]?: string })[HEADER_TEXT];
  if (text !== undefined) return parseHeaderLines(text, true, keep);
  const out = emptyHeaders();
  // for-in, not Object.entries: no [name, value] pair per header (the headers have no prototype).
  for (const name in headers) if (!keep || keep(name)) out[name] = urlDecode(headers[name]!);
  return out;
}

/**
 * A plain event's headers, found in its text when read. A leg's socket receives every event of its channel with
 * ~200 headers each, and the readers (the connection, the call runner) look at a handful: parsing and URL-decoding
 * all of them was a tenth of the app's CPU in the campaign benchmark (issue 13). Enumerating (spread,
 * Object.entries, `JSON.stringify`) or writing parses them all once; lookups then read that. `decode`: the values
 * are URL-decoded (an event's) or kept as sent (an envelope's, as parseHeaderLines).
 */
export function lazyHeaders(text: string, decode: boolean): Record<string, string> {
  const target = emptyHeaders();
  return new Proxy<Record<string, string>>(target, new LazyHeaders(text, decode, target));
}

/**
 * The Proxy's handler: one object per event whose traps are its class's methods, rather than a handler of seven
 * closures per event (every event of every leg was paying for them: issue 21, allocation per attempt).
 */
class LazyHeaders implements ProxyHandler<Record<string, string>> {
  private parsed = false;

  constructor(
    private readonly text: string,
    private readonly decode: boolean,
    private readonly target: Record<string, string>,
  ) {}

  get(_: object, name: string | symbol): string | undefined {
    if (name === HEADER_TEXT) return this.text;
    return typeof name === 'string' ? this.lookup(name) : undefined;
  }

  has(_: object, name: string | symbol): boolean {
    return typeof name === 'string' && this.lookup(name) !== undefined;
  }

  ownKeys(): ArrayLike<string | symbol> {
    return Reflect.ownKeys(this.parseAll());
  }

  getOwnPropertyDescriptor(_: object, name: string | symbol): PropertyDescriptor | undefined {
    return Reflect.getOwnPropertyDescriptor(this.parseAll(), name);
  }

  set(_: object, name: string | symbol, value: unknown): boolean {
    return Reflect.set(this.parseAll(), name, value);
  }

  defineProperty(_: object, name: string | symbol, descriptor: PropertyDescriptor): boolean {
    return Reflect.defineProperty(this.parseAll(), name, descriptor);
  }

  deleteProperty(_: object, name: string | symbol): boolean {
    return Reflect.deleteProperty(this.parseAll(), name);
  }

  private parseAll(): Record<string, string> {
    const { target } = this;
    if (!this.parsed) {
      // In the text's order, as an eager parse would give them (the values looked up so far are the same).
      for (const name of Object.keys(target)) delete target[name];
      Object.assign(target, parseHeaderLines(this.text, this.decode));
      this.parsed = true;
    }
    return target;
  }

  private lookup(name: string): string | undefined {
    const known = this.target[name];
    if (known !== undefined || this.parsed) return known;
    const found = findHeader(this.text, name, this.decode);
    if (found !== undefined) this.target[name] = found;
    return found;
  }
}

/** The value of the last "name: value" line, as parseHeaderLines would give it (the last of a repeated name wins). */
function findHeader(text: string, name: string, decode: boolean): string | undefined {
  // indexOf forward, not lastIndexOf: V8's forward search is several times faster on these ~6 KB texts.
  const needle = `\n${name}:`;
  let start = text.startsWith(name) && text.charCodeAt(name.length) === 0x3a ? 0 : -1;
  for (let at = text.indexOf(needle); at !== -1; at = text.indexOf(needle, at + 1)) start = at + 1;
  if (start === -1) return undefined;
  let v = start + name.length + 1;
  while (text.charCodeAt(v) === 0x20) v++;
  let end = text.indexOf('\n', v);
  if (end === -1) end = text.length;
  if (text.charCodeAt(end - 1) === 0x0d) end--;
  const raw = text.slice(v, Math.max(v, end));
  return decode ? urlDecode(raw) : raw;
}
