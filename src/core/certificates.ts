// What a browser checks of a certificate: the names it covers. Pure functions over node's X509Certificate, shared by
// the HTTPS listener (src/api/tls.ts) and the wss:// address softphones get (src/agents/softphone-address.ts).
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';

/** The first certificate of a PEM text (the leaf of a chain), or undefined. */
export function parseCertificate(pem: string): X509Certificate | undefined {
  try {
    return new X509Certificate(pem);
  } catch {
    return undefined;
  }
}

/** DNS names first (what an operator hands to browsers), then IP addresses; the CN for a certificate without SANs. */
export function certificateNames(x509: X509Certificate): string[] {
  const alt = (x509.subjectAltName ?? '').split(/,\s*/);
  const dns = alt.filter((a) => a.startsWith('DNS:')).map((a) => a.slice(4));
  const ips = alt.filter((a) => a.startsWith('IP Address:')).map((a) => a.slice(11));
  if (dns.length + ips.length > 0) return [...dns, ...ips];
  const cn = /(?:^|\n)CN=([^\n]+)/.exec(x509.subject)?.[1];
  return cn ? [cn] : [];
}

/** Whether a browser connecting to `host` accepts this certificate's names (wildcards as TLS matches them). */
export function certificateCovers(x509: X509Certificate, host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '');
  return isIP(bare) ? x509.checkIP(bare) !== undefined : x509.checkHost(bare) !== undefined;
}
