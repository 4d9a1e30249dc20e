// The shape issue #18 set for src/, read by the compiler's parse (scripts/architecture-report.ts): no file over 500
// lines, no function over 120 lines of its own, buildApp under 80, no import cycle, no export nothing imports.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');

t.test('src/ keeps the shape the architecture step gave it', async (t) => {
  const r = spawnSync(process.execPath, ['--import=tsx', 'scripts/architecture-report.ts', '--json'], {
    cwd: root,
    encoding: 'utf8',
  });
  t.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout) as {
    bigFiles: unknown[];
    longFunctions: unknown[];
    compositionOwnLines: number;
    cycles: unknown[];
    deadExports: unknown[];
  };
  t.same(report.bigFiles, [], 'no file over 500 lines');
  t.same(report.longFunctions, [], 'no function over 120 lines of its own');
  t.ok(
    report.compositionOwnLines > 0 && report.compositionOwnLines <= 80,
    `buildApp: ${report.compositionOwnLines} own lines`,
  );
  t.same(report.cycles, [], 'no import cycle between src files');
  t.same(report.deadExports, [], 'no export that nothing imports');
});
