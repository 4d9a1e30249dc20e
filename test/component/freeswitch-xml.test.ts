import t from 'tap';
import { form, fsAuth, startTestApp } from '../support/app.js';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { ensureFsHttpSecret } from '../../src/api/freeswitch/http-secret.js';
import { FsHttpPath } from '../../src/core/freeswitch.js';

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

t.test('mod_xml_curl endpoints', async (t) => {
  const ta = await startTestApp();
  t.teardown(ta.close);
  const now = ta.clock.now();
  const base = {
    registerType: 1,
    realm: '198.51.100.7:5060',
    status: 1,
    returnVisit: 0,
    billType: null,
    billsec: null,
    priceFen: null,
    callLimit: null,
    expectCount: 10,
    accountBalanceFen: null,
    rechargedAmountFen: null,
    mobilePhonePrefix: null,
    fixedPhonePrefix: null,
    remark: null,
  };
  await ta.app.ctx.repos.gateways.insert(
    {
      ...base,
      gwCode: 'carrier-a',
      gwName: 'A',
      username: 'u1',
      password: 'p&1',
      codec: 'G711,OPUS',
      originationCallId: '02100000000',
    },
    now,
  );
  await ta.app.ctx.repos.gateways.insert(
    {
      ...base,
      gwCode: 'ip-trunk',
      gwName: 'B',
      username: null,
      password: null,
      codec: null,
      originationCallId: null,
    },
    now,
  );
  await ta.app.ctx.repos.gateways.insert(
    {
      ...base,
      gwCode: 'disabled',
      gwName: 'C',
      status: 0,
      username: null,
      password: null,
      codec: null,
      originationCallId: null,
    },
    now,
  );
  await ta.app.ctx.repos.gateways.insert(
    {
      ...base,
      gwCode: 'passive',
      gwName: 'D',
      registerType: 2,
      username: 'in',
      password: 'x',
      codec: null,
      originationCallId: null,
    },
    now,
  );

  const ask = (
    url: string,
    fields: Record<string, string>,
    remoteAddress = '127.0.0.1',
    headers: Record<string, string> = {},
  ) =>
    ta.app.http.inject({
      method: 'POST',
      url,
      headers: { ...FORM, ...fsAuth(), ...headers },
      payload: form(fields),
      remoteAddress,
    });

  // What mod_xml_curl posts for `sofia profile external rescan` (seen against FreeSWITCH 1.11.1).
  const rescan = {
    section: 'configuration',
    tag_name: 'configuration',
    key_name: 'name',
    key_value: 'sofia.conf',
    profile: 'external',
    reconfig: 'true',
  };

  await t.test(
    'a rescan of the external profile gets the enabled gateways we register to, and nothing else',
    async (t) => {
      const res = await ask(FsHttpPath.xmlCurlConfiguration, rescan);
      t.equal(res.statusCode, 200);
      t.match(res.headers['content-type'], /text\/xml/);
      const xml = res.body;
      t.match(xml, /<document type="freeswitch\/xml">/);
      t.match(xml, /<configuration name="sofia.conf"/);
      t.match(xml, /<profile name="external">[\s\S]*<settings\/>/, 'a settings element, as sofia wants one');
      t.notMatch(xml, /<profile name="internal">/, 'the internal profile stays the one on disk');
      t.notMatch(xml, /<param name="sip-ip"/, 'no profile settings: a rescan reads only gateways');
      t.match(
        xml,
        /<gateway name="carrier-a">[\s\S]*name="register" value="true"[\s\S]*name="username" value="u1"[\s\S]*name="password" value="p&amp;1"/,
      );
      t.match(xml, /name="absolute_codec_string" value="PCMU,PCMA,opus"/);
      t.match(xml, /<gateway name="ip-trunk">[\s\S]*name="register" value="false"/);
      t.notMatch(xml, /name="disabled"/, 'disabled gateways are left out');
      t.notMatch(xml, /name="passive"/, 'carriers that register to us are not sofia gateways');
    },
  );

  await t.test(
    'sofia.conf at start-up is "not found": the complete profiles on disk run (rtp-timer-name, contexts)',
    async (t) => {
      const res = await ask(FsHttpPath.xmlCurlConfiguration, {
        section: 'configuration',
        tag_name: 'configuration',
        key_name: 'name',
        key_value: 'sofia.conf',
      });
      t.match(res.body, /<result status="not found"\/>/);
    },
  );

  await t.test('other configuration files are "not found", so FreeSWITCH reads its own', async (t) => {
    const res = await ask(FsHttpPath.xmlCurlConfiguration, {
      section: 'configuration',
      key_value: 'switch.conf',
    });
    t.match(res.body, /<result status="not found"\/>/);
  });

  await t.test('directory lookups are "not found" while no extension exists', async (t) => {
    const res = await ask(FsHttpPath.xmlCurlDirectory, {
      section: 'directory',
      tag_name: 'domain',
      key_name: 'name',
      key_value: '127.0.0.1',
      user: '1000',
      domain: '127.0.0.1',
      action: 'sip_auth',
    });
    t.match(res.body, /<result status="not found"\/>/);
  });

  await t.test('only FreeSWITCH nodes may ask', async (t) => {
    const res = await ask(FsHttpPath.xmlCurlConfiguration, rescan, '203.0.113.5');
    t.equal(res.statusCode, 403);
    t.notMatch(res.body, /carrier-a/);
  });
});

t.test('FreeSWITCH must send its basic credentials; without a secret nothing is served', async (t) => {
  const ta = await startTestApp({ fsHttpSecret: 'xml-secret' });
  t.teardown(ta.close);
  const payload = form({ section: 'configuration', key_value: 'sofia.conf', profile: 'external' });
  const without = await ta.app.http.inject({
    method: 'POST',
    url: FsHttpPath.xmlCurlConfiguration,
    headers: FORM,
    payload,
  });
  t.equal(without.statusCode, 401);
  const auth = `Basic ${Buffer.from('freeswitch:xml-secret').toString('base64')}`;
  const withCreds = await ta.app.http.inject({
    method: 'POST',
    url: FsHttpPath.xmlCurlConfiguration,
    headers: { ...FORM, authorization: auth },
    payload,
  });
  t.equal(withCreds.statusCode, 200);
  t.match(withCreds.body, /sofia.conf/);

  // An app built without a secret refuses every FreeSWITCH endpoint, even on loopback: any local process could
  // otherwise walk the directory (every SIP password), read carrier passwords and post forged CDRs.
  const open = await startTestApp({ fsHttpSecret: '' });
  t.teardown(open.close);
  for (const url of [FsHttpPath.xmlCurlConfiguration, FsHttpPath.xmlCurlDirectory, FsHttpPath.cdr]) {
    const res = await open.app.http.inject({ method: 'POST', url, headers: FORM, payload });
    t.equal(res.statusCode, 503, `${url} without a configured secret`);
    t.notMatch(res.body, /password/);
  }
});

t.test('the secret is generated once into the data directory and read back afterwards', async (t) => {
  const dir = t.testdir();
  const first = ensureFsHttpSecret('', join(dir, 'data'));
  t.equal(first.source, 'generated');
  t.equal(first.file, join(dir, 'data', 'freeswitch-http-secret'));
  t.match(first.secret, /^[A-Za-z0-9_-]{32}$/);
  t.equal(statSync(first.file).mode & 0o777, 0o600, 'readable by its owner only');
  t.same(ensureFsHttpSecret('', join(dir, 'data')), { ...first, source: 'file' });
  t.same(ensureFsHttpSecret('from-env', join(dir, 'data')), {
    secret: 'from-env',
    source: 'env',
    file: first.file,
  });
});
