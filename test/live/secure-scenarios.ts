// Live tier: an agent as one works for real (issue 24). A CA made here signs one certificate for 10.77.0.1, an
// address added to this namespace's lo so that the page's origin is not loopback (a browser treats localhost as a
// secure context even over plain HTTP). Our server serves HTTPS and WSS with it; scripts/freeswitch/configure.mjs
// installs it as FreeSWITCH's wss.pem; Chromium trusts the CA through an NSS database (no certificate error is
// ignored), loads the workbench from https://10.77.0.1:8080, claims a seat, registers over WSS and talks with a
// customer who called through the carrier.
import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { chromium, type Page } from 'playwright-core';
import { chromiumFlags, chromiumPath } from '../browser/namespace-run.js';
import { audioBytesIn } from '../browser/page-helpers.js';
import { httpsFetch } from '../support/https-fetch.js';
import { makeTestCa, type Leaf, type TestCa } from '../support/test-ca.js';
import { GW, waitFor } from './lab.js';
import type { Ctx } from './scenarios.js';
import { startCarrierGateway } from './world.js';

type Step = [string, (c: Ctx) => Promise<string | void>];

const ADDRESS = '10.77.0.1';
const ORIGIN = `https://${ADDRESS}:8080`;

interface Secure {
  ca: TestCa;
  leaf: Leaf;
  project: string;
  certificate: string;
  page?: Page;
  agent?: string;
}
const state = new WeakMap<Ctx, Secure>();

