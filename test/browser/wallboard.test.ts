// The manager page's wallboard in Debian chromium (issue 14.10): runs wallboard-scenario.ts in a fresh network
// namespace and turns each of its steps into an assertion. Screenshots: test-output/pages/wallboard.png and
// manager-wallboard.png. Skips with the reason when the machine cannot do it (no root for unshare, no chromium).
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { namespaceUnavailable, root, runInNamespace } from './namespace-run.js';

const RUN_LIMIT_MS = 60_000;
const skip = namespaceUnavailable();

t.test(
  'the wallboard on the manager page, in chromium',
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
      'test/browser/wallboard-scenario.ts',
      RUN_LIMIT_MS,
    );
    t.notOk(timedOut, `the scenario finished within ${RUN_LIMIT_MS / 1000} s`);
    for (const line of lines) if (line.step) t.ok(line.ok, line.step, { detail: line.detail });
    t.equal(lines.filter((l) => l.step && l.step !== 'setup').length, 5, 'every story ran');
    t.ok(
      lines.some((l) => l.done),
      'the scenario reached its end',
      { stderr: stderr.slice(-3000) },
    );
    const shot = join(root, 'test-output/pages/wallboard.png');
    t.ok(
      existsSync(shot) && statSync(shot).size > 10_000,
      'the wallboard screenshot is kept in test-output/pages/',
    );
  },
);
