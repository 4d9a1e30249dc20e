// The server as an operator runs it with CC_TLS_CERT / CC_TLS_KEY: the API, the pages, STOMP over WSS and SockJS are
// served over HTTPS with a certificate from a test CA, a renewed certificate is taken on SIGHUP without dropping
// open sessions, and a bad pair is refused (at start) or ignored (on SIGHUP) with a clear message.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import t from 'tap';
import { connectStomp } from '../support/stomp-client.js';
import { makeTestCa, type Leaf } from '../support/test-ca.js';

const ACCOUNT = 'crm';
const SECRET = 'a-long-enough-secret';

function startServer(dir: string, certFile: string, keyFile: string, env: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, ['--import=tsx', 'src/main.ts'], {
    env: {
      ...process.env,
      CC_DATA_DIR: join(dir, 'data'),
      CC_HTTP_PORT: '0',
      CC_SOCKET_PORT: '0',
      CC_FS_PORT: '1',
      CC_LOG_LEVEL: 'info',
      CC_SEED_ACCOUNT: ACCOUNT,
      CC_SEED_SECRET: SECRET,
      CC_TLS_CERT: certFile,
      CC_TLS_KEY: keyFile,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = { text: '' };
  child.stdout.on('data', (d: Buffer) => (output.text += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output.text += d.toString()));
  return { child, output };
}

function listening(
  child: ReturnType<typeof startServer>['child'],
  output: { text: string },
): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no listening line within 30 s: ${output.text}`)),
      30_000,
    );
    const look = () => {
      const m = /callcenter listening: HTTP (https:\/\/127\.0\.0\.1:\d+)/.exec(output.text);
      if (m) {
        clearTimeout(timer);
        child.stdout.off('data', look);
        resolve(m[1]!);
      }
    };
    child.stdout.on('data', look);
    child.once('exit', (code) => reject(new Error(`the server exited (${code}): ${output.text}`)));
  });
}

/** A signed API call over HTTPS (form body for POST, query for GET), trusting only `ca`. */
function signed(
  method: 'GET' | 'POST',
  url: string,
  ca: string,
  fields: Record<string, string>,
): Promise<Record<string, unknown>> {
  const timestamp = String(Date.now());
  const sign = createHash('md5')
    .update(ACCOUNT + timestamp + SECRET)
    .digest('hex');
  const body = new URLSearchParams(fields).toString();
  return new Promise((resolve, reject) => {
    const req = request(
      method === 'GET' ? `${url}?${body}` : url,
      {
        method,
        ca,
        agent: false,
        headers: { account: ACCOUNT, timestamp, sign, 'content-type': 'application/x-www-form-urlencoded' },
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve(JSON.parse(text) as Record<string, unknown>));
      },
    );
    req.on('error', reject);
    req.end(method === 'POST' ? body : undefined);
  });
}

/** GET over HTTPS trusting only `ca`; answers the status, body and the CN of the certificate the server showed. */
function get(url: string, ca: string): Promise<{ status: number; body: string; cn: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, agent: false }, (res) => {
      const cn = String((res.socket as TLSSocket).getPeerCertificate().subject.CN);
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, cn }));
    });
    req.on('error', reject);
    req.end();
  });
}

function install(leaf: Leaf, dir: string) {
  copyFileSync(leaf.certFile, join(dir, 'server.pem'));
  copyFileSync(leaf.keyFile, join(dir, 'server.key'));
}

t.test(
  'HTTPS, WSS and SockJS with CC_TLS_CERT / CC_TLS_KEY, and the certificate re-read on SIGHUP',
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'cc-tls-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const ca = makeTestCa(dir);
    const first = ca.leaf('first', 'cc-first', ['IP:127.0.0.1', 'DNS:localhost']);
    const renewed = ca.leaf('renewed', 'cc-renewed', ['IP:127.0.0.1', 'DNS:localhost']);
    const other = ca.leaf('other', 'cc-other', ['IP:127.0.0.1']);
    install(first, dir);
    const { child, output } = startServer(dir, join(dir, 'server.pem'), join(dir, 'server.key'));
    t.teardown(() => void child.kill('SIGKILL'));
    const base = await listening(child, output);
    t.match(output.text, /STOMP wss:\/\/127\.0\.0\.1:\d+\/callcenter\/ws/, 'the start line names wss://');

    const health = await get(`${base}/health`, ca.ca);
    t.equal(health.status, 200, '/health over HTTPS');
    t.equal(health.cn, 'cc-first', 'with the configured certificate');
    t.equal((await get(`${base}/workbench`, ca.ca)).status, 200, 'the workbench over HTTPS');
    const info = await get(`${base}/callcenter/ws/info`, ca.ca);
    t.equal(info.status, 200, 'SockJS info over HTTPS');
    t.match(JSON.parse(info.body), { websocket: true });
    await t.rejects(fetch(`${base}/health`), 'a client that does not trust the test CA is refused');

    // Without CC_FS_WSS, softphones are sent to FreeSWITCH's WSS on the certificate's name (one host, one certificate).
    const P = `${base}/callcenter/callProject/api`;
    const created = await signed('POST', `${P}/createProject/v1`, ca.ca, { projectCode: 'tls', seats: '1' });
    t.match(
      created,
      { reqResult: { code: 1 }, data: { servers: 'wss://localhost:7443' } },
      'createProject: wss:// on the certificate name',
    );
    const claimed = await signed('GET', `${P}/getByCertificate/v1`, ca.ca, {
      certificate: String((created.data as { certificate: string }).certificate),
      type: '2',
    });
    t.match(
      claimed,
      { reqResult: { code: 1 }, data: { servers: 'wss://localhost:7443' } },
      'getByCertificate too',
    );
    t.notMatch(output.text, /browsers will refuse it|mixed content/, 'no warning about the address');

    const stomp = await connectStomp(base, ACCOUNT, SECRET, { ca: ca.ca });
    t.teardown(() => stomp.close());
    t.ok(stomp.client.connected, 'STOMP CONNECTED over wss://');

    install(renewed, dir);
    child.kill('SIGHUP');
    await t.resolves(
      waitFor(() => output.text.includes('TLS certificate reloaded')),
      'the server says it reloaded',
    );
    t.equal(
      (await get(`${base}/health`, ca.ca)).cn,
      'cc-renewed',
      'new connections get the renewed certificate',
    );
    t.ok(stomp.client.connected, 'the STOMP session opened before the reload is still up');
    const again = await connectStomp(base, ACCOUNT, SECRET, { ca: ca.ca });
    t.ok(again.client.connected, 'and a new one connects');
    await again.close();

    // A renewal copied halfway (the new certificate, the old key): nothing changes, the log says why.
    copyFileSync(other.certFile, join(dir, 'server.pem'));
    child.kill('SIGHUP');
    await t.resolves(
      waitFor(() => output.text.includes('TLS certificate NOT reloaded')),
      'a mismatched pair is not taken',
    );
    t.match(output.text, /server\.key is not the key of the certificate/);
    t.equal(
      (await get(`${base}/health`, ca.ca)).cn,
      'cc-renewed',
      'the previous certificate is still served',
    );

    const code = await new Promise<number | null>((resolve) => {
      child.once('exit', (c) => resolve(c));
      child.kill('SIGTERM');
    });
    t.equal(code, 0, 'SIGTERM still ends it cleanly');
  },
);

t.test(
  'a certificate and a key that do not belong together: the server refuses to start and says why',
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'cc-tls-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const ca = makeTestCa(dir);
    const a = ca.leaf('a', 'a', ['IP:127.0.0.1']);
    const b = ca.leaf('b', 'b', ['IP:127.0.0.1']);
    const { child, output } = startServer(dir, a.certFile, b.keyFile);
    t.teardown(() => void child.kill('SIGKILL'));
    const code = await new Promise<number | null | 'still running'>((resolve) => {
      child.once('exit', resolve);
      setTimeout(() => resolve('still running'), 30_000).unref();
    });
    t.equal(code, 1);
    t.match(
      output.text,
      /callcenter cannot start: CC_TLS_KEY .*b\.key is not the key of the certificate in CC_TLS_CERT/,
    );
    t.notMatch(output.text, /at .*\.ts:\d+/, 'one line, no stack trace');
  },
);

async function waitFor(probe: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

t.test(
  'a node address the WSS certificate does not name, or ws:// behind HTTPS: the start says so',
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'cc-tls-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const ca = makeTestCa(dir);
    const http = ca.leaf('http', 'cc', ['DNS:cc.test']);
    const fs = ca.leaf('fs', 'fs', ['DNS:fs.test']);
    for (const [wss, warning] of [
      [
        'wss://other.test:7443',
        /hands softphones wss:\/\/other\.test:7443, but the WSS certificate names only fs\.test: browsers will refuse it/,
      ],
      [
        'ws://fs.test:5066',
        /hands softphones ws:\/\/fs\.test:5066: a page served over HTTPS cannot open ws:\/\/ \(mixed content\)/,
      ],
    ] as const) {
      const { child, output } = startServer(join(dir, wss.slice(0, 3)), http.certFile, http.keyFile, {
        CC_FS_WSS: wss,
        CC_FS_WSS_CERT: fs.certFile,
      });
      t.teardown(() => void child.kill('SIGKILL'));
      await listening(child, output);
      await waitFor(() => warning.test(output.text));
      t.match(output.text, warning, `${wss}: warned`);
      child.kill('SIGTERM');
    }
  },
);
