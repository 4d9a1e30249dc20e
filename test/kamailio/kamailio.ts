// Starts the test registrar (kamailio.cfg beside this file) on a free loopback port and stops it. Kamailio forks
// its workers into its own process group, so stop() signals the whole group.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const kamailioConfig = join(dirname(fileURLToPath(import.meta.url)), 'kamailio.cfg');

/** The credential set in kamailio.cfg. */
export const testUsers = {
  '1001': 'pw1001',
  '1002': 'pw1002',
  '1003': 'pw1003',
  '1004': 'pw1004',
} as const;
export const testDomain = 'cc.test';

export interface RunningKamailio {
  port: number;
  wsUrl: string;
  /** What Kamailio printed, for a failure message. */
  log(): string;
  stop(): Promise<void>;
}

export function kamailioMissing(): string | null {
  const probe = spawnSync('kamailio', ['-v'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) return 'kamailio is not installed (scripts/test-system-deps.txt)';
  return null;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

/** Starts Kamailio on `port` (a free one when not given: pass the old port to restart it in place). */
export async function startKamailio(fixedPort?: number, startTimeoutMs = 10_000): Promise<RunningKamailio> {
  const port = fixedPort ?? (await freePort());
  const runtimeDir = mkdtempSync(join(tmpdir(), 'cc-kamailio-'));
  const child: ChildProcess = spawn(
    'kamailio',
    [
      '-DD',
      '-E',
      '-f',
      kamailioConfig,
      '-l',
      `tcp:127.0.0.1:${port}`,
      '-Y',
      runtimeDir,
      '-m',
      '32',
      '-M',
      '4',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {
        // already gone
      }
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // already gone
        }
      }, 3000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(runtimeDir, { recursive: true, force: true });
  };

  const deadline = Date.now() + startTimeoutMs;
  while (!(await canConnect(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`kamailio did not start on port ${port}:\n${output.slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { port, wsUrl: `ws://127.0.0.1:${port}`, log: () => output, stop };
}
