// Header blocks parsed when read: a plain event's headers (URL-encoded) and the envelope of a large header block (the
// outbound socket's connect reply: every channel variable, ~200 headers of which a leg keeps ~15). Both stay the bytes
// they arrived as (header-bytes.ts): a lookup searches them, and only the values read are ever decoded.
import { emptyHeaders, parseHeaderLines, urlDecode } from './frame.js';
import { findHeaderValue } from './header-bytes.js';

/** A lazily parsed block's bytes, for `keptHeaders` (read through the Proxy's get trap). */
const HEADER_BYTES = Symbol('header bytes');

/**
 * The headers of a frame's envelope (raw, as parseHeaderLines(…, false) or the parser's lazy block gives them) that
 * `keep` keeps (all without it), URL-decoded, in a map of their own. Of a lazily parsed block only
 * the kept values are cut from its bytes and decoded; the others are passed over, never copied. The last of a
 * repeated name wins, as parseHeaderLines gives it.
 */
export function keptHeaders(
  headers: Readonly<Record<string, string>>,
  keep?: (name: string) => boolean,
): Record<string, string> {
  const block = (headers as { readonly [HEADER_BYTES]?: LazyHeaders })[HEADER_BYTES];
  // The block's text, once: V8's string search through its ~200 lines is several times faster than walking its bytes
  // in JavaScript (the campaign's profile), and the values read from it are detached (urlDecode).
  if (block !== undefined) return parseHeaderLines(block.text(), true, keep);
  const out = emptyHeaders();
  // for-in, not Object.entries: no [name, value] pair per header (the headers have no prototype).
  for (const name in headers) if (!keep || keep(name)) out[name] = urlDecode(headers[name]!);
  return out;
}

/**
 * A header block found in `bytes[0, limit)` when read. A leg's socket receives every event of its channel with
 * ~200 headers each, and the readers (the connection, the call runner) look at a handful: parsing and URL-decoding
 * all of them was a tenth of the app's CPU in the campaign benchmark (issue 13), and decoding each event's bytes into
 * one text a quarter of its allocation (issue 21). Enumerating (spread, Object.entries, `JSON.stringify`) or writing
 * parses them all once; lookups then read that. `decode`: the values are URL-decoded (an event's) or kept as sent (an
 * envelope's, as parseHeaderLines). `bytes` is kept as long as the headers are, so the caller gives bytes that pin
 * little else (the parser's bytesOwnedBy).
 */
export function lazyHeaders(bytes: Buffer, limit: number, decode: boolean): Record<string, string> {
  const target = emptyHeaders();
  return new Proxy<Record<string, string>>(target, new LazyHeaders(bytes, limit, decode, target));
}

/**
 * The Proxy's handler: one object per event whose traps are its class's methods, rather than a handler of seven
 * closures per event (every event of every leg was paying for them: issue 21, allocation per attempt).
 */
class LazyHeaders implements ProxyHandler<Record<string, string>> {
  private parsed = false;

  constructor(
    readonly bytes: Buffer,
    readonly limit: number,
    private readonly decode: boolean,
    private readonly target: Record<string, string>,
  ) {}

  get(_: object, name: string | symbol): string | LazyHeaders | undefined {
    if (name === HEADER_BYTES) return this;
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
      Object.assign(target, parseHeaderLines(this.text(), this.decode));
      this.parsed = true;
    }
    return target;
  }

  /** The whole block as text: for reading every header, never for a lookup. */
  text(): string {
    return this.bytes.toString('utf8', 0, this.limit);
  }

  private lookup(name: string): string | undefined {
    const known = this.target[name];
    if (known !== undefined || this.parsed) return known;
    const found = findHeaderValue(this.bytes, this.limit, name, this.decode);
    if (found !== undefined) this.target[name] = found;
    return found;
  }
}
