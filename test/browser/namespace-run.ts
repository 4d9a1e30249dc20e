// What the browser tests share: whether this machine can run chromium in a fresh network namespace, and running a
// scenario script there (only lo up, so WebRTC candidates and every server stay on loopback). A scenario prints one
// JSON line per step ({step, ok, detail} / {log} / {done, figures}); a run over its limit gets SIGTERM (so it can
// stop chromium and its servers), then SIGKILL.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '../..');

export interface StepLine {
  step?: string;
  ok?: boolean;
  detail?: string;
  done?: boolean;
  figures?: unknown;
  log?: string;
  /** The names of every step the script is about to run, printed first (the live tier reports each as a test). */
  plan?: string[];
}

/** Why chromium-in-a-namespace cannot run here, or null when it can. */
export function namespaceUnavailable(): string | null {
  if (!existsSync('/usr/bin/chromium'))
    return 'Debian chromium is not installed (scripts/test-system-deps.txt)';
  return namespaceUnavailableFor('chromium');
}

/** Why this machine cannot make a network namespace for `what`, or null when it can. */
export function namespaceUnavailableFor(what: string): string | null {
  if (process.platform !== 'linux') return `${what} needs Linux network namespaces`;
  const probe = spawnSync('unshare', ['-n', 'sh', '-c', 'ip link set lo up'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0)
    return `cannot make a network namespace (unshare -n needs root or user namespaces): ${probe.stderr || probe.error}`;
  return null;
}

/** Runs `node --import=tsx <script>` inside `unshare -n` and collects its step lines. */
export function runInNamespace(
  script: string,
  limitMs: number,
): Promise<{ lines: StepLine[]; stderr: string; timedOut: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(
      'unshare',
      ['-n', 'sh', '-c', `ip link set lo up && exec node --import=tsx ${script}`],
      {
        cwd: root,
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      },
    );
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const signal = (sig: NodeJS.Signals) => {
      try {
        process.kill(-child.pid!, sig);
      } catch {
        // already gone
      }
    };
    let killer: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      signal('SIGTERM');
      killer = setTimeout(() => signal('SIGKILL'), 5000);
    }, limitMs);
    child.once('close', () => {
      clearTimeout(timer);
      clearTimeout(killer);
      const lines = stdout
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as StepLine);
      resolve({ lines, stderr, timedOut });
    });
  });
}

/**
 * Inside a scenario: runs the named steps in order, reporting each; after the first failure the rest are reported
 * as not run. Returns each step's duration (ms).
 */
export async function runSteps<W>(
  steps: Array<[string, (world: W) => Promise<string | void>]>,
  world: W,
  report: (line: { step: string; ok: boolean; detail: string }) => void,
): Promise<Record<string, number>> {
  const timings: Record<string, number> = {};
  let broken = false;
  for (const [name, step] of steps) {
    if (broken) {
      report({ step: name, ok: false, detail: 'not run: an earlier step failed' });
      continue;
    }
    const t0 = Date.now();
    try {
      const detail = await step(world);
      report({ step: name, ok: true, detail: detail ?? '' });
    } catch (err) {
      broken = true;
      report({ step: name, ok: false, detail: err instanceof Error ? err.message : String(err) });
    }
    timings[name] = Date.now() - t0;
  }
  return timings;
}

/** Debian's chromium, and the flags every browser test starts it with (media from fake devices, loopback ICE). */
export const chromiumPath = '/usr/bin/chromium';
export const chromiumFlags = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream',
  '--allow-loopback-in-peer-connection',
];
