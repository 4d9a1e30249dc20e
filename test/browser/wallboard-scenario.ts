// The manager page's wallboard in Debian chromium (issue 14.10), served by the app, inside its own network
// namespace (wallboard.test.ts starts it under `unshare -n`). An hour of samples is made by a wallboard whose clock
// the scenario steps through the last hour while agents change state and calls are logged; then samples arrive
// live over STOMP. Prints one JSON line per step and a last {done}; screenshots go to test-output/pages/.
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { consoleRoutes } from '../../src/api/routes/console.js';
import { consoleReportRoutes } from '../../src/api/routes/console-reports.js';
import { pageRoutes } from '../../src/api/pages.js';
import { systemClock } from '../../src/core/clock.js';
import { callLogs, tasks } from '../../src/db/schema.js';
import { Wallboard } from '../../src/supervisor/wallboard.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { runSteps } from './namespace-run.js';
import { poll, textOf } from './page-helpers.js';

const here = dirname(fileURLToPath(import.meta.url));
const screenshotDir = join(here, '../../test-output/pages');
const chromiumFlags = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
];

const report = (line: Record<string, unknown>) => process.stdout.write(JSON.stringify(line) + '\n');

interface World {
  ta: TestApp;
  baseUrl: string;
  /** The manager certificate (manager seats only, issue 12). */
  certificate: string;
  page: Page;
  wallboard: Wallboard;
  clock: { at: number };
  waiting: { n: number };
  agents: string[];
  pageErrors: string[];
}

