// Issue #17 item 7, the HTTP side: what one client may send or hold open. Nested arrays, oversized multipart
// fields and files, bodies trickled byte by byte, and more connections than an address may hold.
import { connect, type Socket } from 'node:net';
import t, { type Test } from 'tap';
import { testConfig } from '../../src/config.js';
import { FORM, form, startTestApp, type TestApp } from '../support/app.js';

const DEEP = `${'['.repeat(20_000)}${']'.repeat(20_000)}`;

async function app(t: Test, limits: Partial<ReturnType<typeof testConfig>['limits']> = {}): Promise<TestApp> {
  const ta = await startTestApp({ limits: { ...testConfig().limits, ...limits } });
  t.teardown(ta.close);
  return ta;
}

const multipart = (boundary: string, parts: { name: string; value: string; filename?: string }[]) =>
  parts
    .map(
      (p) =>
        `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"${p.filename ? `; filename="${p.filename}"\r\nContent-Type: text/csv` : ''}\r\n\r\n${p.value}\r\n`,
    )
    .join('') + `--${boundary}--\r\n`;

t.test('numbers nested 20,000 deep are a 400 naming numbers, not a stack overflow', async (t) => {
  const ta = await app(t);
  const { callListId } = await ta.app.ctx.services.callLists.create('deep');
  for (const [url, payload, type] of [
    [
      '/callcenter/callList/api/append/v1',
      `{"callListId":${callListId},"numbers":${DEEP}}`,
      'application/json',
    ],
    ['/callcenter/callList/api/append/v1', form({ callListId, numbers: `[${DEEP}]` }), FORM['content-type']],
    ['/callcenter/dnc/api/add/v1', `{"numbers":[${DEEP}]}`, 'application/json'],
  ] as const) {
    const r = await ta.app.http.inject({
      method: 'POST',
      url,
      headers: { ...ta.signed(), 'content-type': type },
      payload,
    });
    t.equal(r.statusCode, 400, `${url} ${type}`);
    t.match(
      r.json().reqResult.msg,
      'numbers must be a flat JSON array of phone numbers (value 1 is an array)',
    );
  }
});

t.test('a multipart projectCode of 900,000 characters is refused without being echoed', async (t) => {
  const ta = await app(t);
  const b = 'zz';
  const r = await ta.app.http.inject({
    method: 'POST',
    url: '/callcenter/dnc/api/add/v1',
    headers: { ...ta.signed(), 'content-type': `multipart/form-data; boundary=${b}` },
    payload: multipart(b, [
      { name: 'projectCode', value: 'P'.repeat(900_000) },
      { name: 'file', value: '13800000001\n', filename: 'dnc.csv' },
    ]),
  });
  t.equal(r.statusCode, 400);
  t.equal(r.json().reqResult.msg, 'projectCode must be at most 64 characters');
  t.ok(r.body.length < 200, `the answer is short (${r.body.length} bytes)`);
});

t.test('a multipart CSV upload larger than the 5 MB body limit is refused with 413', async (t) => {
  const ta = await app(t);
  const { callListId } = await ta.app.ctx.services.callLists.create('big');
  const b = 'zz';
  const line = '13800000001\n';
  const r = await ta.app.http.inject({
    method: 'POST',
    url: '/callcenter/callList/api/append/v1',
    headers: { ...ta.signed(), 'content-type': `multipart/form-data; boundary=${b}` },
    payload: multipart(b, [
      { name: 'callListId', value: String(callListId) },
      { name: 'file', value: line.repeat(Math.ceil((5 * 1024 * 1024 + 1) / line.length)), filename: 'n.csv' },
    ]),
  });
  t.equal(r.statusCode, 413, r.body.slice(0, 200));
  t.match(r.json().reqResult, { code: 413, msg: 'file must be at most 5242880 bytes' });
  t.equal((await ta.app.ctx.repos.callLists.numbersAfter(callListId, 0)).length, 0, 'nothing appended');
});

/** A raw TCP client; `closed` resolves with what the server sent before it closed the socket. */
function raw(port: number): Promise<{ socket: Socket; received: () => string; closed: Promise<string> }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    socket.on('data', (d) => (data += d.toString()));
    socket.on('error', () => {});
    const closed = new Promise<string>((r) => socket.on('close', () => r(data)));
    socket.once('connect', () => resolve({ socket, received: () => data, closed }));
    socket.once('error', reject);
  });
}

t.test(
  'a request body trickled byte by byte is cut off with 408 once the request timeout passes',
  async (t) => {
    const ta = await app(t, { requestTimeoutMs: 1000 });
    await ta.app.http.listen({ host: '127.0.0.1', port: 0 });
    const port = (ta.app.http.server.address() as { port: number }).port;
    const c = await raw(port);
    const signed = Object.entries(ta.signed())
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('');
    c.socket.write(
      `POST /callcenter/callList/api/create/v1 HTTP/1.1\r\nHost: x\r\n${signed}Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{`,
    );
    const started = Date.now();
    const trickle = setInterval(() => c.socket.writable && c.socket.write(' '), 100);
    t.teardown(() => clearInterval(trickle));
    const answer = await Promise.race([
      c.closed,
      new Promise<string>((r) => setTimeout(() => r('still open after 8 s'), 8000)),
    ]);
    clearInterval(trickle);
    t.match(answer, /^HTTP\/1\.1 408/, 'the server answered 408 and closed');
    t.match(
      answer,
      /\{"reqResult":\{"code":408,"msg":"the request did not arrive in full within 1 s/,
      'in the envelope',
    );
    t.ok(Date.now() - started < 8000, `within ${Date.now() - started} ms`);
  },
);

t.test('an address may hold only so many connections; others are closed at once', async (t) => {
  const ta = await app(t, { maxConnectionsPerAddress: 3 });
  await ta.app.http.listen({ host: '127.0.0.1', port: 0 });
  const port = (ta.app.http.server.address() as { port: number }).port;
  const held = [await raw(port), await raw(port), await raw(port)];
  t.teardown(() => held.forEach((h) => h.socket.destroy()));
  const fourth = await raw(port);
  const outcome = await Promise.race([
    fourth.closed.then(() => 'closed'),
    new Promise((r) => setTimeout(() => r('open'), 2000)),
  ]);
  t.equal(outcome, 'closed', 'the fourth connection from the same address is closed');
  t.equal(ta.app.ctx.metrics.snapshot()['http.connectionsRefused'], 1, 'and counted');
  held[0]!.socket.destroy();
  await held[0]!.closed;
  await new Promise((r) => setTimeout(r, 50));
  const again = await raw(port);
  t.teardown(() => again.socket.destroy());
  again.socket.write('GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  t.match(await again.closed, /^HTTP\/1\.1 200/, 'once one is closed, a new one is served');
});
