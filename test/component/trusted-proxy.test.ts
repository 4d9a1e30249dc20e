// Issue 20, one address in front of the instances: behind a proxy every connection's peer is the proxy. With
// CC_TRUSTED_PROXIES naming it, the login throttle (console Basic, STOMP CONNECT) and the per-address connection cap
// see each client apart (the X-Forwarded-For the proxy appends); without it, or from a peer that is no proxy, the
// header is ignored and a client cannot choose the address it is throttled under.
import { connect as tcpConnect, type Socket } from 'node:net';
import t, { type Test } from 'tap';
import WebSocket from 'ws';
import { clientAddress } from '../../src/api/client-address.js';
import { loadConfig } from '../../src/config.js';
import { trustedProxies } from '../../src/core/trusted-proxies.js';
import { startTestApp } from '../support/app.js';

t.test('clientAddress: believed from a trusted proxy only, nearest untrusted hop first', async (t) => {
  const proxies = trustedProxies(['127.0.0.1', '10.9.0.0/16']);
  t.equal(clientAddress('192.0.2.1', '203.0.113.7', proxies), '192.0.2.1', 'not a proxy: header ignored');
  t.equal(clientAddress('::ffff:127.0.0.1', '203.0.113.7', proxies), '203.0.113.7');
  t.equal(
    clientAddress('127.0.0.1', '6.6.6.6, 203.0.113.7', proxies),
    '203.0.113.7',
    "the client's own claim is not read",
  );
  t.equal(
    clientAddress('127.0.0.1', ['6.6.6.6', '203.0.113.7, 10.9.1.2'], proxies),
    '203.0.113.7',
    'a chain of proxies',
  );
  t.equal(clientAddress('127.0.0.1', undefined, proxies), '127.0.0.1', 'no header: the proxy itself');
  t.equal(clientAddress('127.0.0.1', '203.0.113.7', trustedProxies([])), '127.0.0.1', 'none configured');
  t.throws(() => loadConfig({ CC_TRUSTED_PROXIES: '10.0.0.0/33' }), /CC_TRUSTED_PROXIES: "10.0.0.0\/33"/);
  t.throws(() => loadConfig({ CC_TRUSTED_PROXIES: 'proxy.example.com' }), /CC_TRUSTED_PROXIES/);
  t.same(loadConfig({ CC_TRUSTED_PROXIES: '10.0.0.5, fd00::/8' }).trustedProxies, ['10.0.0.5', 'fd00::/8']);
});

async function app(t: Test, trusted: string[], perAddress = 1000) {
  const ta = await startTestApp({
    trustedProxies: trusted,
    limits: { ...startDefaults.limits, maxConnectionsPerAddress: perAddress },
  });
  t.teardown(ta.close);
  const base = await ta.app.http.listen({ host: '127.0.0.1', port: 0 });
  return { ta, base };
}
const startDefaults = loadConfig({});

const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/** Ten wrong logins (distinct accounts: no lockout) from `from`, through the console and through STOMP. */
async function failTenTimes(base: string, from: string) {
  for (let i = 0; i < 5; i++) {
    const r = await fetch(`${base}/callcenter/console/status`, {
      headers: { authorization: basic(`9${i}00`, 'wrong'), 'x-forwarded-for': from },
    });
    if (r.status !== 401) throw new Error(`expected 401, got ${r.status}`);
  }
  for (let i = 0; i < 5; i++) {
    const ws = new WebSocket(`${base.replace('http', 'ws')}/callcenter/ws`, {
      headers: { 'x-forwarded-for': from },
    });
    await new Promise<void>((resolve, reject) => {
      ws.on('open', () => ws.send(`CONNECT\naccept-version:1.2\nlogin:8${i}00\npasscode:wrong\n\n\0`));
      ws.on('message', (m) => (String(m).startsWith('ERROR') ? resolve() : reject(new Error(String(m)))));
      ws.on('error', reject);
    });
    ws.close();
  }
}

t.test('behind a trusted proxy, one client failing logins does not tarpit another', async (t) => {
  const { ta, base } = await app(t, ['127.0.0.1']);
  await failTenTimes(base, '203.0.113.7');
  const logins = ta.app.ctx.logins;
  t.ok(logins.gate(undefined, '203.0.113.7').delayMs > 0, 'the failing client is tarpitted');
  t.equal(logins.gate(undefined, '198.51.100.2').delayMs, 0, 'another client behind the proxy is not');
  t.equal(logins.gate(undefined, '127.0.0.1').delayMs, 0, 'nor the proxy itself');
});

t.test('without CC_TRUSTED_PROXIES the header is ignored: failures count against the peer', async (t) => {
  const { ta, base } = await app(t, []);
  await failTenTimes(base, '203.0.113.7');
  const logins = ta.app.ctx.logins;
  t.ok(logins.gate(undefined, '127.0.0.1').delayMs > 0, 'the peer is tarpitted');
  t.equal(logins.gate(undefined, '203.0.113.7').delayMs, 0, 'the address the client named is not');
});

async function openSockets(t: Test, base: string, n: number): Promise<boolean[]> {
  const url = new URL(base);
  const sockets: Socket[] = [];
  t.teardown(() => sockets.forEach((s) => s.destroy()));
  for (let i = 0; i < n; i++) {
    const s = tcpConnect(Number(url.port), url.hostname);
    sockets.push(s);
    await new Promise((r) => s.once('connect', r));
  }
  // A refused connection is closed by the server at once.
  await new Promise((r) => setTimeout(r, 300));
  return sockets.map((s) => !s.destroyed && s.readyState === 'open');
}

t.test('a trusted proxy is capped by the total only, not by the per-address cap', async (t) => {
  const { base } = await app(t, ['127.0.0.1'], 2);
  t.same(await openSockets(t, base, 3), [true, true, true]);
});

t.test('an address that is no proxy keeps its per-address cap', async (t) => {
  const { base } = await app(t, [], 2);
  t.same(await openSockets(t, base, 3), [true, true, false]);
});
