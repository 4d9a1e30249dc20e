// The workbench and the manager page in a real browser, served by the app itself, meant to run inside its own
// network namespace (workbench.test.ts starts it under `unshare -n` with only lo up): the app with its page and
// console plugins, the FreeSWITCH emulator, and Debian's chromium. The emulator has no SIP, so the page's
// softphone fails to register (and says so); the agent's phone in the emulator answers the calls instead.
// Prints one JSON line per step ({step, ok, detail}) and a last {done, figures} line; screenshots go to
// test-output/pages/.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { eq } from 'drizzle-orm';
import { chromium, type Browser, type Page } from 'playwright-core';
import { consoleRoutes } from '../../src/api/routes/console.js';
import { pageRoutes } from '../../src/api/pages.js';
import { systemClock } from '../../src/core/clock.js';
import { fsNodes, projects, tasks } from '../../src/db/schema.js';
import { callTaskStatusBody } from '../../src/dialer/task-status.js';
import { socketToken } from '../../src/calls/leg-proof.js';
import { startEmulator, type Emulator } from '../freeswitch-emulator/index.js';
import { FORM, form, startTestApp, type TestApp } from '../support/app.js';
import { chromiumFlags, chromiumPath, runSteps } from './namespace-run.js';
import { poll, textOf, check, PAGE_STEP_TIMEOUT_MS as STEP_TIMEOUT_MS } from './page-helpers.js';

const here = dirname(fileURLToPath(import.meta.url));
const screenshotDir = join(here, '../../test-output/pages');
const CUSTOMER = '13900000001';

// As test/browser/softphone-scenario.ts launches it (that module runs its scenario on import).

function report(line: Record<string, unknown>): void {
  process.stdout.write(JSON.stringify(line) + '\n');
}

interface World {
  ta: TestApp;
  fs: Emulator;
  baseUrl: string;
  certificate: string;
  managerCertificate: string;
  agent: string;
  other: string;
  manager: string;
  wb: Page;
  mgr: Page;
  /** A workbench whose /sdk/mysoftphone.js is FAKE_SDK: the softphone side without a SIP server. */
  stand: Page;
  pageErrors: string[];
}

/**
 * A stand-in for the SDK bundle with MySoftPhone's surface as the pages use it: it registers at once, records what
 * the page asks of it, and lets the test ring the phone (window.fake.ring) to drive answerConfirmFn.
 */
const FAKE_SDK = `
window.fake = { did: [], options: null, answers: [] };
window.MySoftPhone = class {
  constructor(options, confirm) {
    window.fake.options = options;
    window.fake.phone = this;
    this.confirm = confirm;
    this.handlers = {};
    this.sessions = [];
    setTimeout(() => this.emit('registered', {}), 0);
  }
  on(event, fn) { (this.handlers[event] = this.handlers[event] || []).push(fn); return this; }
  emit(event, arg) { for (const fn of this.handlers[event] || []) fn(arg); }
  agentLogin() { window.fake.did.push('agent_login'); }
  agentLogoff() { window.fake.did.push('agent_logoff'); }
  enterFifo(p) { window.fake.did.push('fifo' + p); }
  ring(from) {
    Promise.resolve(this.confirm(from)).then((yes) => {
      window.fake.answers.push(yes);
      if (!yes) return;
      const leg = {
        hangup: () => { window.fake.did.push('hangup'); this.sessions = []; this.emit('ended', {}); },
        hold: async () => { window.fake.did.push('hold'); return true; },
        unhold: async () => { window.fake.did.push('unhold'); return true; },
      };
      this.sessions.push(leg);
      this.emit('answered', {});
    });
  }
};`;

/** Waits until the page has more than `before` elements matching `selector`. */
async function moreThan(page: Page, selector: string, before: number): Promise<void> {
  const n = await poll<number>(
    page,
    `document.querySelectorAll(${JSON.stringify(selector)}).length > ${before}`,
  );
  if (!n) throw new Error(`no new ${selector} on ${page.url()}`);
}

async function until<T>(
  what: string,
  fn: () => T | undefined | false,
  timeout = STEP_TIMEOUT_MS,
): Promise<T> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const agentState = (w: World, u: string) => w.ta.app.ctx.services.agents.get(u)?.state;
const row = (username: string, cell: string) => `#extTable tr[data-username="${username}"] td.${cell}`;

