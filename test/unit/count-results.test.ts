// scripts/count-results.mjs: the closing line CI reads. A skipped or TODO test proved nothing, so it is reported
// apart from the passes; under CI=true a skip in a tier the README promises (browser, Kamailio, live, contract) fails.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import t from 'tap';
import { root } from '../browser/namespace-run.js';

/** tap 21's saved results, as it writes them for a file with a skipped t.test, a TODO and a skipped child. */
const withSkips = `TAP version 14
ok 1 - the softphone in chromium # SKIP Debian chromium is not installed
ok 2 - later # TODO not written
# Subtest: parent
    ok 1 - child skipped # SKIP no kamailio
    # Subtest: child runs
        ok 1 - fine
        1..1
    ok 2 - child runs # time=2.1ms
    1..2
ok 3 - parent # time=7.8ms
ok 4 - a bare assertion
1..4
`;

const allPassing = `TAP version 14
# Subtest: one
    ok 1 - fine
    1..1
ok 1 - one # time=1ms
1..1
`;

function count(files: Record<string, string>, env: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'cc-count-'));
  try {
    for (const [path, text] of Object.entries(files)) {
      const file = join(dir, '.tap/test-results', `${path}.tap`);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, text);
    }
    const env0: NodeJS.ProcessEnv = { ...process.env, ...env };
    if (!('CI' in env)) delete env0.CI;
    const r = spawnSync(process.execPath, [join(root, 'scripts/count-results.mjs'), '2', '0', '0'], {
      cwd: dir,
      encoding: 'utf8',
      env: env0,
    });
    return { code: r.status, out: r.stdout, last: r.stdout.trim().split('\n').at(-1) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

t.test('skips and TODOs are reported apart from the passes, never as passed', async (t) => {
  const r = count({ 'test/unit/a.test.ts': withSkips });
  // The two static checks, "child runs" and the bare assertion pass; three tests skipped.
  t.equal(r.last, '4 passed, 0 failed, 3 skipped');
  t.equal(r.code, 0);
  t.match(r.out, /SKIPPED .*a\.test\.ts\.tap: the softphone in chromium \(SKIP Debian chromium/);
  t.match(r.out, /SKIPPED .*: child skipped \(SKIP no kamailio\)/);
});

t.test('a run with no skip says 0 skipped', async (t) => {
  const r = count({ 'test/unit/a.test.ts': allPassing });
  t.equal(r.last, '3 passed, 0 failed, 0 skipped');
});

t.test('under CI a skip in a promised tier is a failure; elsewhere it stays a skip', async (t) => {
  const r = count(
    { 'test/browser/softphone.test.ts': withSkips, 'test/unit/a.test.ts': withSkips },
    { CI: 'true' },
  );
  t.equal(r.last, '6 passed, 3 failed, 3 skipped');
  t.equal(r.code, 1, 'the run fails');
  t.match(
    r.out,
    /FAILED .*test\/browser\/softphone\.test\.ts\.tap: the softphone in chromium was skipped under CI \(SKIP Debian chromium is not installed\)/,
  );
  const notCi = count({ 'test/browser/softphone.test.ts': withSkips }, { CI: 'false' });
  t.equal(notCi.last, '4 passed, 0 failed, 3 skipped', 'outside CI the same skips are only reported');
});

t.test('a file with no test point still fails', async (t) => {
  const r = count({ 'test/unit/a.test.ts': 'TAP version 14\n' });
  t.equal(r.last, '2 passed, 1 failed, 0 skipped');
  t.match(r.out, /FAILED .*: no test ran/);
});
