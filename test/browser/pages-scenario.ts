// What a new operator meets in the browser (issue #17 item 17), in Debian chromium inside its own network namespace
// (pages.test.ts starts it under `unshare -n`): the landing page at /, the API docs, the SDK demo, the manager page
// with an agent that is set available but not registered, and the workbench with no call, with a call, and while
// the server is out of reach. Chromium reaches the app through a TCP relay the scenario can stop and restart, which
// is the server going down and coming back. One JSON line per step; screenshots go to test-output/pages/.
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { systemClock } from '../../src/core/clock.js';
import { ACCOUNT, FORM, SECRET, form, startTestApp, type TestApp } from '../support/app.js';
import { chromiumFlags, chromiumPath, runSteps } from './namespace-run.js';
import { textOf, check, PAGE_STEP_TIMEOUT_MS as STEP_TIMEOUT_MS } from './page-helpers.js';

/** Publishes until a subscriber took the message (publish answers how many did), for at most 5 s. */
async function delivered(publish: () => number): Promise<void> {
  const deadline = Date.now() + 5000;
  while (publish() === 0) {
    if (Date.now() > deadline) throw new Error('nobody subscribed within 5 s');
    await new Promise((r) => setTimeout(r, 50));
  }
}

const here = dirname(fileURLToPath(import.meta.url));
const screenshotDir = join(here, '../../test-output/pages');

const report = (line: Record<string, unknown>) => process.stdout.write(JSON.stringify(line) + '\n');

/** A TCP relay in front of the app: `down()` closes every connection and refuses new ones, `up()` listens again. */
class Relay {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  port = 0;
  constructor(private readonly target: number) {}