let calls = 0;
/** What the dialer does: originate the customer leg with our variables and the socket app. */
async function dialCustomer(w: World, socketApp: string, number: string): Promise<string> {
  const callId = `00000000-0000-4000-8000-${String(++calls).padStart(12, '0')}`;
  const vars = {
    origination_uuid: callId,
    cc_call_id: callId,
    cc_role: 'customer',
    cc_number: number,
    cc_flow: 'direct',
    cc_task: 't1',
    cc_project: 'pw',
    ...w.ta.app.guard.legs.originating(1, callId, { flow: 'direct' }, 120_000),
  };
  const block = `{${Object.entries(vars)
    .map(([k, v]) => `${k}=${v}`)
    .join(',')}}`;
  const r = await w.ta.app.nodes.bgapi(1, `originate ${block}sofia/gateway/gw1/${number} '&${socketApp}'`);
  if (!r.ok) throw new Error(`originate: ${r.error.text}`);
  return callId;
}

const steps = (socketApp: string): Array<[string, (w: World) => Promise<string | void>]> => [
  [
    'the server serves /workbench with the softphone bundle and the page script',
    async ({ wb, baseUrl }) => {
      const r = await wb.goto(`${baseUrl}/workbench`);
      check(r?.status() === 200, `GET /workbench: ${r?.status()}`);
      const loaded = await poll(wb, 'typeof window.MySoftPhone === "function"');
      check(loaded === true, 'window.MySoftPhone is not defined: /sdk/mysoftphone.js did not load');
      await textOf(wb, 'h1', /坐席工作台/);
    },
  ],
  [
    'a wrong certificate is refused with the server’s reason',
    async ({ wb }) => {
      await wb.fill('#certificate', 'NOT-A-CERTIFICATE');
      await wb.click('#claimButton');
      await textOf(wb, '#claimError', /certificate is unknown/);
    },
  ],
  [
    'the agent claims an extension with the certificate and the desk opens',
    async ({ wb, certificate, agent }) => {
      await wb.fill('#certificate', certificate);
      await wb.click('#claimButton');
      await textOf(wb, '#me', new RegExp(`^${agent}$`));
      check(await wb.isVisible('#desk'), 'the desk is hidden');
      check(!(await wb.isVisible('#claimPanel')), 'the claim form is still shown');
      await textOf(wb, '#project', /project pw/);
    },
  ],
  [
    'STOMP connects with the extension and its SIP password',
    async (w) => {
      await textOf(w.wb, '#stompState', /connected/);
      await until('a broker session', () => w.ta.app.broker.sessions() >= 1);
    },
  ],
  [
    'with no SIP server reachable, the softphone says registration failed instead of breaking the page',
    async ({ wb }) => {
      await textOf(wb, '#phoneState', /注册失败/);
      const msg = await textOf(wb, '#messages', /softphone/);
      return msg.slice(0, 120);
    },
  ],
  [
    'idle makes the agent available on the server, and the page shows the server’s answer and state',
    async (w) => {
      await textOf(w.wb, '#workState', /忙碌/);
      await w.wb.click('#idle');
      await until('workStatus 1', () => agentState(w, w.agent)?.workStatus === 1);
      await textOf(w.wb, '#messages', /置闲成功/);
      await textOf(w.wb, '#workState', /空闲/);
    },
  ],
  [
    'the manager logs in with the manager certificate and sees the extension table with the agent available',
    async (w) => {
      const r = await w.mgr.goto(`${w.baseUrl}/manager`);
      check(r?.status() === 200, `GET /manager: ${r?.status()}`);
      await w.mgr.fill('#certificate', w.managerCertificate);
      await w.mgr.click('#claimButton');
      await textOf(w.mgr, '#me', new RegExp(`^${w.manager}$`));
      await textOf(w.mgr, '#stompState', /connected/);
      await textOf(w.mgr, row(w.agent, 'work'), /空闲/);
      await textOf(w.mgr, row(w.agent, 'reg'), /已注册/);
      await textOf(w.mgr, row(w.other, 'work'), /忙碌/);
      await textOf(w.mgr, '#sumAvailable', /^1$/);
      await textOf(w.mgr, '#taskTable tr[data-task="t1"]', /运行中/);
    },
  ],
  [
    'a customer call is offered: the workbench shows the customer’s number ringing, then talking',
    async (w) => {
      w.fs.setPeer(CUSTOMER, { kind: 'answer', answerAfterMs: 0, hangupAfterMs: 300_000 });
      const callId = await dialCustomer(w, socketApp, CUSTOMER);
      await textOf(w.wb, '#events', new RegExp(`invite ${CUSTOMER}`));
      await textOf(w.wb, '#callPhase', /通话中/);
      await textOf(w.wb, '#callNumber', new RegExp(`^${CUSTOMER}$`));
      await textOf(w.wb, '#callId', new RegExp(callId));
      await textOf(w.wb, '#callTask', /^t1$/);
      await textOf(w.wb, '#sessionState', /通话中/);
      const on = await w.wb.evaluate(
        `['hangup', 'transfer'].every((id) => !document.getElementById(id).disabled)`,
      );
      check(on === true, 'hang up and transfer are not enabled during the call');
    },
  ],
  [
    'the manager’s table follows: the agent is talking with the customer’s number',
    async (w) => {
      await textOf(w.mgr, row(w.agent, 'session'), /通话中/);
      await textOf(w.mgr, row(w.agent, 'number'), new RegExp(CUSTOMER));
      await textOf(w.mgr, '#sumTalking', /^1$/);
      mkdirSync(screenshotDir, { recursive: true });
      await w.wb.screenshot({ path: join(screenshotDir, 'workbench-call.png'), fullPage: true });
      await w.mgr.screenshot({ path: join(screenshotDir, 'manager-call.png'), fullPage: true });
    },
  ],
  [
    'the customer hangs up: bye ends the call on the workbench and the manager sees the agent free',
    async (w) => {
      const leg = await until('the customer leg', () =>
        w.fs.channels().find((c) => c.destinationNumber === CUSTOMER),
      );
      w.fs.remoteHangup(leg.uuid);
      await textOf(w.wb, '#events', new RegExp(`bye ${CUSTOMER}`));
      await textOf(w.wb, '#callPhase', /已挂断/);
      await textOf(w.wb, '#callNumber', new RegExp(`^${CUSTOMER}$`));
      const off = await w.wb.evaluate(
        `['hangup', 'transfer'].every((id) => document.getElementById(id).disabled)`,
      );
      check(off === true, 'hang up and transfer stay enabled after the call');
      await textOf(w.mgr, row(w.agent, 'session'), /未通话/);
      await textOf(w.mgr, row(w.agent, 'number'), /^$/);
    },
  ],
  [
    'a message sent with the signed sendToUser API appears on the workbench',
    async (w) => {
      const r = await w.ta.app.http.inject({
        method: 'POST',
        url: '/callcenter/callProject/api/sendToUser/v1',
        headers: { ...w.ta.signed(), ...FORM },
        payload: form({ projectCode: 'pw', username: w.agent, content: '请注意: 今天下午三点开会' }),
      });
      check(r.statusCode === 200, `sendToUser: ${r.statusCode} ${r.body}`);
      await textOf(w.wb, '#messages', /今天下午三点开会/);
    },
  ],
  [
    'busy on the workbench updates the server and the manager’s table live',
    async (w) => {
      await w.wb.click('#busy');
      await until('workStatus 0', () => agentState(w, w.agent)?.workStatus === 0);
      await textOf(w.wb, '#messages', /置忙成功/);
      await textOf(w.mgr, row(w.agent, 'work'), /忙碌/);
      await textOf(w.mgr, '#sumAvailable', /^0$/);
    },
  ],
  [
    'the manager’s eavesdrop button reaches the server, whose answer appears on the manager page',
    async (w) => {
      const before = await w.mgr.locator('#messages li').count();
      await w.mgr.click(`#extTable tr[data-username="${w.agent}"] button[data-action="eavesdrop"]`);
      // One line says the command was sent, the next is the server's answer.
      await moreThan(w.mgr, '#messages li', before + 1);
      const answer = await textOf(w.mgr, '#messages li:first-child', /服务器 server/);
      return answer;
    },
  ],
  [
    'preview dialling: the agent gets numbers and dials one; the server answers the dial',
    async (w) => {
      await w.wb.fill('#previewTask', 't1');
      await w.wb.click('#getNumbers');
      await textOf(w.wb, '#previewAnswer', /2 个号码/);
      await textOf(w.wb, '#previewList', /13700000001.*13700000002/);
      const before = await w.wb.locator('#messages li, #events li').count();
      await w.wb.click('#previewList li:first-child button');
      check((await w.wb.inputValue('#dialNumber')) === '13700000001', 'the number to dial is not filled in');
      await moreThan(w.wb, '#messages li, #events li', before);
      return textOf(w.wb, '#messages li:first-child', /./);
    },
  ],
  [
    'with a softphone: it registers with the claimed extension and the ?sip= server, and the dial-code buttons use it',
    async (w) => {
      await w.stand.route('**/sdk/mysoftphone.js', (route) =>
        route.fulfill({ status: 200, contentType: 'text/javascript', body: FAKE_SDK }),
      );
      await w.stand.goto(
        `${w.baseUrl}/workbench?sip=ws://127.0.0.1:5066#certificate=${w.certificate}&username=${w.other}`,
      );
      await w.stand.click('#claimButton');
      await textOf(w.stand, '#phoneState', /已注册/);
      const options = (await w.stand.evaluate('window.fake.options')) as Record<string, unknown>;
      check(
        options.authorizationUser === w.other &&
          options.password === (await w.ta.app.ctx.repos.extensions.byUsername(w.other))?.password &&
          JSON.stringify(options.wsServers) === '["ws://127.0.0.1:5066"]' &&
          options.uri === `sip:${w.other}@127.0.0.1`,
        `the softphone got ${JSON.stringify(options)}`,
      );
      for (const id of ['#agentLogin', '#agentLogoff', '#fifo']) await w.stand.click(id);
      const did = await poll<string[]>(w.stand, 'window.fake.did.length === 3 && window.fake.did');
      check(
        JSON.stringify(did) === '["agent_login","agent_logoff","fifopw"]',
        `the phone did ${JSON.stringify(did)}`,
      );
    },
  ],
  [
    'an incoming call asks the agent in the page (answerConfirmFn): decline says no, answer says yes; hold and hang up act on the leg',
    async (w) => {
      const page = w.stand;
      await page.evaluate('window.fake.phone.ring("13900000009")');
      await textOf(page, '#incomingNumber', /^13900000009$/);
      check(await page.isVisible('#incoming'), 'the incoming-call prompt is hidden');
      await page.click('#decline');
      check(
        (await poll(page, 'window.fake.answers.length === 1 && window.fake.answers[0] === false')) === true,
        'decline did not say no',
      );
      check(!(await page.isVisible('#incoming')), 'the prompt stayed after declining');
      await page.evaluate('window.fake.phone.ring("13900000010")');
      await textOf(page, '#incomingNumber', /^13900000010$/);
      await page.click('#accept');
      check(
        (await poll(page, 'window.fake.answers.length === 2 && window.fake.answers[1] === true')) === true,
        'answer did not say yes',
      );
      await page.click('#hold');
      await page.click('#unhold');
      await page.click('#hangup');
      const did = await poll<string[]>(page, 'window.fake.did.length === 6 && window.fake.did.slice(3)');
      check(JSON.stringify(did) === '["hold","unhold","hangup"]', `the leg saw ${JSON.stringify(did)}`);
    },
  ],
  [
    'when the project finishes, every page is told its STOMP login is refused (and stops retrying)',
    async (w) => {
      const r = await w.ta.app.http.inject({
        method: 'POST',
        url: '/callcenter/callProject/api/finishProject/v1',
        headers: { ...w.ta.signed(), ...FORM },
        payload: form({ projectCode: 'pw' }),
      });
      check(r.statusCode === 200, `finishProject: ${r.statusCode} ${r.body}`);
      for (const page of [w.wb, w.mgr, w.stand]) {
        await textOf(page, '#stompState', /refused/);
        await textOf(
          page,
          '#messages',
          /authentication failed: login or passcode is wrong[^]*disconnected: the project has finished/,
        );
      }
    },
  ],
  [
    'the pages raised no script errors',
    async ({ pageErrors }) => {
      check(pageErrors.length === 0, pageErrors.join('; '));
    },
  ],
];

