// The secret each node's socket token is derived from (calls/leg-proof.ts). Like the FreeSWITCH HTTP secret, a
// server never runs without one: CC_SOCKET_SECRET when set, else the one kept with the data, generated at first
// start. scripts/freeswitch/configure.mjs reads the same file (or variable) to write a node's cc_socket_token.
import { join } from 'node:path';
import { ensureKeptSecret, type KeptSecret } from '../db/kept-secret.js';

/** `<CC_DATA_DIR>/freeswitch-socket-secret` when CC_SOCKET_SECRET is not set. */
export function ensureSocketSecret(configured: string, dataDir: string): KeptSecret {
  return ensureKeptSecret(configured, join(dataDir, 'freeswitch-socket-secret'), 32);
}
