// The proxies in front of the instances (CC_TRUSTED_PROXIES, issue 20): addresses or networks whose connections
// are believed about the client they carry (src/api/client-address.ts). Parsed once, at start-up, by config.ts.
import { BlockList, isIP } from 'node:net';

const plain = (ip: string): string => (ip.startsWith('::ffff:') ? ip.slice(7) : ip);

export interface TrustedProxies {
  /** Whether the (normalised) address is one of the configured proxies. */
  trusts(address: string): boolean;
  readonly any: boolean;
}

/** Parses `10.0.0.5`, `10.0.0.0/24`, `::1`, `fd00::/8`; throws naming the entry that is neither. */
export function trustedProxies(entries: readonly string[]): TrustedProxies {
  const list = new BlockList();
  for (const entry of entries) {
    const [address, prefix, ...rest] = entry.split('/');
    const family = isIP(address ?? '');
    const bits = prefix === undefined ? undefined : Number(prefix);
    const max = family === 6 ? 128 : 32;
    if (
      !family ||
      rest.length ||
      (bits !== undefined && !(Number.isInteger(bits) && bits >= 0 && bits <= max))
    )
      throw new Error(`CC_TRUSTED_PROXIES: ${JSON.stringify(entry)} is not an address or address/prefix`);
    const type = family === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(address!, type);
    else list.addSubnet(address!, bits, type);
  }
  return {
    any: entries.length > 0,
    trusts(address) {
      const a = plain(address);
      const family = isIP(a);
      return family !== 0 && list.check(a, family === 6 ? 'ipv6' : 'ipv4');
    },
  };
}
