// The event-socket wire as FreeSWITCH 1.11 writes it (see /work/shared/fixtures/freeswitch/README.md): our own
// encoder and a client-command reader, deliberately independent of the product's src/esl.

export type Headers = [string, string][];

/** A command as a client sends it: the first line, the header lines after it, and an optional body. */
export interface ClientCommand {
  line: string;
  headers: Headers;
  body: string;
}

/**
 * Splits the client's byte stream into commands. A command ends at a blank line; `sendmsg` may carry a
 * `Content-Length` body after it (mod_event_socket reads exactly that many bytes).
 */
export class CommandReader {
  private buffer: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): ClientCommand[] {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    const out: ClientCommand[] = [];
    for (;;) {
      const command = this.next();
      if (!command) return out;
      out.push(command);
    }
  }

  private next(): ClientCommand | undefined {
    const text = this.buffer.toString('latin1');
    const end = findBlankLine(text);
    if (!end) return undefined;
    const lines = text
      .slice(0, end.at)
      .split('\n')
      .map((l) => l.replace(/\r$/, ''));
    const line = lines[0] ?? '';
    const headers: Headers = lines.slice(1).flatMap((l) => {
      const i = l.indexOf(':');
      return i < 0 ? [] : [[l.slice(0, i).trim(), l.slice(i + 1).trim()] as [string, string]];
    });
    const length = Number(headers.find(([k]) => k.toLowerCase() === 'content-length')?.[1] ?? 0);
    const bodyStart = end.at + end.length;
    if (this.buffer.length < bodyStart + length) return undefined;
    const body = this.buffer.subarray(bodyStart, bodyStart + length).toString('utf8');
    this.buffer = this.buffer.subarray(bodyStart + length);
    return { line, headers, body };
  }
}

function findBlankLine(text: string): { at: number; length: number } | undefined {
  const lf = text.indexOf('\n\n');
  const crlf = text.indexOf('\r\n\r\n');
  if (lf < 0 && crlf < 0) return undefined;
  if (crlf >= 0 && (lf < 0 || crlf < lf)) return { at: crlf, length: 4 };
  return { at: lf, length: 2 };
}

export function header(headers: Headers, name: string): string | undefined {
  const lower = name.toLowerCase();
  return headers.find(([k]) => k.toLowerCase() === lower)?.[1];
}

// switch_url_encode leaves letters, digits and most punctuation alone; these are the bytes it escapes
// (the captures show `%3A`, `%20`, `%40`, `%7B`, `%3D`, `%25` while `/ , ( ) .` stay literal).
const UNSAFE = new Set('\r\n "#%&+:;<=>?@[\\]^`{|}'.split(''));

export function urlEncode(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const ch = String.fromCharCode(byte);
    out +=
      byte < 0x20 || byte > 0x7e || UNSAFE.has(ch)
        ? `%${byte.toString(16).toUpperCase().padStart(2, '0')}`
        : ch;
  }
  return out;
}

export function urlDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

const headerBlock = (headers: Headers): string => headers.map(([k, v]) => `${k}: ${v}\n`).join('');

/** `command/reply`: no Content-Length; the reply ends at the blank line. */
export function commandReply(replyText: string, extra: Headers = []): Buffer {
  return Buffer.from(
    headerBlock([['Content-Type', 'command/reply'], ['Reply-Text', replyText], ...extra]) + '\n',
  );
}

/** `api/response` puts Content-Type before Content-Length (events do the opposite). */
export function apiResponse(body: string): Buffer {
  const bytes = Buffer.from(body, 'utf8');
  return Buffer.concat([
    Buffer.from(
      headerBlock([
        ['Content-Type', 'api/response'],
        ['Content-Length', String(bytes.length)],
      ]) + '\n',
    ),
    bytes,
  ]);
}

export const authRequest = (): Buffer => Buffer.from('Content-Type: auth/request\n\n');

export const GOODBYE = 'Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n';

/** Inbound `exit` / bad auth: only Content-Type and Content-Length, no disposition. */
export function inboundDisconnectNotice(): Buffer {
  return Buffer.from(
    headerBlock([
      ['Content-Type', 'text/disconnect-notice'],
      ['Content-Length', String(GOODBYE.length)],
    ]) +
      '\n' +
      GOODBYE,
  );
}

/** Outbound notice after hangup when the client asked to linger (`Linger-Time: -1` for plain `linger`). */
export function lingerNotice(uuid: string, channelName: string, lingerSeconds: number): Buffer {
  return Buffer.from(
    headerBlock([
      ['Content-Type', 'text/disconnect-notice'],
      ['Controlled-Session-UUID', uuid],
      ['Content-Disposition', 'linger'],
      ['Channel-Name', channelName],
      ['Linger-Time', String(lingerSeconds)],
      ['Content-Length', '0'],
    ]) + '\n',
  );
}

/** Outbound final notice: sent on `exit`, after the linger time, or at hangup when not lingering. */
export function outboundDisconnectNotice(uuid: string): Buffer {
  return Buffer.from(
    headerBlock([
      ['Content-Type', 'text/disconnect-notice'],
      ['Controlled-Session-UUID', uuid],
      ['Content-Disposition', 'disconnect'],
      ['Content-Length', String(GOODBYE.length)],
    ]) +
      '\n' +
      GOODBYE,
  );
}

/** An event in `plain` form: values URL-encoded, body (BACKGROUND_JOB) after an inner Content-Length. */
export function plainEvent(headers: Headers, body?: string): Buffer {
  let inner = headers.map(([k, v]) => `${k}: ${urlEncode(v)}\n`).join('');
  if (body !== undefined) inner += `Content-Length: ${Buffer.byteLength(body)}\n\n${body}`;
  else inner += '\n';
  return envelope('text/event-plain', inner);
}

/**
 * An event in `json` form: raw values, the body as `_body` after its Content-Length. Written pair by pair because
 * FreeSWITCH repeats keys that the event holds twice (Hangup-Cause on CHANNEL_HANGUP_COMPLETE), as plain does.
 */
export function jsonEvent(headers: Headers, body?: string): Buffer {
  const pairs: Headers = [...headers];
  if (body !== undefined) pairs.push(['Content-Length', String(Buffer.byteLength(body))], ['_body', body]);
  return envelope(
    'text/event-json',
    '{' + pairs.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',') + '}',
  );
}

function envelope(contentType: string, inner: string): Buffer {
  const bytes = Buffer.from(inner, 'utf8');
  return Buffer.concat([
    Buffer.from(`Content-Length: ${bytes.length}\nContent-Type: ${contentType}\n\n`),
    bytes,
  ]);
}

/** The outbound `connect` reply: channel data then the command/reply headers, all in one block, no body. */
export function connectReply(channelData: Headers): Buffer {
  const all: Headers = [
    ...channelData,
    ['Content-Type', 'command/reply'],
    ['Reply-Text', '+OK\n'],
    ['Socket-Mode', 'async'],
    ['Control', 'full'],
  ];
  return Buffer.from(all.map(([k, v]) => `${k}: ${urlEncode(v)}\n`).join('') + '\n');
}