function check(cond: unknown, what: string, detail?: unknown): asserts cond {
  if (!cond) throw new Error(`${what}${detail === undefined ? '' : `: ${JSON.stringify(detail)}`}`);
}

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr || String(r.error)}`);
  return r.stdout;
}

/** The certificate a TLS server at host:port shows to a client trusting only `ca` (the handshake must succeed). */
function servedCertificate(host: string, port: number, ca: string): Promise<X509Certificate> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ host, port, ca }, () => {
      const raw = s.getPeerX509Certificate();
      s.destroy();
      if (raw) resolve(raw);
      else reject(new Error('no certificate'));
    });
    s.on('error', reject);
  });
}

/** Polls an expression in the page (not waitForFunction: the workbench's CSP forbids its eval). */
async function shows(page: Page, selector: string, want: RegExp, timeoutMs = 15_000): Promise<string> {
  const probe = `(document.querySelector(${JSON.stringify(selector)})?.textContent ?? '')`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = (await page.evaluate(probe)) as string;
    if (want.test(text)) return text;
    if (Date.now() > deadline)
      throw new Error(`${selector} shows ${JSON.stringify(text.slice(0, 300))}, not ${want}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export const secureGroup: Step[] = [
  [
    `lab over TLS: our server on HTTPS, FreeSWITCH's WSS on ${ADDRESS}:7443 with the wss.pem configure.mjs installed, xml_curl over HTTPS`,
    async (c) => {
      const { lab } = c;
      // Only in this namespace (the group runs under unshare -n): its own lo, gone with it.
      run('ip', ['addr', 'add', `${ADDRESS}/32`, 'dev', 'lo']);
      const dir = join(lab.dir, 'ca');
      mkdirSync(dir, { recursive: true });
      const ca = makeTestCa(dir);
      const leaf = ca.leaf('cc', 'callcenter', [`IP:${ADDRESS}`, 'IP:127.0.0.1']);
      await lab.startServer({
        CC_TLS_CERT: leaf.certFile,
        CC_TLS_KEY: leaf.keyFile,
        CC_HTTP_HOST: '0.0.0.0',
        CC_FS_WSS: '', // unset: the address comes from the certificate
      });
      lab.baseUrl = 'https://127.0.0.1:8080';
      lab.fetcher = httpsFetch(ca.ca);
      await lab.startFreeswitch([
        '--wss-cert',
        leaf.certFile,
        '--wss-key',
        leaf.keyFile,
        '--certs-dir',
        join(lab.fsDir, 'certs'),
        `cc_wss_ip=${ADDRESS}`,
        'cc_http_base=https://127.0.0.1:8080',
      ]);
      const fsCert = await waitFor(
        `FreeSWITCH's WSS on ${ADDRESS}:7443`,
        () => servedCertificate(ADDRESS, 7443, ca.ca),
        15_000,
        250,
      );
      check(
        fsCert.fingerprint256 === new X509Certificate(leaf.cert).fingerprint256,
        'FreeSWITCH serves the installed certificate, not a self-signed one',
      );
      // The gateway reaches sofia through mod_xml_curl, which now calls our HTTPS port.
      await startCarrierGateway(lab);
      const project = `sec${process.pid}`;
      const created = await lab.ok<{ servers: string; certificate: string }>(
        'POST',
        '/callcenter/callProject/api/createProject/v1',
        { projectCode: project, seats: 1 },
      );
      check(
        created.servers === `wss://${ADDRESS}:7443`,
        'createProject hands out the certificate’s address',
        created,
      );
      state.set(c, { ca, leaf, project, certificate: created.certificate });
      return `softphones get ${created.servers}`;
    },
  ],
  [
    `Chromium trusting the test CA (NSS database) opens ${ORIGIN}/workbench, claims the seat and registers over WSS`,
    async (c) => {
      const s = state.get(c)!;
      const home = join(c.lab.dir, 'home');
      const nssdb = join(home, '.pki/nssdb');
      // First without the CA: the same Chromium refuses the page, so what follows is the CA's doing.
      const untrusting = await chromium.launch({
        executablePath: chromiumPath,
        args: chromiumFlags,
        headless: true,
        handleSIGTERM: false,
        env: { ...process.env, HOME: join(c.lab.dir, 'home-without-ca') },
      });
      const refused = await (await untrusting.newPage()).goto(`${ORIGIN}/workbench`).then(
        () => 'loaded',
        (err: Error) => err.message,
      );
      await untrusting.close();
      check(/ERR_CERT_AUTHORITY_INVALID/.test(refused), 'without the CA the page is refused', refused);
      mkdirSync(nssdb, { recursive: true });
      run('certutil', ['-N', '-d', `sql:${nssdb}`, '--empty-password']);
      run('certutil', [
        '-A',
        '-d',
        `sql:${nssdb}`,
        '-t',
        'C,,',
        '-n',
        'callcenter test CA',
        '-i',
        s.ca.caFile,
      ]);
      const browser = await chromium.launch({
        executablePath: chromiumPath,
        args: chromiumFlags,
        headless: true,
        handleSIGTERM: false,
        env: { ...process.env, HOME: home },
      });
      c.lab.onClose(() => browser.close());
      const page = await (await browser.newContext()).newPage();
      // Keeps the page's peer connections reachable for the audio check (injected by the driver, not the page).
      await page.addInitScript(`(() => {
        const Native = window.RTCPeerConnection;
        window.testPeerConnections = [];
        window.RTCPeerConnection = function (...args) {
          const pc = new Native(...args);
          window.testPeerConnections.push(pc);
          return pc;
        };
        window.RTCPeerConnection.prototype = Native.prototype;
      })()`);
      const res = await page.goto(`${ORIGIN}/workbench#certificate=${s.certificate}`);
      check(res?.ok(), 'the workbench loads over HTTPS', res?.status());
      const where = (await page.evaluate(
        '({ secure: window.isSecureContext, origin: location.origin })',
      )) as {
        secure: boolean;
        origin: string;
      };
      check(where.secure && where.origin === ORIGIN, 'a secure context on a non-loopback origin', where);
      await page.click('#claimButton');
      const agent = await shows(page, '#me', /^\d+$/);
      await shows(page, '#stompState', /connected/);
      await shows(page, '#phoneState', /已注册 registered/, 20_000);
      await waitFor(
        'the WSS registration seen by our server',
        () =>
          c.lab.sql<{ r: number }>('SELECT reg_status r FROM extensions WHERE username = ?', agent)[0]!.r ===
          1,
        15_000,
        200,
      );
      // FreeSWITCH's own view (its registration table is written through a queue, hence the wait): the contact it
      // keeps for the agent came over WSS (JsSIP writes transport=ws in its Contact; the path FreeSWITCH routes back
      // through, fs_path, names the WSS connection).
      const line = await waitFor(
        'the registration in FreeSWITCH',
        () =>
          c.lab
            .fsCli('show registrations')
            .split('\n')
            .find((l) => l.startsWith(`${agent},`)),
        10_000,
        250,
      );
      check(/fs_path=[^,]*transport%3Dwss/i.test(line), 'FreeSWITCH has the registration over WSS', line);
      s.page = page;
      s.agent = agent;
      return `agent ${agent} on ${where.origin}`;
    },
  ],
  [
    'the agent goes idle in the page, a customer called through the carrier is answered by the softphone, audio flows, and it is logged (10/55)',
    async (c) => {
      const s = state.get(c)!;
      const page = s.page!;
      await page.click('#idle');
      await shows(page, '#workState', /空闲/);
      const { callListId } = await c.lab.ok<{ callListId: number }>(
        'POST',
        '/callcenter/callList/api/create/v1',
        {
          name: 'secure',
        },
      );
      await c.lab.ok('POST', '/callcenter/callList/api/append/v1', {
        callListId,
        numbers: JSON.stringify(['13600000402']),
      });
      const task = `s${process.pid}`;
      await c.lab.ok('POST', '/callcenter/callTask/api/submitCallTask/v1', {
        callTaskCode: task,
        callType: 1,
        scheduleType: 1,
        callListId,
        callGWs: JSON.stringify([{ code: GW, concurrency: 2 }]),
        expiredTime: String(Date.now() + 3600_000),
        projectCode: s.project,
        rate: 1,
      });
      await c.lab.ok('POST', '/callcenter/callTask/api/callTaskStart/v1', { callTaskCode: task });
      await shows(page, '#callPhase', /通话中/, 20_000);
      const bytes = await waitFor(
        'audio from the customer',
        async () => (await audioBytesIn(page)) || undefined,
        10_000,
      );
      const log = await waitFor(
        'the call log',
        async () => {
          const data = await c.lab.ok<{ items: Record<string, unknown>[] }>(
            'GET',
            '/callcenter/callLog/api/getList/v1',
            {
              callTaskCode: task,
              queryTimeType: 1,
              pageSize: 10,
              pageNum: 1,
            },
          );
          return data.items.find((l) => l.result !== null && l.result !== '');
        },
        30_000,
        500,
      );
      check(Number(log.result) === 10 && Number(log.resultDetail) === 55, 'result 10/55', log);
      check(log.callerIdNumber === s.agent, 'the agent is named', log);
      return `${bytes} audio bytes received over SRTP`;
    },
  ],
];
