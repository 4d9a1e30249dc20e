// What each browser test of the pages does: build the SDK and page bundles, run its scenario script in a fresh
// network namespace (namespace-run.ts), and turn every step the script reports into an assertion.
import { spawnSync } from 'node:child_process';
import type { Test } from 'tap';
import { root, runInNamespace, type StepLine } from './namespace-run.js';

export async function runPageScenario(t: Test, script: string, limitMs: number): Promise<StepLine[]> {
  for (const build of ['scripts/build-sdk.mjs', 'scripts/build-pages.mjs']) {
    const r = spawnSync(process.execPath, [build], { cwd: root, encoding: 'utf8' });
    if (r.status !== 0) {
      t.fail(`${build} fails:\n${r.stdout}${r.stderr}`);
      return [];
    }
  }
  const { lines, stderr, timedOut } = await runInNamespace(script, limitMs);
  t.notOk(timedOut, `the scenario finished within ${limitMs / 1000} s`);
  for (const line of lines) {
    if (line.step) t.ok(line.ok, line.step, { detail: line.detail });
    if (line.done) t.comment(`figures: ${JSON.stringify(line.figures)}`);
  }
  t.ok(
    lines.some((l) => l.done),
    'the scenario reached its end',
    { stderr: stderr.slice(-3000) },
  );
  return lines;
}
