// The shared secret FreeSWITCH presents on our xml_curl and xml_cdr endpoints (HTTP basic `freeswitch:<secret>`).
// Without one those endpoints would hand any local process every SIP password and take forged CDRs, so a server
// never runs without it: CC_FS_HTTP_SECRET when set, else the secret kept with the data, generated at first start.
// scripts that configure FreeSWITCH read the same file (or the same variable), so nobody copies it by hand.
import { join } from 'node:path';
import { ensureKeptSecret, type KeptSecret } from '../../db/kept-secret.js';

/** `<CC_DATA_DIR>/freeswitch-http-secret` when CC_FS_HTTP_SECRET is not set. */
export function ensureFsHttpSecret(configured: string, dataDir: string): KeptSecret {
  return ensureKeptSecret(configured, join(dataDir, 'freeswitch-http-secret'), 24);
}
