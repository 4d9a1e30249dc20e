// Turns event frames (text/event-plain, text/event-json) into one shape: {name, subclass?, headers, body?}.
import {
  ContentType,
  ReceivedFrame,
  contentType,
  emptyHeaders,
  type EslFrame,
  type Headers,
} from './frame.js';
import { findHeaderValue } from './header-bytes.js';
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
  if (type === ContentType.eventPlain)
    return decodePlain(frame instanceof ReceivedFrame ? frame.bytes : Buffer.from(frame.body));
  if (type === ContentType.eventJson) return decodeJson(frame.body);
  return undefined;
}

const BLANK_LINE = Buffer.from('\n\n');
const CONTENT_LENGTH = Buffer.from('Content-Length:');

// A plain event is itself a header block (values URL-encoded by switch_event_serialize), ended by a blank line; an
// event with a body (BACKGROUND_JOB) has Content-Length as its last header, and that many bytes follow the blank line.
// Its headers are looked up in its bytes, never decoded as a whole (lazyHeaders).
function decodePlain(bytes: Buffer): EslEvent | undefined {
  const blank = bytes.indexOf(BLANK_LINE);
  const limit = blank === -1 ? bytes.length : blank;
  const headers = lazyHeaders(bytes, limit, true);
  const bodyAt = blank + 2;
  let body: string | undefined;
  // A channel event ends with its blank line: its (absent) Content-Length is not searched for through its ~5 KB,
  // unless its last line is one (switch_event_serialize writes an empty body as "Content-Length: 0"). So an event
  // ending at its blank line with a Content-Length elsewhere reads as having no body rather than an empty one.
  if (blank !== -1 && (bodyAt < bytes.length || lastLineIs(bytes, limit, CONTENT_LENGTH))) {
    const length = Number.parseInt(findHeaderValue(bytes, limit, 'Content-Length', true) ?? '', 10);
    // The inner Content-Length counts bytes.
    if (length >= 0) body = bytes.toString('utf8', bodyAt, Math.min(bytes.length, bodyAt + length));
  }
  return make(headers, body);
}

/** Whether the last line of bytes[0, limit) starts with `prefix`. */
function lastLineIs(bytes: Buffer, limit: number, prefix: Buffer): boolean {
  // A negative offset would search from the end.
  const from = limit > 0 ? bytes.lastIndexOf(0x0a, limit - 1) + 1 : 0;
  if (limit - from < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[from + i] !== prefix[i]) return false;
  return true;
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
