// The manager page's wallboard in Debian chromium (issue 14.10): runs wallboard-scenario.ts in a fresh network
// namespace and turns each of its steps into an assertion. Screenshots: test-output/pages/wallboard.png and
// manager-wallboard.png. Skips with the reason when the machine cannot do it (no root for unshare, no chromium).
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { namespaceUnavailable, root } from './namespace-run.js';
import { runPageScenario } from './page-run.js';

const RUN_LIMIT_MS = 60_000;
const skip = namespaceUnavailable();

t.test(
  'the wallboard on the manager page, in chromium',
  { skip: skip ?? false, timeout: RUN_LIMIT_MS + 60_000 },
  async (t) => {
    const lines = await runPageScenario(t, 'test/browser/wallboard-scenario.ts', RUN_LIMIT_MS);
    t.equal(lines.filter((l) => l.step && l.step !== 'setup').length, 6, 'every story ran');
    const shot = join(root, 'test-output/pages/wallboard.png');
    t.ok(
      existsSync(shot) && statSync(shot).size > 10_000,
      'the wallboard screenshot is kept in test-output/pages/',
    );
  },
);
