// Turns event frames (text/event-plain, text/event-json) into one shape: {name, subclass?, headers, body?}.
import {
  ContentType,
  contentType,
  emptyHeaders,
  parseHeaderLines,
  urlDecode,
  type EslFrame,
  type Headers,
} from './frame.js';

export interface EslEvent {
  /** Event-Name, e.g. CHANNEL_ANSWER, BACKGROUND_JOB, CUSTOM. */
  readonly name: string;
  /** Event-Subclass of CUSTOM events, e.g. sofia::register (decoded). */
  readonly subclass?: string;
  /**
   * All event headers, values URL-decoded. For plain events they are parsed as they are read (see lazyHeaders):
   * read the ones you need; enumerating them parses them all.
   */
  readonly headers: Headers;
  /** The event's own body: BACKGROUND_JOB's result, a MESSAGE's text. */
  readonly body?: string;
}

export function isEventFrame(frame: EslFrame): boolean {
  const type = contentType(frame);
  return type === ContentType.eventPlain || type === ContentType.eventJson;
}

/** Decodes an event frame; undefined when the frame is not a (well-formed) plain or json event. */
export function decodeEvent(frame: EslFrame): EslEvent | undefined {
  const type = contentType(frame);
  if (type === ContentType.eventPlain) return decodePlain(frame.body);
  if (type === ContentType.eventJson) return decodeJson(frame.body);
  return undefined;
}

// A plain event is itself a header block (values URL-encoded by switch_event_serialize); an event with a body
// (BACKGROUND_JOB) carries an inner Content-Length, a blank line, then that many bytes.
function decodePlain(text: string): EslEvent | undefined {
  const blank = text.indexOf('\n\n');
  const headerText = blank === -1 ? text : text.slice(0, blank);
  const headers = lazyHeaders(headerText);
  const length = Number.parseInt(headers['Content-Length'] ?? '', 10);
  const body = blank !== -1 && length >= 0 ? takeBytes(text.slice(blank + 2), length) : undefined;
  return make(headers, body);
}

/**
 * A plain event's headers, found in its text when read. A leg's socket receives every event of its channel with
 * ~200 headers each, and the readers (the connection, the call runner) look at a handful: parsing and URL-decoding
 * all of them was a tenth of the app's CPU in the campaign benchmark (issue 13). Enumerating (spread,
 * Object.entries, `JSON.stringify`) or writing parses them all once; lookups then read that.
 */
function lazyHeaders(text: string): Record<string, string> {
  const target = emptyHeaders();
  return new Proxy<Record<string, string>>(target, new LazyHeaders(text, target));
}

/**
 * The Proxy's handler: one object per event whose traps are its class's methods, rather than a handler of seven
 * closures per event (every event of every leg was paying for them: issue 21, allocation per attempt).
 */
class LazyHeaders implements ProxyHandler<Record<string, string>> {
  private parsed = false;

  constructor(
    private readonly text: string,
    private readonly target: Record<string, string>,
  ) {}

  get(_: object, name: string | symbol): string | undefined {
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
      Object.assign(target, parseHeaderLines(this.text, true));
      this.parsed = true;
    }
    return target;
  }

  private lookup(name: string): string | undefined {
    const known = this.target[name];
    if (known !== undefined || this.parsed) return known;
    const found = findHeader(this.text, name);
    if (found !== undefined) this.target[name] = found;
    return found;
  }
}

/** The value of the last "name: value" line, as parseHeaderLines would give it (the last of a repeated name wins). */
function findHeader(text: string, name: string): string | undefined {
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
  return urlDecode(text.slice(v, Math.max(v, end)));
}

// JSON events put the body under `_body`. Array headers (FreeSWITCH's multi-value headers) are rendered as the
// plain format does, "ARRAY::a|:b", so both formats read the same.
function decodeJson(text: string): EslEvent | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const headers = emptyHeaders();
  let body: string | undefined;
  for (const [key, value] of Object.entries(parsed)) {
    if (key === '_body') body = String(value);
    else if (Array.isArray(value)) headers[key] = `ARRAY::${value.map(String).join('|:')}`;
    else if (value !== null && value !== undefined) headers[key] = String(value);
  }
  return make(headers, body);
}

function make(headers: Record<string, string>, body: string | undefined): EslEvent | undefined {
  const name = headers['Event-Name'];
  if (!name) return undefined;
  // FreeSWITCH gives only CUSTOM events a subclass (switch_event_create_subclass refuses it to any other id), and
  // looking for a header that is not there reads the whole event's text.
  const subclass = name === 'CUSTOM' ? headers['Event-Subclass'] : undefined;
  return {
    name,
    headers,
    ...(subclass !== undefined ? { subclass } : {}),
    ...(body !== undefined ? { body } : {}),
  };
}

/** The inner Content-Length counts bytes; cut on bytes only when the text is not pure ASCII. */
function takeBytes(text: string, length: number): string {
  if (Buffer.byteLength(text) === text.length) return text.slice(0, length);
  return Buffer.from(text).subarray(0, length).toString('utf8');
}
