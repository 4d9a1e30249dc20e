// The browser-facing endpoints (src/api/routes/console.ts) and the page server (src/api/pages.ts) on a whole app:
// registered on the app the test harness builds, before it listens, as buildApp's integrator will.
import { extensionsRepo } from '../../src/db/repos/projects.js';
import t, { type Test } from 'tap';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { basicCredentials, consoleRoutes, type ConsoleOptions } from '../../src/api/routes/console.js';
import { fileInside, pageRoutes } from '../../src/api/pages.js';
import { FORM, form, startTestApp, type TestApp } from '../support/app.js';

interface World {
  ta: TestApp;
  certificate: string;
  managerCertificate: string;
  agents: string[];
  manager: string;
  password(username: string): string;
  basic(username: string, password?: string): { authorization: string };
}

async function world(t: Test, opts: Omit<ConsoleOptions, 'ctx'> = {}, pageDirs = {}): Promise<World> {
  const ta = await startTestApp({}, { pages: false });
  t.teardown(ta.close);
  await ta.app.http.register(consoleRoutes, { ctx: ta.app.ctx, ...opts });
  await ta.app.http.register(pageRoutes, pageDirs);
  const { certificate, managerCertificate } = await ta.app.ctx.services.projects.createProject('p1', 2);
  const all = ta.app.ctx.services.agents.ofProject('p1');
  const password = (u: string) => extensionsRepo(ta.store.db).byUsername(u)!.password;
  return {
    ta,
    certificate,
    managerCertificate,
    agents: all.filter((a) => a.type === 2).map((a) => a.username),
    manager: all.find((a) => a.type === 3)!.username,
    password,
    basic: (u, pw = password(u)) => ({
      authorization: `Basic ${Buffer.from(`${u}:${pw}`).toString('base64')}`,
    }),
  };
}

const json = (r: { body: string }) =>
  JSON.parse(r.body) as { data?: unknown; reqResult: { code: number; msg: string } };