let ta: TestApp | undefined;
let fs: Emulator | undefined;
let browser: Browser | undefined;

async function cleanUp(): Promise<void> {
  await browser?.close().catch(() => undefined);
  await ta?.close().catch(() => undefined);
  await fs?.close().catch(() => undefined);
}

// workbench.test.ts sends SIGTERM when the run overstays: leave no chromium behind.
process.once('SIGTERM', () => {
  report({ step: 'setup', ok: false, detail: 'stopped by SIGTERM' });
  void cleanUp().finally(() => process.exit(1));
});

/** The app as test/support/calls.ts builds it, with the page and console plugins registered before it listens. */
async function startWorld(): Promise<{ ta: TestApp; fs: Emulator; baseUrl: string; socketApp: string }> {
  ta = await startTestApp(
    { recordingsDir: '/var/lib/freeswitch/recordings' },
    { clock: systemClock, pages: false },
  );
  const app = ta.app;
  const db = ta.store.db;
  // What buildApp's integrator passes: task progress as the dialer publishes it, and preview numbers (here a
  // fixed pair: the dialer's getCallList is not this test's subject).
  await app.http.register(consoleRoutes, {
    ctx: app.ctx,
    taskStatuses: async (projectCode) => {
      const project = await app.ctx.repos.projects.activeByCode(projectCode);
      if (!project) return [];
      const own = db.select().from(tasks).where(eq(tasks.projectId, project.id)).all();
      return Promise.all(
        own.map(async (task) =>
          callTaskStatusBody(
            task,
            await app.ctx.repos.tasks.resultCounts(task),
            app.dialer.inFlight(task.id),
          ),
        ),
      );
    },
    previewNumbers: async () => ({ items: [{ phone: '13700000001' }, { phone: '13700000002' }] }),
  });
  await app.http.register(pageRoutes);
  const socket = await app.outbound.listen();
  fs = await startEmulator({
    timeScale: 0.02,
    dialplanSocket: { host: '127.0.0.1', port: socket.port },
    socketToken: socketToken(ta.config.socketSecret, (await app.ctx.repos.nodes.get(1))?.name ?? ''),
  });
  db.update(fsNodes).set({ eslPort: fs.port, sipDomain: '127.0.0.1' }).run();
  await app.start();
  await fs.waitFor(() => app.nodes.isConnected(1));
  const baseUrl = await app.http.listen({ host: '127.0.0.1', port: 0 });
  return { ta, fs, baseUrl, socketApp: `socket(127.0.0.1:${socket.port} async full)` };
}

