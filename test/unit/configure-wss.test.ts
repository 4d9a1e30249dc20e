// scripts/freeswitch/configure.mjs --wss-cert/--wss-key: FreeSWITCH's wss.pem is the operator's certificate and key
// (checked to belong together), in the certs directory the profile reads, and the run says which wss:// address
// softphones must be given. Runs on a minimal stand-in for the vanilla configuration (the live tier runs it on the
// real one).
import { spawnSync } from 'node:child_process';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { makeTestCa } from '../support/test-ca.js';

function vanilla(dir: string): string {
  const conf = join(dir, 'vanilla');
  for (const d of ['autoload_configs', 'sip_profiles', 'dialplan', 'directory/default'])
    mkdirSync(join(conf, d), { recursive: true });
  writeFileSync(
    join(conf, 'vars.xml'),
    '<include>\n  <X-PRE-PROCESS cmd="set" data="domain=x"/>\n</include>\n',
  );
  writeFileSync(
    join(conf, 'autoload_configs/modules.conf.xml'),
    '<configuration>\n<modules>\n</modules>\n</configuration>\n',
  );
  writeFileSync(
    join(conf, 'autoload_configs/switch.conf.xml'),
    '<configuration>\n<settings>\n</settings>\n</configuration>\n',
  );
  writeFileSync(join(conf, 'sip_profiles/internal.xml'), '<profile>\n<settings>\n</settings>\n</profile>\n');
  return conf;
}

const configure = (...args: string[]) =>
  spawnSync(process.execPath, ['scripts/freeswitch/configure.mjs', ...args], { encoding: 'utf8' });

t.test(
  'the certificate and key become wss.pem in the certs directory, and the address to hand out is printed',
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'cc-wss-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const ca = makeTestCa(dir);
    const leaf = ca.leaf('fs', 'fs', ['DNS:fs.test', 'IP:10.77.0.1']);
    const certs = join(dir, 'certs');
    const out = join(dir, 'conf');
    const r = configure(
      vanilla(dir),
      out,
      '--wss-cert',
      leaf.certFile,
      '--wss-key',
      leaf.keyFile,
      '--certs-dir',
      certs,
    );
    t.equal(r.status, 0, r.stderr);
    t.match(
      r.stdout,
      /installed .*certs\/wss\.pem for fs\.test, 10\.77\.0\.1 .*CC_FS_WSS=wss:\/\/fs\.test:7443/,
    );
    const pem = readFileSync(join(certs, 'wss.pem'), 'utf8');
    t.equal(
      statSync(join(certs, 'wss.pem')).mode & 0o777,
      0o600,
      'readable by its owner only (it holds the key)',
    );
    const cert = new X509Certificate(pem);
    t.equal(
      cert.fingerprint256,
      new X509Certificate(leaf.cert).fingerprint256,
      'the certificate comes first',
    );
    t.ok(cert.checkPrivateKey(createPrivateKey(pem)), 'and its key is in the same file');
    t.match(
      readFileSync(join(out, 'callcenter/vars.xml'), 'utf8'),
      `data="cc_tls_cert_dir=${certs}"`,
      'the profile reads wss.pem where it was put',
    );
    t.notOk(existsSync(join(certs, 'wss.pem.new')), 'no temporary left behind');

    // A renewal: run again with the new pair; wss.pem is replaced.
    const renewed = ca.leaf('fs2', 'fs2', ['DNS:fs.test']);
    t.equal(
      configure(out, '--wss-cert', renewed.certFile, '--wss-key', renewed.keyFile, '--certs-dir', certs)
        .status,
      0,
    );
    t.equal(
      new X509Certificate(readFileSync(join(certs, 'wss.pem'))).fingerprint256,
      new X509Certificate(renewed.cert).fingerprint256,
    );
  },
);

t.test(
  'a key of another certificate, or one option without the other, changes nothing and says why',
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'cc-wss-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const ca = makeTestCa(dir);
    const a = ca.leaf('a', 'a', ['DNS:a.test']);
    const b = ca.leaf('b', 'b', ['DNS:b.test']);
    const certs = join(dir, 'certs');
    const conf = vanilla(dir);
    const wrong = configure(
      conf,
      join(dir, 'o1'),
      '--wss-cert',
      a.certFile,
      '--wss-key',
      b.keyFile,
      '--certs-dir',
      certs,
    );
    t.equal(wrong.status, 2);
    t.match(wrong.stderr, /--wss-key .*b\.key is not the key of .*a\.pem/);
    t.notOk(existsSync(join(certs, 'wss.pem')), 'no wss.pem written');
    const half = configure(conf, join(dir, 'o2'), '--wss-cert', a.certFile);
    t.equal(half.status, 2);
    t.match(half.stderr, /--wss-cert and --wss-key go together/);
  },
);
