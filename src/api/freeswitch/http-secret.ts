// The shared secret FreeSWITCH presents on our xml_curl and xml_cdr endpoints (HTTP basic `freeswitch:<secret>`).
// Without one those endpoints would hand any local process every SIP password and take forged CDRs, so a server
// never runs without it: CC_FS_HTTP_SECRET when set, else the secret kept with the data, generated at first start.
// scripts that configure FreeSWITCH read the same file (or the same variable), so nobody copies it by hand.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Where the generated secret lives: `<CC_DATA_DIR>/freeswitch-http-secret` (mode 0600, one line). */
const fsHttpSecretFile = (dataDir: string): string => join(dataDir, 'freeswitch-http-secret');

interface FsHttpSecret {
  secret: string;
  /** 'env': CC_FS_HTTP_SECRET; 'file': read from the data directory; 'generated': written there just now. */
  source: 'env' | 'file' | 'generated';
  file: string;
}

export function ensureFsHttpSecret(configured: string, dataDir: string): FsHttpSecret {
  const file = fsHttpSecretFile(dataDir);
  if (configured) return { secret: configured, source: 'env', file };
  if (existsSync(file)) {
    const secret = readFileSync(file, 'utf8').trim();
    if (secret) return { secret, source: 'file', file };
  }
  // base64url: no character that needs escaping in XML, a URL's userinfo or a shell word.
  const secret = randomBytes(24).toString('base64url');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return { secret, source: 'generated', file };
}
