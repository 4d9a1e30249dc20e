// Every password check (console Basic, STOMP CONNECT, a console claim naming an extension and its password) passes
// the same gate first (core/login-throttle.ts): a locked account is refused with when to retry; an address that
// kept failing waits its tarpit delay, then is checked like anyone else.
import type { Clock } from '../core/clock.js';
import { retryAfterSeconds, type LoginThrottle } from '../core/login-throttle.js';

interface LoginGateDeps {
  clock: Clock;
  logins: LoginThrottle;
}

interface LockedOut {
  retryAfterS: number;
  message: string;
}

/** Waits the address's delay; resolves with the refusal when `login`'s account is locked, else undefined. */
export async function passLoginGate(
  deps: LoginGateDeps,
  login: string | undefined,
  address: string,
): Promise<LockedOut | undefined> {
  const gate = deps.logins.gate(login, address);
  if (gate.lockedMs > 0) return lockedOut(login, gate.lockedMs);
  if (gate.delayMs === 0) return undefined;
  await new Promise<void>((resolve) => deps.clock.setTimer(gate.delayMs, resolve));
  // Attempts that waited together must not all be checked once the account got locked meanwhile: a client
  // sending many at once would otherwise get them all past the account's limit.
  const lockedMs = login === undefined ? 0 : deps.logins.accountLockMs(login);
  return lockedMs > 0 ? lockedOut(login, lockedMs) : undefined;
}

function lockedOut(login: string | undefined, ms: number): LockedOut {
  const retryAfterS = retryAfterSeconds(ms);
  const who = login === undefined ? '' : ` for ${login.slice(0, 64)}`;
  return { retryAfterS, message: `too many failed logins${who}; try again in ${retryAfterS} s` };
}
