// The agent workbench and the manager page in Debian chromium, served by the app with the FreeSWITCH emulator:
// runs workbench-scenario.ts inside a fresh network namespace (only lo up: the app, the emulator and chromium
// share it) and turns each of its steps into an assertion. Screenshots: test-output/pages/.
// Skips with the reason when the machine cannot do it (no root for unshare, no chromium).
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const RUN_LIMIT_MS = 60_000;

function whyNot(): string | null {
  if (process.platform !== 'linux') return 'needs Linux network namespaces';
  if (!existsSync('/usr/bin/chromium'))
    return 'Debian chromium is not installed (scripts/test-system-deps.txt)';
  const probe = spawnSync('unshare', ['-n', 'sh', '-c', 'ip link set lo up'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0)
    return `cannot make a network namespace (unshare -n needs root or user namespaces): ${probe.stderr || probe.error}`;
  return null;
}

interface StepLine {
  step?: string;
  ok?: boolean;
  detail?: string;
  done?: boolean;
  figures?: unknown;
}

function runScenario(): Promise<{ lines: StepLine[]; stderr: string; timedOut: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(
      'unshare',
      ['-n', 'sh', '-c', 'ip link set lo up && exec node --import=tsx test/browser/workbench-scenario.ts'],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
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
      // SIGTERM lets the scenario close chromium and the app; SIGKILL if it cannot.
      signal('SIGTERM');
      killer = setTimeout(() => signal('SIGKILL'), 5000);
    }, RUN_LIMIT_MS);
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

const skip = whyNot();

t.test(
  'the workbench and the manager page in chromium, served by the app',
  { skip: skip ?? false, timeout: RUN_LIMIT_MS + 60_000 },
  async (t) => {
    for (const script of ['scripts/build-sdk.mjs', 'scripts/build-pages.mjs']) {
      const build = spawnSync(process.execPath, [script], { cwd: root, encoding: 'utf8' });
      if (build.status !== 0) {
        t.fail(`${script} fails:\n${build.stdout}${build.stderr}`);
        return;
      }
    }
    const { lines, stderr, timedOut } = await runScenario();
    t.notOk(timedOut, `the scenario finished within ${RUN_LIMIT_MS / 1000} s`);
    for (const line of lines) {
      if (line.step) t.ok(line.ok, line.step, { detail: line.detail });
      if (line.done) t.comment(`figures: ${JSON.stringify(line.figures)}`);
    }
    const steps = lines.filter((l) => l.step && l.step !== 'setup').length;
    t.ok(steps >= 18, `every story ran (${steps})`);
    t.ok(
      lines.some((l) => l.done),
      'the scenario reached its end and saved screenshots in test-output/pages/',
      { stderr: stderr.slice(-3000) },
    );
  },
);
