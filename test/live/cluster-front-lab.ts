// One address in front of the live cluster (issue 20, item 5): HAProxy started from the example configuration
// operators get (scripts/cluster/haproxy.cfg), with only what must differ here replaced: the listen addresses (the
// namespace's loopback, still ports 443 and 80), the certificate (made for the test with openssl), the servers (the
// lab's instances), the log (stdout instead of syslog: the namespace has none, and the group reads it), and
// `balance first` instead of `leastconn`, so that every connection goes to the first live instance of the list and
// the test knows where the pages are. TLS termination, the redirect of plain HTTP, the timeouts, the health check on
// /health, redispatch and the SockJS backend are the shipped ones.
import { spawn, spawnSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import type { Instance } from './cluster-lab.js';
import { makeTestCa } from '../support/test-ca.js';
import { root, waitFor, type Lab } from './lab.js';

/** The address everyone uses: TLS ends at HAProxy. */
export const FRONT = 'https://127.0.0.1';
/** The same front over plain HTTP: it only redirects to FRONT. */
export const FRONT_PLAIN = 'http://127.0.0.1';

export interface Front {
  /** The certificate HAProxy presents (PEM), for Node clients to trust. */
  ca: string;
  /** base64 SHA-256 of its public key: Chromium's --ignore-certificate-errors-spki-list (this key only). */
  spki: string;
  /** HAProxy's log so far (one httplog line per request; a WebSocket's when it ends). */
  log(): string;
}

export interface Answer {
  status: number;
  location?: string;
  text: string;
}

/**
 * A request to FRONT trusting only the lab's certificate; `from` is the client's own loopback address (the
 * instances must see it, not HAProxy's, through X-Forwarded-For).
 */
export function frontRequest(
  front: Front,
  method: string,
  path: string,
  opts: { body?: string; from?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      { host: '127.0.0.1', port: 443, path, method, ca: front.ca, localAddress: opts.from, agent: false },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, location: res.headers.location, text }));
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error(`${method} ${path}: no answer in 10 s`)));
    req.on('error', reject);
    req.end(opts.body);
  });
}

/**
 * The front's certificate for 127.0.0.1, signed by a CA made for the test (test/support/test-ca.ts), and HAProxy's
 * PEM: the certificate, its chain and its key, as the README says. Node's requests trust the CA; Chromium is told
 * this key only.
 */
function makeCertificate(lab: Lab): { pem: string; ca: string; spki: string } {
  const authority = makeTestCa(lab.dir);
  const leaf = authority.leaf('front', '127.0.0.1', ['IP:127.0.0.1']);
  const pem = join(lab.dir, 'callcenter.pem');
  writeFileSync(pem, leaf.cert + authority.ca + leaf.key, { mode: 0o600 });
  const der = new X509Certificate(leaf.cert).publicKey.export({ type: 'spki', format: 'der' });
  return { pem, ca: authority.ca, spki: createHash('sha256').update(der).digest('base64') };
}

/** The shipped configuration with this lab's binds, certificate and servers (in `order`: the first live one takes
 * everything). */
export function frontConfig(order: Instance[], pem: string): string {
  const shipped = readFileSync(join(root, 'scripts/cluster/haproxy.cfg'), 'utf8');
  const servers = order.map((i) => `    server ${i.id} 127.0.0.1:${i.httpPort} check`).join('\n');
  const replaced = new Set<string>();
  const swap = (what: string, line: string) => (replaced.add(what), line);
  let listed = false; // this backend's servers are written already
  const out = shipped
    .split('\n')
    .map((line) => {
      if (/^backend /.test(line)) listed = false;
      if (/^\s*log \/dev\/log local0$/.test(line)) return swap('log', '    log stdout format raw local0');
      if (/^\s*bind :443 ssl crt \/etc\/haproxy\/callcenter\.pem$/.test(line))
        return swap('tls', `    bind 127.0.0.1:443 ssl crt ${pem}`);
      if (/^\s*bind :80$/.test(line)) return swap('plain', '    bind 127.0.0.1:80');
      if (/^\s*balance leastconn$/.test(line)) return swap('balance', '    balance first');
      if (!/^\s*server /.test(line)) return line;
      // Each backend's server lines become this lab's list, once.
      if (listed) return null;
      listed = true;
      return servers;
    })
    .filter((line): line is string => line !== null)
    .join('\n');
  for (const what of ['log', 'tls', 'plain', 'balance'])
    if (!replaced.has(what))
      throw new Error(`scripts/cluster/haproxy.cfg changed shape (${what}): update cluster-front-lab.ts`);
  return out;
}

/** Makes the certificate, checks the configuration with `haproxy -c`, starts HAProxy in the foreground, waits
 * until it answers over TLS with a live instance behind it. */
export async function startFront(lab: Lab, order: Instance[]): Promise<Front> {
  const { pem, ca, spki } = makeCertificate(lab);
  const file = join(lab.dir, 'haproxy.cfg');
  writeFileSync(file, frontConfig(order, pem));
  const checked = spawnSync('haproxy', ['-c', '-f', file], { encoding: 'utf8' });
  if (checked.status !== 0)
    throw new Error(`haproxy -c refuses the configuration: ${checked.stdout}${checked.stderr}`);
  const child = spawn('haproxy', ['-db', '-f', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  const log = join(lab.dir, 'haproxy.out');
  writeFileSync(log, '');
  for (const s of [child.stdout, child.stderr]) s.on('data', (d: Buffer) => appendFileSync(log, d));
  lab.onClose(async () => void child.kill('SIGKILL'));
  const front: Front = { ca, spki, log: () => readFileSync(log, 'utf8') };
  await waitFor(
    `HAProxy on ${FRONT} with a live instance behind it`,
    async () => {
      if (child.exitCode !== null) throw new Error(`haproxy exited: ${front.log().slice(-1500)}`);
      return (await frontRequest(front, 'GET', '/health').catch(() => undefined))?.status === 200;
    },
    15_000,
    200,
  );
  return front;
}
