// A secret a server never runs without and FreeSWITCH's configuration derives from: the configured one when set,
// else the one kept in a file with the data, generated at the first start (mode 0600, one line). Our FreeSWITCH
// scripts read the same file (or the same variable), so nobody copies a secret by hand.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface KeptSecret {
  secret: string;
  /** 'env': the setting; 'file': read from the data directory; 'generated': written there just now. */
  source: 'env' | 'file' | 'generated';
  file: string;
}

/** `bytes` random bytes as base64url: no character that needs escaping in XML, a URL's userinfo or a shell word. */
export function ensureKeptSecret(configured: string, file: string, bytes: number): KeptSecret {
  if (configured) return { secret: configured, source: 'env', file };
  if (existsSync(file)) {
    const secret = readFileSync(file, 'utf8').trim();
    if (secret) return { secret, source: 'file', file };
  }
  const secret = randomBytes(bytes).toString('base64url');
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return { secret, source: 'generated', file };
}
