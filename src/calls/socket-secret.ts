// The secret each node's socket token is derived from (calls/leg-proof.ts). Like the FreeSWITCH HTTP secret, a
// server never runs without one: CC_SOCKET_SECRET when set, else the one kept with the data, generated at first
// start. scripts/freeswitch/configure.mjs reads the same file (or variable) to write a node's cc_socket_token.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** `<CC_DATA_DIR>/freeswitch-socket-secret` (mode 0600, one line). */
const socketSecretFile = (dataDir: string): string => join(dataDir, 'freeswitch-socket-secret');

interface SocketSecret {
  secret: string;
  /** 'env': CC_SOCKET_SECRET; 'file': read from the data directory; 'generated': written there just now. */
  source: 'env' | 'file' | 'generated';
  file: string;
}

export function ensureSocketSecret(configured: string, dataDir: string): SocketSecret {
  const file = socketSecretFile(dataDir);
  if (configured) return { secret: configured, source: 'env', file };
  if (existsSync(file)) {
    const secret = readFileSync(file, 'utf8').trim();
    if (secret) return { secret, source: 'file', file };
  }
  const secret = randomBytes(32).toString('base64url');
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return { secret, source: 'generated', file };
}
