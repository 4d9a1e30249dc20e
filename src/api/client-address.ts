// Who a request comes from when the instances sit behind a proxy (issue 20: one address in front of them, README
// "Running several instances"). Behind HAProxy every connection's peer is the proxy: the login throttle, an API
// account's address allow-list and SockJS's session binding would see one address for all agents, so one agent's
// wrong passwords would tarpit everyone. CC_TRUSTED_PROXIES lists the proxies' addresses (or networks): only a
// connection from one of them is believed about the client (the X-Forwarded-For it appends); from anyone else the
// header is ignored, as without the setting, so a client cannot name its own address.
import { isIP } from 'node:net';
import type { TrustedProxies } from '../core/trusted-proxies.js';
import { normalizeIp } from './auth.js';

/**
 * The client's address: the peer's; when the peer is a trusted proxy, the nearest X-Forwarded-For hop that is not
 * itself a trusted proxy (a proxy appends the address it got the connection from; what a client wrote before it is
 * read only after the trusted hops, so it can never stand for the client).
 */
export function clientAddress(
  peer: string | undefined,
  forwardedFor: string | string[] | undefined,
  proxies: TrustedProxies,
): string {
  let address = normalizeIp(peer ?? '');
  if (!proxies.any || !proxies.trusts(address)) return address;
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : (forwardedFor ?? ''))
    .split(',')
    .map((h) => normalizeIp(h.trim()))
    .filter(Boolean);
  for (let i = hops.length - 1; i >= 0; i--) {
    if (!isIP(hops[i]!)) return address; // not an address: stop at the last one we could believe
    address = hops[i]!;
    if (!proxies.trusts(address)) return address;
  }
  return address;
}
