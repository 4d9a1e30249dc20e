// The agent workbench and the manager page in Debian chromium, served by the app with the FreeSWITCH emulator:
// runs workbench-scenario.ts inside a fresh network namespace (only lo up: the app, the emulator and chromium
// share it) and turns each of its steps into an assertion. Screenshots: test-output/pages/.
// Skips with the reason when the machine cannot do it (no root for unshare, no chromium).
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { namespaceUnavailable, root, runInNamespace } from './namespace-run.js';

const RUN_LIMIT_MS = 60_000;

const skip = namespaceUnavailable();

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
    const { lines, stderr, timedOut } = await runInNamespace(
      'test/browser/workbench-scenario.ts',
      RUN_LIMIT_MS,
    );
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
