// SockJS framing (https://sockjs.github.io/sockjs-protocol/sockjs-protocol-0.3.3.html): what the server writes is
// `o` (open), `h` (heartbeat), `a[...]` (a JSON array of messages) or `c[code,"reason"]` (close); what the client
// writes is a JSON array of strings (or one JSON string over a raw websocket).

export const OPEN_FRAME = 'o';
export const HEARTBEAT_FRAME = 'h';
/** xhr_streaming starts with 2 KiB of `h` so that old browsers start delivering the response incrementally. */
export const STREAMING_PRELUDE = 'h'.repeat(2048) + '\n';

export function messageFrame(messages: readonly string[]): string {
  return 'a' + JSON.stringify(messages);
}

function closeFrame(code: number, reason: string): string {
  return 'c' + JSON.stringify([code, reason]);
}

export const GO_AWAY = closeFrame(3000, 'Go away!');
export const ANOTHER_CONNECTION = closeFrame(2010, 'Another connection still open');

/** The messages in a client payload, or an error naming what is wrong (answered with HTTP 500 by xhr_send). */
export function decodeClientPayload(text: string): string[] | { error: string } {
  if (text === '') return { error: 'Payload expected.' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { error: 'Broken JSON encoding.' };
  }
  if (typeof parsed === 'string') return [parsed];
  if (Array.isArray(parsed) && parsed.every((m) => typeof m === 'string')) return parsed as string[];
  return { error: 'Broken JSON encoding.' };
}