const steps: Array<[string, (w: World) => Promise<string | void>]> = [
  [
    'the manager logs in and the wallboard draws the last hour: four charts with their legends',
    async (w) => {
      const r = await w.page.goto(`${w.baseUrl}/manager`);
      if (r?.status() !== 200) throw new Error(`GET /manager: ${r?.status()}`);
      await w.page.fill('#certificate', w.certificate);
      await w.page.click('#claimButton');
      await textOf(w.page, '#stompState', /connected/);
      const charts = await poll<number>(
        w.page,
        `document.querySelectorAll('#wallboard .uplot canvas').length >= 4 && document.querySelectorAll('#wallboard .uplot canvas').length`,
      );
      if (!charts) throw new Error('no uPlot charts in #wallboard');
      await textOf(w.page, '#chartAbandon .u-legend', /3% 上限 cap/);
      await textOf(w.page, '#wbOccupancy', /^50\.0%$/);
      return `${charts} canvases`;
    },
  ],
  [
    'the charts plot the hour: the abandon chart has the last hour’s points and the 3% line',
    async (w) => {
      const points = await w.page.evaluate(
        `[...document.querySelectorAll('#chartAgents .u-over')].length === 1 && document.querySelector('#wbUpdated').textContent`,
      );
      if (!points) throw new Error('the chart has no plot area or no update time');
      const drawn = await w.page.evaluate(`(() => {
        const c = document.querySelector('#chartAbandon canvas');
        const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let red = 0, blue = 0;
        for (let i = 0; i < px.length; i += 4) {
          if (px[i] > 200 && px[i + 1] < 80 && px[i + 2] < 80) red++;
          if (px[i] < 80 && px[i + 1] < 120 && px[i + 2] > 200) blue++;
        }
        return { red, blue };
      })()`);
      const { red, blue } = drawn as { red: number; blue: number };
      if (red < 50 || blue < 50)
        throw new Error(`abandon chart: ${red} red (3% line) and ${blue} blue pixels`);
      return `3% line ${red} px, abandon ${blue} px`;
    },
  ],
  [
    'the time axis and the legend write times as a Chinese page does: 24 h, month and day in 月日, no US dates',
    async (w) => {
      const ticks = await poll<string>(w.page, `document.querySelector('#chartAgents').dataset.xTicks`);
      if (!ticks) throw new Error('the time axis has no ticks');
      const bad = ticks.split(' | ').filter((x) => !/^(\d{1,2}月\d{1,2}日 )?\d{2}:\d{2}$/.test(x));
      if (bad.length || /AM|PM|am|pm|\//.test(ticks)) throw new Error(`axis ticks: ${ticks}`);
      const over = w.page.locator('#chartAgents .u-over');
      const box = await over.boundingBox();
      if (!box) throw new Error('no plot area');
      await w.page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      const legend = await textOf(w.page, '#chartAgents .u-legend .u-series:first-child', /时间 time/);
      if (!/\d{1,2}月\d{1,2}日 \d{2}:\d{2}/.test(legend)) throw new Error(`legend time: ${legend}`);
      await textOf(w.page, '#wbUpdated', /^更新于 \d{2}:\d{2}:\d{2}$/);
      return `${ticks}; ${legend}`;
    },
  ],
  [
    'the abandon-rate report shows the project and its tasks for 24 h and 30 days, over-cap in red',
    async (w) => {
      await textOf(
        w.page,
        '#abandonTable tr[data-scope="project"]',
        // 12 × (1 + 2 + 3 + 4 + 5) calls in the hour, one abandoned every 9 minutes: 7 of 180.
        /项目 project\s*180\s*7\s*3\.9%\s*180\s*7\s*3\.9%\s*3\.0%/,
      );
      await textOf(w.page, '#abandonTable tr[data-scope="t1"]', /t1/);
      const red = await w.page.evaluate(`document.querySelectorAll('#abandonTable td.bad').length`);
      if (!red) throw new Error('no over-cap cell is marked');
    },
  ],
  [
    'a live sample over STOMP moves the cards: customers waiting, occupancy',
    async (w) => {
      w.clock.at = Date.now();
      w.waiting.n = 3;
      const agents = w.ta.app.ctx.services.agents;
      agents.apply(w.agents[1] ?? '', { kind: 'reserve', callId: 'live' });
      agents.apply(w.agents[1] ?? '', {
        kind: 'connected',
        callId: 'live',
        destinationNumber: '1',
        destinationUUID: 'u',
      });
      await w.wallboard.sampleAll();
      await textOf(w.page, '#wbWaiting', /^3$/);
      await textOf(w.page, '#wbOccupancy', /^75\.0%$/);
      mkdirSync(screenshotDir, { recursive: true });
      await w.page.locator('#wallboard').screenshot({ path: join(screenshotDir, 'wallboard.png') });
      await w.page.screenshot({ path: join(screenshotDir, 'manager-wallboard.png'), fullPage: true });
    },
  ],
  [
    'no errors in the page',
    async (w) => {
      if (w.pageErrors.length) throw new Error(w.pageErrors.join('; '));
    },
  ],
];

let ta: TestApp | undefined;
let browser: Browser | undefined;
async function cleanUp(): Promise<void> {
  await browser?.close().catch(() => undefined);
  await ta?.close().catch(() => undefined);
}
process.once('SIGTERM', () => {
  report({ step: 'setup', ok: false, detail: 'stopped by SIGTERM' });
  void cleanUp().finally(() => process.exit(1));
});

/** An hour of history: every minute an agent may change state and calls are logged (a few abandoned). */
async function makeHistory(
  w: Omit<World, 'page' | 'pageErrors'>,
  projectId: number,
  taskId: number,
): Promise<void> {
  const agents = w.ta.app.ctx.services.agents;
  const start = Date.now() - 3600_000;
  const db = w.ta.store.db;
  const talk = (u: string, callId: string) => {
    agents.apply(u, { kind: 'reserve', callId });
    agents.apply(u, { kind: 'connected', callId, destinationNumber: '1', destinationUUID: 'u' });
  };
  for (let i = 0; i < 60; i++) {
    w.clock.at = start + i * 60_000;
    const talking = i % 3;
    w.agents.forEach((u, k) => {
      const s = agents.get(u)?.state;
      if (k < talking && s?.sessionStatus === 0) talk(u, `c${i}-${k}`);
      if (k >= talking && s?.callId) agents.apply(u, { kind: 'call-ended', callId: s.callId });
    });
    w.waiting.n = i % 4;
    for (let c = 0; c < (i % 5) + 1; c++)
      db.insert(callLogs)
        .values({
          callUuid: randomUUID(),
          taskId,
          projectId,
          callTaskCode: 't1',
          destinationNumber: '13900000000',
          startTimestamp: w.clock.at,
          abandoned: c === 0 && i % 9 === 0 ? 1 : 0,
          addTime: w.clock.at,
          updateTime: w.clock.at,
        })
        .run();
    await w.wallboard.sampleAll();
  }
  // The live state the page opens on: 2 of 4 agents talking.
  for (const [k, u] of w.agents.entries()) {
    const s = agents.get(u)?.state;
    if (s?.callId) agents.apply(u, { kind: 'call-ended', callId: s.callId });
    if (k === 0 || k === 2) talk(u, `now${k}`);
  }
  w.clock.at = Date.now() - 1000;
  await w.wallboard.sampleAll();
}

async function main(): Promise<void> {
  const started = Date.now();
  try {
    ta = await startTestApp({}, { clock: systemClock, pages: false });
    const app = ta.app;
    const db = ta.store.db;
    const clock = { at: Date.now() };
    const waiting = { n: 0 };
    // As buildApp composes it, with a clock the scenario steps through the last hour.
    const wallboard = new Wallboard({
      figures: (projectId, now) => app.ctx.repos.wallboard.figures(projectId, now),
      clock: { now: () => clock.at, setTimer: systemClock.setTimer },
      publisher: app.broker,
      projects: () => app.ctx.repos.projects.active(),
      agentsOf: (code) => app.ctx.services.agents.ofProject(code),
      waitingOf: () => waiting.n,
    });
    await app.http.register(consoleRoutes, { ctx: app.ctx, taskStatuses: async () => [] });
    await app.http.register(consoleReportRoutes, { ctx: app.ctx, wallboard });
    await app.http.register(pageRoutes);
    const baseUrl = await app.http.listen({ host: '127.0.0.1', port: 0 });
    const { managerCertificate: certificate } = await app.ctx.services.projects.createProject('pw', 4);
    const agents = app.ctx.services.agents
      .ofProject('pw')
      .filter((a) => a.type === 2)
      .map((a) => a.username);
    for (const u of agents) {
      app.ctx.services.agents.apply(u, { kind: 'registered' });
      app.ctx.services.agents.setWork(u, 1);
    }
    const project = await app.ctx.repos.projects.activeByCode('pw');
    const now = Date.now();
    const task = db
      .insert(tasks)
      .values({
        callTaskCode: 't1',
        projectId: project?.id ?? 0,
        scheduleType: 1,
        callType: 1,
        rate: 1,
        expiredTime: now + 86_400_000,
        status: 2,
        createdAt: now,
        updatedAt: now,
      })
      .returning()
      .get();
    await makeHistory(
      { ta, baseUrl, certificate, wallboard, clock, waiting, agents },
      project?.id ?? 0,
      task.id,
    );

    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: chromiumFlags,
      headless: true,
      handleSIGTERM: false,
    });
    const context = await browser.newContext({ viewport: { width: 1280, height: 1000 }, locale: 'zh-CN' });
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));
    const world: World = { ta, baseUrl, certificate, page, wallboard, clock, waiting, agents, pageErrors };
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
