// The wss:// address createProject and getByCertificate hand to softphones (a node's wssUrl). A browser connects
// only when the certificate FreeSWITCH shows there (its wss.pem, installed by scripts/freeswitch/configure.mjs) names
// the address's host, and a page served over HTTPS opens no ws:// at all (mixed content). So the seeded node takes
// its host from that certificate, and every node's address is checked against it at start.
import type { X509Certificate } from 'node:crypto';
import { isIPv6 } from 'node:net';
import { certificateCovers, certificateNames } from '../core/certificates.js';

/** The seeded node's address: the default's scheme and port on the certificate's first name. */
export function seededWssUrl(defaultUrl: string, cert: X509Certificate | undefined): string {
  const name = cert ? certificateNames(cert)[0] : undefined;
  if (!name) return defaultUrl;
  const url = new URL(defaultUrl);
  url.hostname = isIPv6(name) ? `[${name}]` : name;
  return `${url.protocol}//${url.host}${url.pathname === '/' ? '' : url.pathname}`;
}

/** Why agents' browsers would fail on a node's address, one sentence per node at fault (none: all is well). */
export function wssAddressProblems(
  nodes: { name: string; wssUrl: string }[],
  o: { cert?: X509Certificate; https: boolean },
): string[] {
  const problems: string[] = [];
  for (const node of nodes) {
    let url: URL;
    try {
      url = new URL(node.wssUrl);
    } catch {
      problems.push(`FreeSWITCH node "${node.name}" hands softphones "${node.wssUrl}", which is not a URL`);
      continue;
    }
    if (url.protocol !== 'wss:') {
      if (o.https)
        problems.push(
          `FreeSWITCH node "${node.name}" hands softphones ${node.wssUrl}: a page served over HTTPS cannot open ws:// (mixed content); give it a wss:// address`,
        );
      continue;
    }
    if (o.cert && !certificateCovers(o.cert, url.hostname))
      problems.push(
        `FreeSWITCH node "${node.name}" hands softphones ${node.wssUrl}, but the WSS certificate names only ${certificateNames(o.cert).join(', ')}: browsers will refuse it; change the node's address (npm run cli -- node wss ${node.name} wss://<name>:<port>) or the certificate`,
      );
  }
  return problems;
}
