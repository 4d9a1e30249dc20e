// The opt-in strict signature (account signMode 'strict'), against replay within the spec's ±5 min window and
// against a signature made for one request being used for another:
//   nonce = 16–64 characters of [A-Za-z0-9_-], never used twice by the account within the window
//   sign  = hex HMAC-SHA256(secret, account \n timestamp \n nonce \n METHOD \n path?query \n hex SHA-256(body))
// `path?query` is the request target exactly as sent; the body is the raw bytes (empty for a GET). It is checked
// in preParsing, after the body is read and before anything parses it. Multipart bodies are refused in this mode.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { Readable } from 'node:stream';
import type { FastifyRequest } from 'fastify';
import type { Clock } from '../core/clock.js';
import { forbidden, invalid, unauthorized } from '../core/errors.js';
import { accountRefusal, type PendingStrictSign } from './auth.js';

export function strictSignOf(
  secret: string,
  r: { account: string; timestamp: string; nonce: string; method: string; target: string; body: Buffer },
): string {
  const bodyHash = createHash('sha256').update(r.body).digest('hex');
  const text = [r.account, r.timestamp, r.nonce, r.method.toUpperCase(), r.target, bodyHash].join('\n');
  return createHmac('sha256', secret).update(text, 'utf8').digest('hex');
}

/** Nonces seen within the window, per account. Expiry order is insertion order (the window is constant). */
export class NonceCache {
  private readonly seen = new Map<string, number>();
  constructor(private readonly windowMs: number) {}

  /** False when the nonce was already used; otherwise remembers it until the window has passed. */
  use(account: string, nonce: string, now: number): boolean {
    for (const [key, expires] of this.seen) {
      if (expires > now) break;
      this.seen.delete(key);
    }
    const key = `${account}\n${nonce}`;
    if (this.seen.has(key)) return false;
    // Twice the window: a timestamp may be up to one window in the past or in the future.
    this.seen.set(key, now + 2 * this.windowMs);
    return true;
  }

  size(): number {
    return this.seen.size;
  }
}

async function readAll(payload: Readable, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of payload) {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    length += b.length;
    // The same answer fastify gives a body over its limit (the envelope handler passes 4xx statuses through).
    if (length > limit)
      throw Object.assign(new Error(`Request body is too large`), {
        statusCode: 413,
        code: 'FST_ERR_CTP_BODY_TOO_LARGE',
      });
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

/** Reads the body, checks the strict signature, nonce and account rules; gives fastify the body back to parse. */
export async function verifyStrictSign(
  request: FastifyRequest,
  payload: Readable,
  pending: PendingStrictSign,
  deps: { clock: Clock; nonces: NonceCache; bodyLimit: number },
): Promise<Readable> {
  // @fastify/multipart reads the request itself, not what this hook hands on, so such a body cannot be both
  // hashed here and parsed there. Strict accounts send numbers as JSON and voices by qiniuStoreKey (the spec's way).
  if (/^multipart\//i.test(String(request.headers['content-type'] ?? '')))
    throw invalid(
      'a strict account cannot send multipart bodies; send numbers as JSON, voices by qiniuStoreKey',
    );
  const body = await readAll(payload, deps.bodyLimit);
  const { account, timestamp, nonce, sign } = pending;
  const expected = Buffer.from(
    strictSignOf(account.secret, {
      account: account.account,
      timestamp,
      nonce,
      method: request.method,
      target: request.raw.url ?? request.url,
      body,
    }),
  );
  if (!timingSafeEqual(expected, Buffer.from(sign.toLowerCase())))
    throw unauthorized(
      'sign does not match (strict: HMAC-SHA256 over account, timestamp, nonce, method, path, body)',
    );
  const refused = accountRefusal(account, deps.clock.now(), request.ip);
  if (refused) throw forbidden(refused);
  if (!deps.nonces.use(account.account, nonce, deps.clock.now()))
    throw unauthorized('nonce was already used; every request needs a new one');
  // fastify reads the length of what a preParsing hook returns from this property.
  return Object.assign(Readable.from([body]), { receivedEncodedLength: body.length });
}