async function main(): Promise<void> {
  const started = Date.now();
  try {
    const s = await startWorld();
    const { certificate, managerCertificate } = await s.ta.app.ctx.services.projects.createProject('pw', 2);
    const exts = s.ta.app.ctx.services.agents.ofProject('pw');
    const [agent, other] = exts.filter((a) => a.type === 2).map((a) => a.username);
    const manager = exts.find((a) => a.type === 3)!.username;
    // The agents' phones in the emulator: registered, answering what the server sends them.
    for (const u of [agent, other]) s.fs.register(u);
    await s.fs.waitFor(() =>
      [agent, other].every((u) => s.ta.app.ctx.services.agents.get(u)?.state.regStatus === 1),
    );
    const now = Date.now();
    const projectId = s.ta.store.db.select().from(projects).where(eq(projects.projectCode, 'pw')).get()!.id;
    s.ta.store.db
      .insert(tasks)
      .values({
        callTaskCode: 't1',
        projectId,
        scheduleType: 1,
        callType: 1,
        rate: 1,
        expiredTime: now + 86_400_000,
        status: 2,
        createdAt: now,
        updatedAt: now,
      })
      .run();

    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: chromiumFlags,
      headless: true,
      handleSIGTERM: false,
    });
    const pageErrors: string[] = [];
    const open = async (name: string) => {
      const context = await browser!.newContext({ viewport: { width: 1100, height: 900 }, locale: 'zh-CN' });
      const page = await context.newPage();
      page.on('pageerror', (err) => pageErrors.push(`${name}: ${err.message}`));
      return page;
    };
    const world: World = {
      ta: s.ta,
      fs: s.fs,
      baseUrl: s.baseUrl,
      certificate,
      managerCertificate,
      agent,
      other,
      manager,
      wb: await open('workbench'),
      mgr: await open('manager'),
      stand: await open('workbench with a stand-in softphone'),
      pageErrors,
    };
    const timings = await runSteps(steps(s.socketApp), world, report);
    mkdirSync(screenshotDir, { recursive: true });
    await world.wb.screenshot({ path: join(screenshotDir, 'workbench.png'), fullPage: true });
    await world.mgr.screenshot({ path: join(screenshotDir, 'manager.png'), fullPage: true });
    await world.stand.screenshot({ path: join(screenshotDir, 'workbench-softphone.png'), fullPage: true });
    report({ done: true, figures: { totalMs: Date.now() - started, stepMs: timings } });
  } catch (err) {
    report({
      step: 'setup',
      ok: false,
      detail: err instanceof Error ? (err.stack ?? err.message) : String(err),
    });
  } finally {
    await cleanUp();
  }
}

await main();
