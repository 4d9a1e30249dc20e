// The unit of the ESL wire protocol: a header block, optionally followed by a body of Content-Length bytes.
// Header names keep FreeSWITCH's spelling; lookups are exact (FreeSWITCH itself always sends the same case).

export type Headers = Readonly<Record<string, string>>;

export interface EslFrame {
  readonly headers: Headers;
  /** The body decoded as UTF-8 ('' when the frame has none). */
  readonly body: string;
}

/**
 * A frame as the parser gives it: the body stays the bytes received, decoded as text only if `body` is read. An
 * event's headers are looked up in its bytes (decodeEvent), so a channel event's ~5 KB never become a string.
 */
export class ReceivedFrame implements EslFrame {
  private text: string | undefined;

  constructor(
    readonly headers: Headers,
    /** Bytes of the frame's own (the parser copies a small body out of a large chunk rather than pin the chunk). */
    readonly bytes: Buffer,
  ) {}

  get body(): string {
    return (this.text ??= this.bytes.toString('utf8'));
  }

  toJSON(): EslFrame {
    return { headers: this.headers, body: this.body };
  }
}

/** The Content-Type values FreeSWITCH's mod_event_socket sends to clients. */
export const ContentType = {
  authRequest: 'auth/request',
  commandReply: 'command/reply',
  apiResponse: 'api/response',
  eventPlain: 'text/event-plain',
  eventJson: 'text/event-json',
  eventXml: 'text/event-xml',
  disconnectNotice: 'text/disconnect-notice',
  rudeRejection: 'text/rude-rejection',
  logData: 'log/data',
} as const;

export function contentType(frame: EslFrame): string {
  return frame.headers['Content-Type'] ?? '';
}

/** A header map without a prototype, so a header called `__proto__` or `constructor` is just data. */
export function emptyHeaders(): Record<string, string> {
  return Object.create(null) as Record<string, string>;
}

/**
 * FreeSWITCH URL-encodes event header values; a malformed escape is kept as sent rather than lost. The value comes
 * back as a string of its own (see `detached`): what is read from an event is often kept past it.
 */
export function urlDecode(value: string): string {
  if (!value.includes('%')) return detached(value);
  try {
    return decodeURIComponent(value);
  } catch {
    return detached(value);
  }
}

/** V8 cuts a slice of this many characters or more as a view into the string it came from. */
const SLICED_MIN_LENGTH = 13;

/**
 * The same characters, holding nothing else alive. V8 represents a slice of 13 characters or more as a view into the
 * whole string it was cut from: a leg's uuid, call id or task code read from the connect reply (a ~9 KB header block)
 * or from an event (~6 KB) kept that whole text alive for as long as the leg kept the value. Every such text outlived
 * the young generation and was promoted: half of the bytes the campaign promoted per attempt (issue 21). Prefixing
 * makes a new string; slicing the prefix off views that new string only, not the event.
 */
function detached(value: string): string {
  return value.length < SLICED_MIN_LENGTH ? value : (' ' + value).slice(1);
}

/**
 * Parses "Name: value" lines. Values are kept raw (the envelope is not URL-encoded; event headers are, and the
 * event decoder decodes them). A line without a colon is not a header and is skipped. `keep`: only the names it
 * keeps are cut from the text (the others are passed over, never copied). The last of a repeated name wins.
 */
export function parseHeaderLines(
  text: string,
  decode: boolean,
  keep?: (name: string) => boolean,
): Record<string, string> {
  const headers = emptyHeaders();
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    const colon = text.indexOf(':', start);
    if (colon !== -1 && colon < end) {
      const name = text.slice(start, colon);
      if (!keep || keep(name)) {
        let v = colon + 1;
        while (text.charCodeAt(v) === 0x20) v++;
        let stop = end;
        if (text.charCodeAt(stop - 1) === 0x0d) stop--;
        const raw = text.slice(v, stop);
        headers[name] = decode ? urlDecode(raw) : raw;
      }
    }
    start = end + 1;
  }
  return headers;
}