t.test(
  'an agent claims an extension with the certificate alone and gets what getByCertificate gives',
  async (t) => {
    const w = await world(t);
    const r = await w.ta.app.http.inject({
      method: 'POST',
      url: '/callcenter/console/claim',
      payload: { certificate: w.certificate, type: 2 },
    });
    t.equal(r.statusCode, 200);
    const body = json(r);
    t.match(body, {
      reqResult: { code: 1 },
      data: { username: w.agents[0], password: w.password(w.agents[0]), projectCode: 'p1', type: 2 },
    });
    t.match(body.data, { servers: /^wss?:\/\//, uri: new RegExp(`^sip:${w.agents[0]}@`) });

    const second = json(
      await w.ta.app.http.inject({
        method: 'POST',
        url: '/callcenter/console/claim',
        headers: FORM,
        payload: form({ certificate: w.certificate, type: 2 }),
      }),
    );
    t.match(
      second.data,
      { username: w.agents[1] },
      'the next claim (a form post works too) gets the next free seat',
    );

    const again = json(
      await w.ta.app.http.inject({
        method: 'POST',
        url: '/callcenter/console/claim',
        payload: {
          certificate: w.certificate,
          type: 2,
          username: w.agents[0],
          password: w.password(w.agents[0]),
        },
      }),
    );
    t.match(
      again.data,
      { username: w.agents[0] },
      'its holder (with its password) claims it again (a reload)',
    );

    const manager = json(
      await w.ta.app.http.inject({
        method: 'POST',
        url: '/callcenter/console/claim',
        payload: { certificate: w.managerCertificate, type: 3 },
      }),
    );
    t.match(manager.data, { username: w.manager, type: 3, projectCode: 'p1' }, 'the manager certificate');
  },
);

t.test(
  'given the agents’ certificate, an agent cannot take the manager’s seat or another agent’s claimed seat',
  async (t) => {
    const w = await world(t);
    const post = (payload: object) =>
      w.ta.app.http.inject({ method: 'POST', url: '/callcenter/console/claim', payload });
    const asManager = await post({ certificate: w.certificate, type: 3 });
    t.equal(asManager.statusCode, 403);
    t.match(json(asManager).reqResult.msg, /does not claim manager extensions/);
    t.notOk(json(asManager).data, 'no password is handed out');
    const namedManager = await post({ certificate: w.certificate, type: 3, username: w.manager });
    t.equal(namedManager.statusCode, 403, 'naming the manager extension does not help');

    const mine = json(await post({ certificate: w.certificate, type: 2 })).data as { username: string };
    const stolen = await post({ certificate: w.certificate, type: 2, username: mine.username });
    t.equal(stolen.statusCode, 409, 'a claimed extension is not handed out again by name');
    t.match(json(stolen).reqResult.msg, /already claimed/);
    t.notOk(json(stolen).data);
    const guessed = await post({
      certificate: w.certificate,
      type: 2,
      username: mine.username,
      password: 'not-the-password',
    });
    t.equal(guessed.statusCode, 409, 'nor with a wrong password');

    const wrongType = await post({ certificate: w.managerCertificate, type: 2 });
    t.equal(wrongType.statusCode, 403, 'the manager certificate claims only managers');

    const released = await w.ta.app.http.inject({
      method: 'POST',
      url: '/callcenter/console/release',
      headers: w.basic(mine.username),
    });
    t.equal(released.statusCode, 200, 'the holder releases its extension');
    const next = json(await post({ certificate: w.certificate, type: 2, username: mine.username }));
    t.match(next.data, { username: mine.username }, 'after a release it can be claimed again');

    const signed = await w.ta.app.http.inject({
      method: 'GET',
      url: `/callcenter/callProject/api/getByCertificate/v1?certificate=${w.certificate}&type=3`,
      headers: w.ta.signed(),
    });
    t.match(json(signed), { reqResult: { code: 1 }, data: { username: w.manager } }, 'the operator may');
  },
);

t.test('a wrong certificate, a finished seat pool or a bad body are answered with the reason', async (t) => {
  const w = await world(t);
  const post = (payload: object) =>
    w.ta.app.http.inject({ method: 'POST', url: '/callcenter/console/claim', payload });
  const unknown = await post({ certificate: 'NOPE', type: 2 });
  t.equal(unknown.statusCode, 404);
  t.match(json(unknown).reqResult, { code: 404, msg: 'certificate is unknown' });
  const noType = await post({ certificate: w.certificate });
  t.equal(noType.statusCode, 400);
  t.match(json(noType).reqResult.msg, /type is required/);
  const badType = await post({ certificate: w.certificate, type: 1 });
  t.match(json(badType).reqResult.msg, /type must be 2 or 3/);
  await post({ certificate: w.certificate, type: 2 });
  await post({ certificate: w.certificate, type: 2 });
  const full = await post({ certificate: w.certificate, type: 2 });
  t.equal(full.statusCode, 409);
  t.match(json(full).reqResult.msg, /no unclaimed type 2 extension/);
});

t.test('the manager reads its project extensions with Basic credentials; others are refused', async (t) => {
  const w = await world(t);
  w.ta.app.ctx.services.agents.apply(w.agents[0], { kind: 'registered' });
  w.ta.app.ctx.services.agents.setWork(w.agents[0], 1);
  const get = (headers: Record<string, string> = {}, projectCode = 'p1') =>
    w.ta.app.http.inject({
      method: 'GET',
      url: `/callcenter/console/extensions?projectCode=${projectCode}`,
      headers,
    });

  const ok = await get(w.basic(w.manager));
  t.equal(ok.statusCode, 200);
  const rows = json(ok).data as Array<Record<string, unknown>>;
  t.same(
    rows.map((r) => r.username),
    [...w.agents, w.manager],
  );
  t.match(rows[0], { username: w.agents[0], status: 1, workStatus: 1, sessionStatus: 0, type: 2 });
  t.same(
    rows,
    await w.ta.app.ctx.services.projects.extensionsOf('p1'),
    'the same rows as getExtentionByProject',
  );

  const none = await get();
  t.equal(none.statusCode, 401);
  t.notOk(none.headers['www-authenticate'], 'no browser login dialog');
  t.match(json(none).reqResult.msg, /HTTP Basic/);
  t.equal((await get(w.basic(w.manager, 'wrong'))).statusCode, 401);
  t.equal((await get(w.basic('9999', 'x'))).statusCode, 401, 'an unknown extension');
  t.equal((await get({ authorization: 'Bearer abc' })).statusCode, 401);
  const agent = await get(w.basic(w.agents[0]));
  t.equal(agent.statusCode, 403);
  t.match(json(agent).reqResult.msg, /not a manager/);

  await w.ta.app.ctx.services.projects.createProject('p2', 1);
  const other = await get(w.basic(w.manager), 'p2');
  t.equal(other.statusCode, 403);
  t.match(json(other).reqResult.msg, /does not belong to project p2/);
});

t.test('the owner of a project (issue 20): its manager only; a lone instance owns it', async (t) => {
  const w = await world(t);
  const get = (headers: Record<string, string> = {}, projectCode = 'p1') =>
    w.ta.app.http.inject({
      method: 'GET',
      url: `/callcenter/console/owner?projectCode=${projectCode}`,
      headers,
    });
  const me = w.ta.app.ctx.config.cluster.instanceId;
  const ok = await get(w.basic(w.manager));
  t.equal(ok.statusCode, 200);
  t.same(json(ok).data, { instance: me, servedBy: me });
  t.equal((await get()).statusCode, 401, 'no credentials');
  t.equal((await get(w.basic(w.manager, 'wrong'))).statusCode, 401, 'a wrong password');
  const agent = await get(w.basic(w.agents[0]));
  t.equal(agent.statusCode, 403, "an agent's password is not a manager's");
  t.match(json(agent).reqResult.msg, /not a manager/);
  await w.ta.app.ctx.services.projects.createProject('p2', 1);
  const other = await get(w.basic(w.manager), 'p2');
  t.equal(other.statusCode, 403, "nor another project's manager");
  t.match(json(other).reqResult.msg, /does not belong to project p2/);
});

t.test('a disabled extension cannot use the console', async (t) => {
  const w = await world(t);
  w.ta.app.ctx.services.agents.setWork(w.agents[0], -1);
  const r = await w.ta.app.http.inject({
    method: 'GET',
    url: '/callcenter/console/status',
    headers: w.basic(w.agents[0]),
  });
  t.equal(r.statusCode, 403);
  t.match(json(r).reqResult.msg, /disabled/);
});

t.test('an agent reads its own state for the first paint', async (t) => {
  const w = await world(t);
  w.ta.app.ctx.services.agents.setWork(w.agents[1], 1);
  const r = await w.ta.app.http.inject({
    method: 'GET',
    url: '/callcenter/console/status',
    headers: w.basic(w.agents[1]),
  });
  t.match(json(r), {
    reqResult: { code: 1 },
    data: {
      username: w.agents[1],
      workStatus: 1,
      sessionStatus: 0,
      status: 0,
      projectCode: 'p1',
      workType: 10,
    },
  });
});

t.test(
  'preview numbers: 503 until the dialer offers them, then the agent gets its project numbers',
  async (t) => {
    const without = await world(t);
    const r = await without.ta.app.http.inject({
      method: 'GET',
      url: '/callcenter/console/callList?callTaskCode=t1',
      headers: without.basic(without.agents[0]),
    });
    t.equal(r.statusCode, 503);
    t.match(json(r).reqResult.msg, /getCallList/);

    const asked: unknown[] = [];
    const w = await world(t, {
      previewNumbers: async (req) => {
        asked.push(req);
        return { items: [{ phone: '13800000001' }] };
      },
    });
    const got = await w.ta.app.http.inject({
      method: 'GET',
      url: '/callcenter/console/callList?callTaskCode=t1&count=3',
      headers: w.basic(w.agents[0]),
    });
    t.match(json(got), { reqResult: { code: 1 }, data: { items: [{ phone: '13800000001' }] } });
    await w.ta.app.http.inject({
      method: 'GET',
      url: '/callcenter/console/callList?callTaskCode=t1',
      headers: w.basic(w.agents[0]),
    });
    t.same(asked, [
      { projectCode: 'p1', username: w.agents[0], callTaskCode: 't1', count: 3 },
      { projectCode: 'p1', username: w.agents[0], callTaskCode: 't1', count: 5 },
    ]);
    const manager = await w.ta.app.http.inject({
      method: 'GET',
      url: '/callcenter/console/callList?callTaskCode=t1',
      headers: w.basic(w.manager),
    });
    t.equal(manager.statusCode, 403, 'numbers go to agents');
  },
);

t.test('task snapshot for the manager: 503 until offered, then the bodies as given', async (t) => {
  const without = await world(t);
  const r = await without.ta.app.http.inject({
    method: 'GET',
    url: '/callcenter/console/tasks?projectCode=p1',
    headers: without.basic(without.manager),
  });
  t.equal(r.statusCode, 503);
  const w = await world(t, { taskStatuses: async (p) => [{ code: `${p}-t1`, status: 2 }] });
  const got = await w.ta.app.http.inject({
    method: 'GET',
    url: '/callcenter/console/tasks?projectCode=p1',
    headers: w.basic(w.manager),
  });
  t.match(json(got), { reqResult: { code: 1 }, data: [{ code: 'p1-t1', status: 2 }] });
});

t.test(
  'Basic credentials: the password may contain colons; malformed headers are no credentials',
  async (t) => {
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    t.same(basicCredentials(`Basic ${b64('1000:a:b')}`), { user: '1000', password: 'a:b' });
    t.same(basicCredentials(`basic ${b64('1000:')}`), { user: '1000', password: '' });
    t.equal(basicCredentials(`Basic ${b64(':pw')}`), undefined);
    t.equal(basicCredentials(`Basic ${b64('nocolon')}`), undefined);
    t.equal(basicCredentials('Basic !!!'), undefined);
    t.equal(basicCredentials(undefined), undefined);
  },
);

t.test('the pages, their assets and the SDK are served; nothing outside their folders is', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cc-pages-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const pagesDir = join(dir, 'pages');
  const sdkDir = join(dir, 'sdk');
  mkdirSync(pagesDir);
  mkdirSync(sdkDir);
  writeFileSync(join(pagesDir, 'workbench.html'), '<title>wb</title>');
  writeFileSync(join(pagesDir, 'workbench.js'), 'void 0;');
  writeFileSync(join(pagesDir, 'style.css'), 'body{}');
  writeFileSync(join(sdkDir, 'mysoftphone.js'), 'window.MySoftPhone = 1;');
  writeFileSync(join(dir, 'secret.txt'), 'no');
  const w = await world(t, {}, { pagesDir, sdkDir });
  const get = (url: string) => w.ta.app.http.inject({ method: 'GET', url });

  const page = await get('/workbench');
  t.equal(page.statusCode, 200);
  t.equal(page.body, '<title>wb</title>');
  t.match(page.headers['content-type'], /^text\/html/);
  t.match(page.headers['content-security-policy'], /script-src|default-src 'self'/);
  t.equal(page.headers['cache-control'], 'no-cache');
  t.match((await get('/pages/workbench.js')).headers['content-type'], /^text\/javascript/);
  t.match((await get('/pages/style.css')).headers['content-type'], /^text\/css/);
  const sdk = await get('/sdk/mysoftphone.js');
  t.equal(sdk.body, 'window.MySoftPhone = 1;');
  t.notOk(sdk.headers['content-security-policy'], "the SDK's demo page keeps its inline script");

  const noLanding = await get('/');
  t.equal(noLanding.statusCode, 503, 'the landing page not built yet');
  t.match(json(noLanding).reqResult.msg, /index\.html is not built: run node scripts\/build-pages\.mjs/);
  writeFileSync(join(pagesDir, 'index.html'), '<title>cc</title>');
  const landing = await get('/');
  t.equal(landing.statusCode, 200, 'GET / is the landing page, not "no such endpoint"');
  t.equal(landing.body, '<title>cc</title>');
  t.match(landing.headers['content-security-policy'], /default-src 'self'/);

  const missing = await get('/manager');
  t.equal(missing.statusCode, 503);
  t.match(json(missing).reqResult.msg, /manager\.html is not built: run node scripts\/build-pages\.mjs/);
  for (const url of [
    '/pages/../secret.txt',
    '/pages/%2e%2e/secret.txt',
    '/pages/..%2fsecret.txt',
    '/sdk//etc/passwd',
  ])
    t.equal((await get(url)).statusCode, 404, url);
  t.equal((await get('/pages/nothing.js')).statusCode, 404);
  t.equal((await get('/pages/workbench.exe')).statusCode, 404, 'only known file types');
});

t.test('fileInside keeps requests inside the folder', async (t) => {
  t.equal(fileInside('/srv/pages', 'a/b.js'), '/srv/pages/a/b.js');
  for (const bad of ['../x', 'a/../../x', '/etc/passwd', 'a//b', '', 'a\\b', '.', './x'])
    t.equal(fileInside('/srv/pages', bad), undefined, bad);
});
