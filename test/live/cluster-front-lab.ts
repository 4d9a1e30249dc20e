// One address in front of the live cluster (issue 20, item 5): HAProxy started from the example configuration
// operators get (scripts/cluster/haproxy.cfg), with only what must differ here replaced: the listen address, the
// servers (the lab's instances), no syslog (the namespace has none), and `balance first` instead of `leastconn`,
// so that every connection goes to the first live instance of the list and the test knows where the page is. The
// timeouts, the health check on /health, redispatch and the SockJS backend are the shipped ones.
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Instance } from './cluster-lab.js';
import { root, waitFor, type Lab } from './lab.js';

export const FRONT_PORT = 8060;
export const FRONT = `http://127.0.0.1:${FRONT_PORT}`;

/** The shipped configuration with this lab's binds and servers (in `order`: the first live one takes everything). */
export function frontConfig(order: Instance[]): string {
  const shipped = readFileSync(join(root, 'scripts/cluster/haproxy.cfg'), 'utf8');
  const servers = order.map((i) => `    server ${i.id} 127.0.0.1:${i.httpPort} check`).join('\n');
  let listed = false; // this backend's servers are written already
  const out = shipped
    .split('\n')
    .filter((line) => !/^\s*log \/dev\/log/.test(line))
    .map((line) => {
      if (/^backend /.test(line)) listed = false;
      if (/^\s*bind :80$/.test(line)) return `    bind 127.0.0.1:${FRONT_PORT}`;
      if (/^\s*balance leastconn$/.test(line)) return '    balance first';
      if (!/^\s*server /.test(line)) return line;
      // Each backend's server lines become this lab's list, once.
      if (listed) return null;
      listed = true;
      return servers;
    })
    .filter((line): line is string => line !== null)
    .join('\n');
  if (!out.includes('balance first') || !out.includes(`bind 127.0.0.1:${FRONT_PORT}`))
    throw new Error('scripts/cluster/haproxy.cfg changed shape: update cluster-front-lab.ts');
  return out;
}

/** Checks the configuration with `haproxy -c`, starts HAProxy in the foreground, waits until it listens. */
export async function startFront(lab: Lab, order: Instance[]): Promise<void> {
  const file = join(lab.dir, 'haproxy.cfg');
  writeFileSync(file, frontConfig(order));
  const checked = spawnSync('haproxy', ['-c', '-f', file], { encoding: 'utf8' });
  if (checked.status !== 0)
    throw new Error(`haproxy -c refuses the configuration: ${checked.stdout}${checked.stderr}`);
  const child = spawn('haproxy', ['-db', '-f', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  const log = join(lab.dir, 'haproxy.out');
  for (const s of [child.stdout, child.stderr]) s.on('data', (d: Buffer) => appendFileSync(log, d));
  lab.onClose(async () => void child.kill('SIGKILL'));
  await waitFor(
    `HAProxy on ${FRONT_PORT} with a live instance behind it`,
    async () => {
      if (child.exitCode !== null)
        throw new Error(`haproxy exited: ${readFileSync(log, 'utf8').slice(-1500)}`);
      return (await fetch(`${FRONT}/health`)).ok;
    },
    15_000,
    200,
  );
}
