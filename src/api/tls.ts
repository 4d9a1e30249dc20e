// Certificates as the operator hands them over in PEM files: the HTTP listener's (CC_TLS_CERT / CC_TLS_KEY, read at
// start and again on SIGHUP by main.ts) and the one FreeSWITCH serves on WSS (CC_FS_WSS_CERT). Reading one is an
// expected failure (a missing file, a key of another certificate, a renewal half copied), so it is a value: at start
// main.ts refuses to run, on SIGHUP it keeps serving the certificate it has.
import { createPrivateKey, type X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Server as TlsServer } from 'node:tls';
import { certificateNames, parseCertificate } from '../core/certificates.js';

interface TlsIdentity {
  /** The certificate file as read (leaf first, then any chain), handed to node's TLS as is. */
  cert: string;
  key: string;
  /** DNS names then IP addresses the certificate covers (subjectAltName; its CN when it has none). */
  names: string[];
  validTo: Date;
}

type TlsRead = { ok: true; identity: TlsIdentity } | { ok: false; reason: string };

function readPem(file: string, what: string): string | { reason: string } {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    return {
      reason: `${what} ${file} cannot be read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
    };
  }
}

/** The certificate FreeSWITCH serves on WSS (CC_FS_WSS_CERT), read only for its names. */
export function readWssCertificate(
  file: string,
): { ok: true; x509: X509Certificate } | { ok: false; reason: string } {
  const pem = readPem(file, 'CC_FS_WSS_CERT');
  if (typeof pem !== 'string') return { ok: false, reason: pem.reason };
  const x509 = parseCertificate(pem);
  return x509 ? { ok: true, x509 } : { ok: false, reason: `CC_FS_WSS_CERT ${file} holds no PEM certificate` };
}

/** The certificate in `certFile` and the key in `keyFile`, checked to belong together. */
export function readTlsIdentity(files: { certFile: string; keyFile: string }): TlsRead {
  const cert = readPem(files.certFile, 'CC_TLS_CERT');
  if (typeof cert !== 'string') return { ok: false, reason: cert.reason };
  const key = readPem(files.keyFile, 'CC_TLS_KEY');
  if (typeof key !== 'string') return { ok: false, reason: key.reason };
  const x509 = parseCertificate(cert);
  if (!x509) return { ok: false, reason: `CC_TLS_CERT ${files.certFile} holds no PEM certificate` };
  let privateKey;
  try {
    privateKey = createPrivateKey(key);
  } catch {
    return { ok: false, reason: `CC_TLS_KEY ${files.keyFile} holds no PEM private key (or it is encrypted)` };
  }
  if (!x509.checkPrivateKey(privateKey))
    return {
      ok: false,
      reason: `CC_TLS_KEY ${files.keyFile} is not the key of the certificate in CC_TLS_CERT ${files.certFile}`,
    };
  return {
    ok: true,
    identity: { cert, key, names: certificateNames(x509), validTo: new Date(x509.validTo) },
  };
}

/**
 * SIGHUP: reads the files again and gives the listener the new pair for every connection made from now on (node's
 * setSecureContext); open connections (agents' STOMP sessions) keep theirs. A bad pair changes nothing.
 */
export function reloadTls(server: unknown, files: { certFile: string; keyFile: string }): TlsRead {
  const read = readTlsIdentity(files);
  if (!read.ok) return read;
  if (!(server instanceof TlsServer))
    return {
      ok: false,
      reason: 'the HTTP listener was started without TLS; restart the server to turn it on',
    };
  server.setSecureContext({ cert: read.identity.cert, key: read.identity.key });
  return read;
}
