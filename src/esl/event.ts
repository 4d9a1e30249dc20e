// Turns event frames (text/event-plain, text/event-json) into one shape: {name, subclass?, headers, body?}.
import { ContentType, contentType, emptyHeaders, type EslFrame, type Headers } from './frame.js';
import { lazyHeaders } from './lazy-headers.js';

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
  const headers = lazyHeaders(headerText, true);
  // Only an event with a body has the blank line and so an inner Content-Length: looking up a header that is not
  // there reads the whole text, a few KB for every channel event (issue 21).
  const length = blank === -1 ? Number.NaN : Number.parseInt(headers['Content-Length'] ?? '', 10);
  const body = blank !== -1 && length >= 0 ? takeBytes(text.slice(blank + 2), length) : undefined;
  return make(headers, body);
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
