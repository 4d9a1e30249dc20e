// Signed requests (spec 接口基础说明): headers `account`, `timestamp` (ms) and `sign = MD5(account + timestamp +
// secret)`. The comparison is constant-time; stale timestamps are refused so a captured request cannot be replayed
// later than the window. Within the window the spec's sign can be replayed, and on any endpoint (it covers neither
// method, path nor body), so an account may be switched to the stricter mode (signMode 'strict', strict-sign.ts):
// a `nonce` header used once, and an HMAC over method, path, query and body.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { Clock } from '../core/clock.js';
import { forbidden, invalid, unauthorized } from '../core/errors.js';
import type { AccountsRepo, ApiAccount } from '../db/repos/accounts.js';

export const signOf = (account: string, timestamp: string, secret: string): string =>
  createHash('md5')
    .update(account + timestamp + secret, 'utf8')
    .digest('hex');

function header(request: FastifyRequest, name: string): string {
  const v = request.headers[name];
  const value = Array.isArray(v) ? v[0] : v;
  if (value === undefined || value === '') throw unauthorized(`${name} header is required`);
  return value;
}

/** A strict account's request whose signature can be checked only once its body has been read. */
export interface PendingStrictSign {
  account: ApiAccount;
  timestamp: string;
  nonce: string;
  sign: string;
}

export async function verifySignedRequest(
  request: FastifyRequest,
  deps: { accounts: AccountsRepo; clock: Clock; windowMs: number },
): Promise<{ account: ApiAccount; strict?: PendingStrictSign }> {
  const account = header(request, 'account');
  const timestamp = header(request, 'timestamp');
  const sign = header(request, 'sign');
  if (!/^\d{1,16}$/.test(timestamp)) throw invalid('timestamp header must be milliseconds since the epoch');
  const skew = Math.abs(deps.clock.now() - Number(timestamp));
  if (skew > deps.windowMs) {
    // A timestamp in seconds (what most clocks print) is the usual mistake: say so (issue #17).
    const inSeconds = Math.abs(deps.clock.now() - Number(timestamp) * 1000) <= deps.windowMs;
    throw unauthorized(
      `timestamp is outside the allowed window of ±${Math.round(deps.windowMs / 1000)} s` +
        (inSeconds ? '; it looks like seconds, but timestamp is milliseconds since the epoch' : ''),
    );
  }
  const row = await deps.accounts.find(account);
  // The same answer for an unknown account and a wrong sign would hide which accounts exist, but operators
  // debugging an integration need to know which one is wrong; accounts are not secrets, secrets are.
  if (!row) throw unauthorized('account is unknown');
  if (row.signMode === 'strict') {
    if (!/^[0-9a-fA-F]{64}$/.test(sign))
      throw invalid('sign header must be 64 hex characters (HMAC-SHA256; this account signs strictly)');
    const nonce = header(request, 'nonce');
    if (!/^[A-Za-z0-9_-]{16,64}$/.test(nonce))
      throw invalid('nonce header must be 16 to 64 characters of A-Z a-z 0-9 _ -');
    // The account's other rules are checked with the signature, once the body is read (strict-sign.ts).
    return { account: row, strict: { account: row, timestamp, nonce, sign } };
  }
  if (!/^[0-9a-fA-F]{32}$/.test(sign)) throw invalid('sign header must be 32 hex characters (MD5)');
  const expected = Buffer.from(signOf(account, timestamp, row.secret), 'utf8');
  if (!timingSafeEqual(expected, Buffer.from(sign.toLowerCase(), 'utf8')))
    throw unauthorized('sign does not match');
  const refused = accountRefusal(row, deps.clock.now(), request.ip);
  if (refused) throw forbidden(refused);
  return { account: row };
}

/**
 * Why an account whose secret was right may still not be used (disabled, expired, client address not allowed), or
 * null. Every login with an account's secret goes through this: signed HTTP requests and STOMP service logins.
 */
export function accountRefusal(row: ApiAccount, now: number, clientIp: string | undefined): string | null {
  if (row.status !== 1) return 'account is disabled';
  if (row.expiresAt !== null && row.expiresAt <= now) return 'account has expired';
  const allow = row.ipAllowlist
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (allow.length > 0 && !allow.includes(normalizeIp(clientIp ?? '')))
    return `client address ${clientIp ?? 'unknown'} is not allowed for this account`;
  return null;
}

/** The API account each request was authenticated as, once its signature is checked (routes/index.ts). */
const signedAccounts = new WeakMap<FastifyRequest, string>();

export function markSignedBy(request: FastifyRequest, account: string): void {
  signedAccounts.set(request, account);
}

/** The account whose signature this request carries; throws 401 for a request the signed API did not check. */
export function signedAccountOf(request: FastifyRequest): string {
  const account = signedAccounts.get(request);
  if (account === undefined) throw unauthorized('the request is not signed');
  return account;
}

export const normalizeIp = (ip: string): string => (ip.startsWith('::ffff:') ? ip.slice(7) : ip);
