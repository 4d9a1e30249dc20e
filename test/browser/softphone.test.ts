// The softphone SDK in a real browser against a real registrar: runs softphone-scenario.ts inside a fresh network
// namespace (only lo up, so WebRTC candidates stay on loopback) and turns each of its steps into an assertion.
// Skips with the reason when the machine cannot do it (no root for unshare, no chromium, no kamailio).
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { kamailioMissing } from '../kamailio/kamailio.js';
import { namespaceUnavailable, root, runInNamespace } from './namespace-run.js';

const RUN_LIMIT_MS = 90_000;

const skip = namespaceUnavailable() ?? kamailioMissing();

t.test(
  'the softphone in chromium against Kamailio',
  { skip: skip ?? false, timeout: RUN_LIMIT_MS + 20_000 },
  async (t) => {
    const build = spawnSync(process.execPath, ['scripts/build-sdk.mjs'], { cwd: root, encoding: 'utf8' });
    if (build.status !== 0) {
      t.fail(`the SDK does not build:\n${build.stdout}${build.stderr}`);
      return;
    }
    const { lines, stderr, timedOut } = await runInNamespace(
      'test/browser/softphone-scenario.ts',
      RUN_LIMIT_MS,
    );
    t.notOk(timedOut, `the scenario finished within ${RUN_LIMIT_MS / 1000} s`);
    for (const line of lines) {
      if (line.log) t.comment(line.log);
      if (line.step) t.ok(line.ok, line.step, { detail: line.detail });
      if (line.done) t.comment(`figures: ${JSON.stringify(line.figures)}`);
    }
    const steps = lines.filter((l) => l.step && l.step !== 'setup').length;
    t.ok(steps >= 18, `every story ran (${steps})`);
    t.ok(
      lines.some((l) => l.done),
      'the scenario reached its end and saved screenshots in test-output/softphone/',
      { stderr: stderr.slice(-3000) },
    );
  },
);
