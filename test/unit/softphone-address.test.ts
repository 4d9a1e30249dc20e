// The wss:// address softphones get follows the certificate FreeSWITCH serves on WSS (src/agents/softphone-address.ts).
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { seededWssUrl, wssAddressProblems } from '../../src/agents/softphone-address.js';
import { runCli } from '../../src/cli.js';
import { openStore } from '../../src/db/database.js';
import { createRepos } from '../../src/db/repos/index.js';
import { makeTestCa } from '../support/test-ca.js';

t.test(
  'the seeded address takes the certificate name; the checks name what a browser would refuse',
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'cc-addr-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const ca = makeTestCa(dir);
    const named = new X509Certificate(
      ca.leaf('n', 'n', ['IP:10.77.0.1', 'DNS:fs.test', 'DNS:*.fs.test']).cert,
    );
    const v6 = new X509Certificate(ca.leaf('v6', 'v6', ['IP:fd00::5']).cert);
    t.equal(seededWssUrl('wss://127.0.0.1:7443', named), 'wss://fs.test:7443', 'a DNS name first');
    t.equal(seededWssUrl('wss://127.0.0.1:7443', v6), 'wss://[fd00::5]:7443');
    t.equal(
      seededWssUrl('wss://127.0.0.1:7443', undefined),
      'wss://127.0.0.1:7443',
      'no certificate: as configured',
    );
    const problems = wssAddressProblems(
      [
        { name: 'ok-dns', wssUrl: 'wss://fs.test:7443' },
        { name: 'ok-wild', wssUrl: 'wss://a.fs.test:7443' },
        { name: 'ok-ip', wssUrl: 'wss://10.77.0.1:7443' },
        { name: 'wrong', wssUrl: 'wss://127.0.0.1:7443' },
        { name: 'plain', wssUrl: 'ws://fs.test:5066' },
        { name: 'junk', wssUrl: 'not a url' },
      ],
      { cert: named, https: true },
    );
    t.equal(problems.length, 3, problems.join('\n'));
    t.match(
      problems[0],
      /"wrong" hands softphones wss:\/\/127\.0\.0\.1:7443, but the WSS certificate names only fs\.test, \*\.fs\.test, 10\.77\.0\.1/,
    );
    t.match(problems[1], /"plain" .*mixed content/);
    t.match(problems[2], /"junk" .*not a URL/);
    t.same(
      wssAddressProblems([{ name: 'plain', wssUrl: 'ws://127.0.0.1:5066' }], { https: false }),
      [],
      'plain HTTP with ws:// is a lab, not a fault',
    );
  },
);

t.test('cli node wss changes the address softphones get, node esl-password the ESL password', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cc-addr-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const db = join(dir, 'cc.db');
  const store = openStore(db);
  await createRepos(store.db).nodes.seedIfEmpty(
    {
      name: 'local',
      eslHost: '127.0.0.1',
      eslPort: 8021,
      eslPassword: 'ClueCon',
      wssUrl: 'wss://127.0.0.1:7443',
      nativeAddress: '127.0.0.1:5060',
      sipDomain: '127.0.0.1',
      maxSessions: 10,
      sessionsPerSecond: 1,
    },
    0,
  );
  store.close();
  t.match(await runCli(['node', 'wss', 'local', 'wss://fs.test:7443'], db), { code: 0 });
  t.match(
    (await runCli(['node', 'list'], db)).out,
    /local\tesl=127\.0\.0\.1:8021\twss=wss:\/\/fs\.test:7443\tstatus=active/,
  );
  t.match(await runCli(['node', 'wss', 'local', 'http://fs.test'], db), {
    code: 2,
    out: /must be wss:\/\/HOST:PORT/,
  });
  t.match(await runCli(['node', 'wss', 'nobody', 'wss://fs.test:7443'], db), {
    code: 1,
    out: /no node nobody/,
  });
  t.match(await runCli(['node', 'frob'], db), { code: 2, out: /usage: cli node list/ });
  t.match(await runCli(['node', 'esl-password', 'local'], db, 0, {}), {
    code: 2,
    out: /CC_FS_PASSWORD must hold/,
  });
  t.match(await runCli(['node', 'esl-password', 'local'], db, 0, { CC_FS_PASSWORD: 'n3w-esl-pass' }), {
    code: 0,
  });
  const after = openStore(db);
  t.equal(
    (await createRepos(after.db).nodes.list())[0]!.eslPassword,
    'n3w-esl-pass',
    'the node reconnects with it',
  );
  after.close();
});