  async up(): Promise<void> {
    const server = createServer((client) => {
      const upstream = createConnection({ host: '127.0.0.1', port: this.target });
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => s.destroy());
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }
}

interface World {
  ta: TestApp;
  relay: Relay;
  baseUrl: string;
  certificate: string;
  managerCertificate: string;
  /** An agent set available that never registered a phone. */
  offline: string;
  page: Page;
  pageErrors: string[];
}

const shot = async (page: Page, name: string) => {
  mkdirSync(screenshotDir, { recursive: true });
  await page.screenshot({ path: join(screenshotDir, name), fullPage: true });
};

/** Which of the workbench's call buttons are enabled. */
const callButtons = (page: Page) =>
  page.evaluate(
    `Object.fromEntries(['hangup', 'hold', 'unhold', 'transfer'].map((id) => [id, !document.getElementById(id).disabled]))`,
  ) as Promise<Record<string, boolean>>;

const steps: Array<[string, (w: World) => Promise<string | void>]> = [
  [
    'GET / is a landing page linking the workbench, the manager page, the SDK demo and the API docs, each served',
    async ({ page, baseUrl }) => {
      const r = await page.goto(`${baseUrl}/`);
      check(r?.status() === 200, `GET /: ${r?.status()}`);
      check(/^text\/html/.test(r?.headers()['content-type'] ?? ''), 'GET / is not HTML');
      await textOf(page, 'h1', /呼叫中心/);
      const hrefs = (await page.evaluate(
        `[...document.querySelectorAll('#links a')].map((a) => a.getAttribute('href'))`,
      )) as string[];
      check(
        JSON.stringify(hrefs) === '["/workbench","/manager","/sdk/demo.html","/docs"]',
        `links: ${JSON.stringify(hrefs)}`,
      );
      for (const href of hrefs) {
        const res = await page.request.get(`${baseUrl}${href}`);
        check(res.status() === 200, `${href} answers ${res.status()}`);
      }
      await shot(page, 'landing.png');
    },
  ],
  [
    'the API docs offer Authorize with the signature headers, and no "default" group; a signed call is tried there',
    async ({ page, baseUrl }) => {
      await page.click('#toDocs');
      await page.waitForSelector('.btn.authorize', { timeout: STEP_TIMEOUT_MS });
      check(page.url().startsWith(`${baseUrl}/docs`), page.url());
      check((await page.locator('#operations-tag-default').count()) === 0, 'a "default" tag is listed');
      check((await page.locator('#operations-tag-project').count()) === 1, 'no project tag');
      await page.click('.btn.authorize');
      const dialog = await textOf(page, '.modal-ux', /account[^]*timestamp[^]*sign/);
      check(/MD5/.test(dialog), 'the dialog does not say how to sign');
      // As the description tells an operator: the three headers computed for now, pasted into Authorize.
      const timestamp = String(Date.now());
      const sign = createHash('md5')
        .update(ACCOUNT + timestamp + SECRET)
        .digest('hex');
      for (const [scheme, value] of [
        ['account', ACCOUNT],
        ['timestamp', timestamp],
        ['sign', sign],
      ] as const) {
        const block = page.locator('.modal-ux .auth-container', { hasText: `${scheme} (apiKey)` });
        await block.locator('input').fill(value);
        await block.locator('button.authorize').click();
      }
      await page.locator('.modal-ux').screenshot({ path: join(screenshotDir, 'docs-authorize.png') });
      await page.click('.modal-ux button.close-modal');
      const op = page.locator('.opblock', { hasText: '/freeswitch/gateway/api/getAvailableList/v1' });
      await op.locator('.opblock-summary').click();
      await op.locator('button.try-out__btn').click();
      await op.locator('button.execute').click();
      const table = op.locator('.live-responses-table');
      await table.waitFor({ timeout: STEP_TIMEOUT_MS });
      const deadline = Date.now() + STEP_TIMEOUT_MS;
      let answer = await table.innerText();
      while (!/"code":/.test(answer) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        answer = await table.innerText();
      }
      check(/"code": 1/.test(answer), `the call answered ${answer.slice(0, 300)}`);
      await op.screenshot({ path: join(screenshotDir, 'docs-signed-call.png') });
      return answer.replace(/\s+/g, ' ').slice(0, 120);
    },
  ],
  [
    'the SDK demo is a styled Chinese page that says where the extension and password come from',
    async ({ page, baseUrl }) => {
      const r = await page.goto(`${baseUrl}/sdk/demo.html`);
      check(r?.status() === 200, `GET /sdk/demo.html: ${r?.status()}`);
      check((await page.getAttribute('html', 'lang')) === 'zh-CN', 'the page is not marked zh-CN');
      await textOf(page, 'h1', /软电话/);
      const hint = await textOf(page, '#hint', /分机号和密码从哪里来[^]*getByCertificate[^]*password/);
      check(await page.isVisible('#hint'), 'the hint is hidden');
      const style = (await page.evaluate(
        `(() => { const f = getComputedStyle(document.querySelector('fieldset')); return f.borderRadius + ' ' + f.backgroundColor; })()`,
      )) as string;
      check(style === '8px rgb(255, 255, 255)', `fieldsets are unstyled: ${style}`);
      await textOf(page, 'label[for], .field', /分机号/);
      await shot(page, 'sdk-demo.png');
      return hint.slice(0, 60);
    },
  ],
  [
    'the manager page asks for the manager certificate, and an unregistered agent set available is offline in the table as on the card',
    async (w) => {
      const { page } = w;
      await page.goto(`${w.baseUrl}/manager`);
      const panel = await textOf(page, '#claimPanel', /经理凭证[^]*manager certificate/);
      check(!/project certificate/i.test(panel), `the panel still says: ${panel}`);
      check(/managerCertificate/.test(panel), 'the hint does not name managerCertificate');
      await page.fill('#certificate', w.managerCertificate);
      await page.click('#claimButton');
      await textOf(page, '#stompState', /connected/);
      const cell = await textOf(page, `#extTable tr[data-username="${w.offline}"] td.work`, /离线/);
      await textOf(page, `#extTable tr[data-username="${w.offline}"] td.reg`, /未注册/);
      await textOf(page, '#sumAvailable', /^0$/);
      const availableRows = await page.locator('#extTable td.work', { hasText: /空闲|available/ }).count();
      check(availableRows === 0, `${availableRows} rows read available while the card says 0`);
      await shot(page, 'manager-offline-agent.png');
      return cell;
    },
  ],
  [
    'on the workbench with no call, hang up, hold and transfer are disabled; a call enables hang up and transfer',
    async (w) => {
      const { page } = w;
      await page.goto(`${w.baseUrl}/workbench?sip=off`);
      await page.fill('#certificate', w.certificate);
      await page.fill('#claimUser', w.offline);
      await page.click('#claimButton');
      await textOf(page, '#stompState', /connected/);
      await textOf(page, '#workState', /空闲|忙碌/);
      let b = await callButtons(page);
      check(!b.hangup && !b.hold && !b.unhold && !b.transfer, `with no call: ${JSON.stringify(b)}`);
      const body = { callId: 'c-1', telNo: '13900000001', callTaskCode: 't1' };
      // What the server sends an agent for a call (spec 三.4, 三.7): offered, then connected. The page shows
      // "connected" when CONNECTED arrives, before the broker has taken its SUBSCRIBE frames: a publish meanwhile
      // reaches nobody (and changes nothing), so the invite is sent until the page's subscription takes it.
      await delivered(() => w.ta.app.broker.publish(`/topic/invite/${w.offline}`, body));
      await textOf(page, '#callPhase', /振铃/);
      w.ta.app.broker.publish(`/topic/call/${w.offline}`, body);
      await textOf(page, '#callPhase', /通话中/);
      b = await callButtons(page);
      // Hold is a re-INVITE of the softphone's leg: with the softphone off there is none.
      check(b.hangup && b.transfer && !b.hold, `during a call: ${JSON.stringify(b)}`);
      await shot(page, 'workbench-call-buttons.png');
      w.ta.app.broker.publish(`/topic/bye/${w.offline}`, body);
      await textOf(page, '#callPhase', /已挂断/);
      b = await callButtons(page);
      check(!b.hangup && !b.transfer, `after the call: ${JSON.stringify(b)}`);
    },
  ],
  [
    'when the server goes down, the workbench says disconnected in one status line that counts the attempts',
    async (w) => {
      const { page } = w;
      await w.relay.down();
      await textOf(page, '#stompState', /已断开 disconnected/);
      check(await page.isVisible('#linkBanner'), 'no status line');
      await textOf(page, '#workState', /未知/);
      check(!/available|空闲/.test(await page.innerText('header')), 'the header still says available');
      // Three reconnect attempts (3 s apart) update the one line.
      const banner = await textOf(page, '#linkBanner', /已重试 [3-9] 次/, 15_000);
      const lines = (await page.evaluate(
        `[...document.querySelectorAll('#messages li')].map((li) => li.textContent)`,
      )) as string[];
      const outage = lines.filter((l) => /断开|重连|reconnect/.test(l));
      check(outage.length === 1, `outage messages: ${JSON.stringify(outage)}`);
      check((await page.locator('#linkBanner').count()) === 1, 'more than one status line');
      await shot(page, 'workbench-disconnected.png');
      return banner;
    },
  ],
  [
    'when the server is back, the page reconnects, says so once, hides the status line and shows the state again',
    async (w) => {
      const { page } = w;
      await w.relay.up();
      await textOf(page, '#stompState', /已连接 connected/, 15_000);
      await textOf(page, '#workState', /空闲|忙碌/);
      check(!(await page.isVisible('#linkBanner')), 'the status line stayed');
      const back = await page.locator('#messages li', { hasText: '已重新连接' }).count();
      check(back === 1, `${back} reconnected messages`);
      await shot(page, 'workbench-reconnected.png');
    },
  ],
  [
    'the pages raised no script errors',
    async ({ pageErrors }) => check(pageErrors.length === 0, pageErrors.join('; ')),
  ],
];

let ta: TestApp | undefined;
let relay: Relay | undefined;
let browser: Browser | undefined;

async function cleanUp(): Promise<void> {
  await browser?.close().catch(() => undefined);
  await relay?.down().catch(() => undefined);
  await ta?.close().catch(() => undefined);
}

process.once('SIGTERM', () => {
  report({ step: 'setup', ok: false, detail: 'stopped by SIGTERM' });
  void cleanUp().finally(() => process.exit(1));
});

async function main(): Promise<void> {
  const started = Date.now();
  try {
    ta = await startTestApp({}, { clock: systemClock });
    const appUrl = new URL(await ta.app.http.listen({ host: '127.0.0.1', port: 0 }));
    relay = new Relay(Number(appUrl.port));
    await relay.up();
    const { certificate, managerCertificate } = await ta.app.ctx.services.projects.createProject('pp', 2);
    const offline = ta.app.ctx.services.agents.ofProject('pp').find((a) => a.type === 2)!.username;
    const r = await ta.app.http.inject({
      method: 'POST',
      url: '/callcenter/callProject/api/setWorkStatus/v1',
      headers: { ...ta.signed(), ...FORM },
      payload: form({ username: offline, workStatus: 1 }),
    });
    if (r.json().reqResult.code !== 1) throw new Error(`setWorkStatus: ${r.body}`);

    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: chromiumFlags,
      headless: true,
      handleSIGTERM: false,
    });
    const context = await browser.newContext({ viewport: { width: 1100, height: 800 }, locale: 'zh-CN' });
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (err) => pageErrors.push(`${page.url()}: ${err.message}`));
    const world: World = {
      ta,
      relay,
      baseUrl: `http://127.0.0.1:${relay.port}`,
      certificate,
      managerCertificate,
      offline,
      page,
      pageErrors,
    };
    const timings = await runSteps(steps, world, report);
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
