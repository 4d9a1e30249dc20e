// scripts/deploy/callcenter.service as systemd reads it: `systemd-analyze verify` (offline: no running systemd is
// needed, so it runs in a container) with no warning at all, since verify exits 0 on a misspelt or unparsable line
// and only says so on stderr; and the hardening the README promises.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';

const UNIT = 'scripts/deploy/callcenter.service';

function verify(file: string) {
  // Run from an empty directory: verify also loads units it finds beside the one named.
  const cwd = mkdtempSync(join(tmpdir(), 'cc-unit-'));
  try {
    return spawnSync('systemd-analyze', ['verify', '--man=no', file], { cwd, encoding: 'utf8' });
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}

t.test('systemd-analyze verify accepts the unit without a warning', async (t) => {
  const r = verify(join(process.cwd(), UNIT));
  if (r.error) {
    t.fail(
      `systemd-analyze cannot run (Debian package systemd, scripts/test-system-deps.txt): ${r.error.message}`,
    );
    return;
  }
  t.equal(r.status, 0, 'verify succeeds');
  t.equal(`${r.stdout}${r.stderr}`.trim(), '', 'and has nothing to say');
});

t.test('the check bites: a misspelt directive or a bad value is reported', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cc-unit-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const text = readFileSync(UNIT, 'utf8');
  for (const [name, broken] of [
    ['typo.service', text.replace('\nNoNewPrivileges=yes', '\nNoNewPrivilege=yes')],
    ['value.service', text.replace('ProtectSystem=strict', 'ProtectSystem=very')],
  ] as const) {
    const file = join(dir, name);
    writeFileSync(file, broken);
    t.not(`${verify(file).stderr}`.trim(), '', `${name}: reported`);
  }
});

t.test(
  'its own user, no new privileges, a read-only system but the data directory, restart, clean stop',
  async (t) => {
    const text = readFileSync(UNIT, 'utf8');
    const values = (key: string) =>
      [...text.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].map((m) => m[1]!.trim());
    t.same(values('User'), ['callcenter']);
    t.same(values('NoNewPrivileges'), ['yes']);
    t.same(values('ProtectSystem'), ['strict']);
    t.same(values('ReadWritePaths'), ['/var/lib/callcenter'], 'one writable path');
    t.match(
      values('Environment').join(' '),
      /CC_DATA_DIR=\/var\/lib\/callcenter\b/,
      'and it is the data directory',
    );
    t.same(values('Restart'), ['on-failure']);
    t.same(values('KillSignal'), ['SIGTERM'], 'stopped by SIGTERM, which the server handles cleanly');
    t.match(values('ExecReload').join(''), /kill -HUP \$MAINPID/, 'reload re-reads the TLS certificate');
    const cwd = mkdtempSync(join(tmpdir(), 'cc-unit-'));
    t.teardown(() => rmSync(cwd, { recursive: true, force: true }));
    const security = spawnSync(
      'systemd-analyze',
      ['security', '--offline=true', '--threshold=40', join(process.cwd(), UNIT)],
      { cwd, encoding: 'utf8' },
    );
    t.equal(
      security.status,
      0,
      `systemd's own exposure score is at most 4.0 ("OK"): ${security.stdout
        .split('\n')
        .filter((l) => l.includes('Overall'))
        .join('')}`,
    );
  },
);
