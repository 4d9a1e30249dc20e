// Issue #12 (security and input hardening), the STOMP side, on a whole app listening on an ephemeral port: who may
// log in, what a session may subscribe to, how much a session may hold.
import { extensionsRepo } from '../../src/db/repos/projects.js';
import t, { type Test } from 'tap';
import WebSocket from 'ws';
import { testConfig } from '../../src/config.js';
import { startTestApp, type TestApp } from '../support/app.js';

interface RawStomp {
  frames: Array<{ command: string; headers: Record<string, string>; body: string }>;
  closed: Promise<void>;
  isClosed(): boolean;
  send(frame: string): void;
  /** Resolves with the first frame (already received ones count) whose command is `command`. */
  next(command: string, timeoutMs?: number): Promise<{ command: string; headers: Record<string, string> }>;
  close(): void;
}

/** A bare STOMP client over a plain WebSocket: what an attacker's script sends, frame by frame. */
async function rawStomp(base: string, login: string, passcode: string, heartBeat = '0,0'): Promise<RawStomp> {
  const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/callcenter/ws`);
  const frames: RawStomp['frames'] = [];
  let closed = false;
  const closedP = new Promise<void>((resolve) =>
    ws.on('close', () => {
      closed = true;
      resolve();
    }),
  );
  ws.on('message', (data) => {
    for (const raw of String(data).split('\0')) {
      const text = raw.replace(/^\n+/, '');
      if (!text) continue;
      const [head, ...rest] = text.split('\n\n');
      const [command, ...lines] = head.split('\n');
      const headers: Record<string, string> = {};
      for (const l of lines) {
        const i = l.indexOf(':');
        if (i > 0) headers[l.slice(0, i)] ??= l.slice(i + 1);
      }
      frames.push({ command, headers, body: rest.join('\n\n') });
    }
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  ws.send(
    `CONNECT\naccept-version:1.2\nhost:cc\nlogin:${login}\npasscode:${passcode}\nheart-beat:${heartBeat}\n\n\0`,
  );
  const self: RawStomp = {
    frames,
    closed: closedP,
    isClosed: () => closed,
    send: (frame) => ws.send(frame),
    async next(command, timeoutMs = 3000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const f = frames.find((x) => x.command === command);
        if (f) return f;
        if (Date.now() > until)
          throw new Error(`no ${command} frame; got ${frames.map((x) => x.command).join(',')}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    close: () => ws.close(),
  };
  return self;
}

interface World {
  ta: TestApp;
  base: string;
  password(username: string): string;
  agentsOf(projectCode: string): string[];
}

async function world(t: Test): Promise<World> {
  const ta = await startTestApp();
  t.teardown(ta.close);
  const base = await ta.app.http.listen({ host: '127.0.0.1', port: 0 });
  return {
    ta,
    base,
    password: (u) => extensionsRepo(ta.store.db).byUsername(u)!.password,
    agentsOf: (p) =>
      ta.app.ctx.services.agents
        .ofProject(p)
        .filter((a) => a.type === 2)
        .map((a) => a.username),
  };
}

t.test(
  'given a project whose code equals an agent’s extension number, that agent cannot read the project’s topics',
  async (t) => {
    const w = await world(t);
    await w.ta.app.ctx.services.projects.createProject('pa', 1);
    const [agent] = w.agentsOf('pa');
    // Another operator's project happens to be named like the agent's extension.
    await w.ta.app.ctx.services.projects.createProject(agent, 1);
    for (const topic of ['callExtStatus', 'callTaskStatus', 'task']) {
      const c = await rawStomp(w.base, agent, w.password(agent));
      t.teardown(() => c.close());
      await c.next('CONNECTED');
      c.send(`SUBSCRIBE\nid:1\ndestination:/topic/${topic}/${agent}\nreceipt:r\n\n\0`);
      const error = await c.next('ERROR');
      t.match(error.headers, { message: 'subscription refused' }, `/topic/${topic}/${agent} is refused`);
    }
    const own = await rawStomp(w.base, agent, w.password(agent));
    t.teardown(() => own.close());
    own.send(`SUBSCRIBE\nid:1\ndestination:/topic/status/${agent}\nreceipt:r\n\n\0`);
    await own.next('RECEIPT');
    t.pass('its own user topic is still allowed');
  },
);

t.test('STOMP service logins obey the account’s rules: disabled, expired, IP allowlist', async (t) => {
  const w = await world(t);
  const { repos, clock } = w.ta.app.ctx;
  const now = clock.now();
  await repos.accounts.insert({
    account: 'walled',
    secret: 'walled-secret-0123456789',
    ipAllowlist: '10.0.0.5',
    now,
  });
  await repos.accounts.insert({
    account: 'old',
    secret: 'old-secret-0123456789abc',
    expiresAt: now - 1000,
    now,
  });
  await repos.accounts.insert({ account: 'off', secret: 'off-secret-0123456789abc', now });
  await repos.accounts.update('off', { status: 0 }, now);
  for (const [login, secret, why] of [
    ['walled', 'walled-secret-0123456789', /not allowed/],
    ['old', 'old-secret-0123456789abc', /expired/],
    ['off', 'off-secret-0123456789abc', /disabled/],
  ] as const) {
    const c = await rawStomp(w.base, login, secret);
    const error = await c.next('ERROR');
    t.match(error.headers.message, /authentication failed/, `${login} is refused`);
    t.match(c.frames.find((f) => f.command === 'ERROR')?.body, why);
    t.notOk(c.frames.some((f) => f.command === 'CONNECTED'));
    c.close();
  }
  const good = await rawStomp(w.base, 'crm', 'test-secret-0123456789abcdef');
  t.teardown(() => good.close());
  await good.next('CONNECTED');
  good.send('SEND\ndestination:/topic/invite/1000\nreceipt:s\n\n{"callId":"forged"}\0');
  t.match((await good.next('ERROR')).headers, { message: 'send refused' }, 'a service cannot publish');
});

