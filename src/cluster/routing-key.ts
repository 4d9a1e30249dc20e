// STOMP destinations as AMQP topic routing keys (issue 20). A topic exchange splits keys into words at '.', and in
// binding patterns '*' and '#' are wildcards: a username or project code holding one of them must not change which
// words a key has or match more than it names. Each path segment becomes one word, with '%', '.', '*' and '#'
// percent-escaped, so `/topic/status/a.b` is `topic.status.a%2Eb` and a binding for one agent can never match
// another's frames.
import { createHash } from 'node:crypto';

/**
 * The key instance-to-instance messages (bus.ts) go under. No destination's key can be it: '%' only ever appears
 * escaped in those, followed by two hex digits.
 */
export const RPC_ROUTING_KEY = '%rpc';

/** AMQP 0-9-1 caps a routing key at 255 bytes (a short string). */
const MAX_KEY_BYTES = 255;

const ESCAPES: Record<string, string> = { '%': '%25', '.': '%2E', '*': '%2A', '#': '%23' };

const escapeWord = (segment: string): string => segment.replace(/[%.*#]/g, (c) => ESCAPES[c]!);

/**
 * The routing key a destination is published under. Segments are the destination's '/'-separated parts (an empty
 * part stays an empty word, so `/a//b` and `/a/b` differ). A key past 255 bytes becomes `%sha256.<hex digest of
 * the destination>`: still one key per destination, still matched by `#`, and no escaped destination starts with
 * that word ('%' only ever appears escaped, followed by two hex digits).
 */
export function routingKeyOf(destination: string): string {
  const parts = destination.split('/');
  if (parts[0] === '') parts.shift();
  const key = parts.map(escapeWord).join('.');
  if (Buffer.byteLength(key) <= MAX_KEY_BYTES) return key;
  return `%sha256.${createHash('sha256').update(destination).digest('hex')}`;
}
