// Who may log in to STOMP (/callcenter/ws): an agent or manager with its extension and SIP password, or a business
// system with an API account and its secret (role 'service'), under the same account rules as a signed request.
// Failures are logged with the login and the address; repeated ones lock that login out for a while and slow its
// address down (LoginThrottle via login-gate.ts), as console Basic logins are.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import type { LoginThrottle } from '../core/login-throttle.js';
import type { Repos } from '../db/repos/index.js';
import type { Principal, SessionInfo } from '../stomp/index.js';
import { accountRefusal, normalizeIp } from './auth.js';
import { passLoginGate } from './login-gate.js';

/** Constant-time comparison of a presented secret with the stored one (no timing hint of how much matched). */
function sameSecret(given: string, stored: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(stored).digest();
  return timingSafeEqual(a, b);
}

interface StompLoginDeps {
  clock: Clock;
  repos: Pick<Repos, 'extensions' | 'accounts'>;
  /** The live project and type of an assigned extension. */
  assigned(username: string): { projectCode: string; type: number } | undefined;
  logins: LoginThrottle;
  log?: { warn(obj: object, msg: string): void };
}

export function stompLogin(deps: StompLoginDeps) {
  return async (
    login: string,
    passcode: string,
    _headers: Record<string, string>,
    info: SessionInfo,
  ): Promise<Principal | { error: string }> => {
    const address = normalizeIp(info.remoteAddress ?? '');
    const locked = await passLoginGate(deps, login, address);
    if (locked) {
      deps.log?.warn({ login: login.slice(0, 64), ip: address }, 'stomp login refused: locked out');
      return { error: locked.message };
    }
    const principal = await check(deps, login, passcode, info);
    if ('error' in principal && principal.wrongSecret) {
      deps.logins.failed(login, address);
      deps.log?.warn(
        { login: login.slice(0, 64), ip: address, transport: info.transport },
        'stomp login failed',
      );
      return { error: principal.error };
    }
    if (!('error' in principal)) deps.logins.succeeded(login);
    return 'error' in principal ? { error: principal.error } : principal;
  };
}

async function check(
  deps: StompLoginDeps,
  login: string,
  passcode: string,
  info: SessionInfo,
): Promise<Principal | { error: string; wrongSecret?: boolean }> {
  const entry = deps.assigned(login);
  const ext = entry && (await deps.repos.extensions.byUsername(login));
  if (entry && ext && sameSecret(passcode, ext.password)) {
    if (ext.workStatus === -1) return { error: `extension ${login} is disabled` };
    return { username: login, projectCode: entry.projectCode, role: entry.type === 3 ? 'manager' : 'agent' };
  }
  const account = await deps.repos.accounts.find(login);
  if (account && sameSecret(passcode, account.secret)) {
    const refused = accountRefusal(account, deps.clock.now(), info.remoteAddress);
    return refused ? { error: refused } : { username: login, projectCode: '*', role: 'service' };
  }
  return { error: 'login or passcode is wrong (use the extension and its SIP password)', wrongSecret: true };
}