t.test('disabling an extension closes its open STOMP session', async (t) => {
  const w = await world(t);
  await w.ta.app.ctx.services.projects.createProject('p1', 1);
  const [agent] = w.agentsOf('p1');
  const c = await rawStomp(w.base, agent, w.password(agent));
  t.teardown(() => c.close());
  await c.next('CONNECTED');
  const r = await w.ta.app.http.inject({
    method: 'POST',
    url: '/callcenter/callProject/api/setExtensionStatus/v1',
    headers: { ...w.ta.signed(), 'content-type': 'application/x-www-form-urlencoded' },
    payload: `username=${agent}&workStatus=-1`,
  });
  t.equal(r.statusCode, 200);
  const error = await c.next('ERROR');
  t.match(error.headers.message, /disconnected/);
  t.match(c.frames.find((f) => f.command === 'ERROR')?.body, /extension was disabled/);
  await c.closed;
  t.ok(c.isClosed(), 'the session is gone');
  const again = await rawStomp(w.base, agent, w.password(agent));
  t.match((await again.next('ERROR')).headers.message, /authentication failed/, 'and it cannot log in again');
  again.close();
});

t.test('failed STOMP logins are logged with login and address, and locked out', async (t) => {
  const w = await world(t);
  await w.ta.app.ctx.services.projects.createProject('p1', 1);
  const [agent] = w.agentsOf('p1');
  for (let i = 0; i < 5; i++) {
    const c = await rawStomp(w.base, agent, 'wrong');
    t.match(c.frames.length ? c.frames[0].body : (await c.next('ERROR'), c.frames[0].body), /wrong/);
    c.close();
  }
  const locked = await rawStomp(w.base, agent, w.password(agent));
  await locked.next('ERROR');
  t.match(locked.frames.find((f) => f.command === 'ERROR')?.body, /too many failed logins/);
  locked.close();
  t.equal(w.ta.app.ctx.logins.counters.failures, 5);
  w.ta.clock.advance(1000);
  const ok = await rawStomp(w.base, agent, w.password(agent));
  t.teardown(() => ok.close());
  await ok.next('CONNECTED');
});

t.test(
  "issue #17: wrong passwords for a login that does not exist do not lock out another agent's right password",
  async (t) => {
    const w = await world(t);
    await w.ta.app.ctx.services.projects.createProject('p1', 2);
    const [, agentB] = w.agentsOf('p1');
    for (let i = 0; i < 6; i++) {
      const c = await rawStomp(w.base, '9999', 'wrong');
      await c.next('ERROR');
      c.close();
    }
    const attacked = await rawStomp(w.base, '9999', 'wrong');
    t.teardown(() => attacked.close());
    const error = await attacked.next('ERROR');
    t.match(
      attacked.frames.find((f) => f.command === 'ERROR')?.body,
      /too many failed logins for 9999; try again in \d+ s/,
      'the attacked login is locked and told when to retry',
    );
    t.equal(error.headers.message, 'authentication failed');
    const b = await rawStomp(w.base, agentB, w.password(agentB));
    t.teardown(() => b.close());
    await b.next('CONNECTED');
    t.pass('agent B, from the same address, logs in with its right password');
  },
);

t.test('issue #17: one login holds at most CC_STOMP_SESSIONS_PER_USER sessions at once', async (t) => {
  const ta = await startTestApp({ limits: { ...testConfig().limits, stompSessionsPerUser: 2 } });
  t.teardown(ta.close);
  const base = await ta.app.http.listen({ host: '127.0.0.1', port: 0 });
  await ta.app.ctx.services.projects.createProject('p1', 2);
  const [agent, other] = ta.app.ctx.services.agents.ofProject('p1').map((a) => a.username);
  const pw = (u: string) => extensionsRepo(ta.store.db).byUsername(u)!.password;
  const held = [await rawStomp(base, agent!, pw(agent!)), await rawStomp(base, agent!, pw(agent!))];
  t.teardown(() => held.forEach((c) => c.close()));
  for (const c of held) await c.next('CONNECTED');
  const third = await rawStomp(base, agent!, pw(agent!));
  t.teardown(() => third.close());
  const error = await third.next('ERROR');
  t.equal(error.headers.message, 'too many sessions');
  t.match(third.frames.find((f) => f.command === 'ERROR')?.body, /already has 2 STOMP sessions open/);
  const another = await rawStomp(base, other!, pw(other!));
  t.teardown(() => another.close());
  await another.next('CONNECTED');
  t.pass('another agent is not affected');
  held[0]!.close();
  await held[0]!.closed;
  const after = await rawStomp(base, agent!, pw(agent!));
  t.teardown(() => after.close());
  await after.next('CONNECTED');
  t.pass('once a session closes, the login may open another');
});
