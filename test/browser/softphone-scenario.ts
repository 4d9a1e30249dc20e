// The browser scenario, meant to run inside its own network namespace (softphone.test.ts starts it under
// `unshare -n` with only lo up, so WebRTC finds nothing but loopback): Kamailio, a static server for the page and
// the bundle, and Debian's chromium with pages that register, call each other, hold, transfer, send DTMF...
// Prints one JSON line per step ({step, ok, detail}) and a last {done, figures} line; screenshots go to
// test-output/softphone/.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import {
  freePort,
  startKamailio,
  testDomain,
  testUsers,
  type RunningKamailio,
} from '../kamailio/kamailio.js';
import { startStaticServer, type StaticServer } from './static-server.js';
import {
  audioBytesIn,
  eventOn as eventWithin,
  inPage,
  type Json,
  check,
  PAGE_STEP_TIMEOUT_MS as STEP_TIMEOUT_MS,
} from './page-helpers.js';
import { chromiumFlags, chromiumPath, runSteps } from './namespace-run.js';

const here = dirname(fileURLToPath(import.meta.url));
const screenshotDir = join(here, '../../test-output/softphone');

function report(line: Json): void {
  process.stdout.write(JSON.stringify(line) + '\n');
}

const eventOn = (page: Page, match: Json, timeout = STEP_TIMEOUT_MS) => eventWithin(page, match, timeout);

const countEvents = (page: Page, match: Json) =>
  inPage<number>(
    page,
    `(m) => window.cc.events.filter((e) => Object.entries(m).every(([k, v]) => e[k] === v)).length`,
    match,
  );

async function audioFlows(page: Page): Promise<number> {
  const deadline = Date.now() + STEP_TIMEOUT_MS;
  for (;;) {
    const bytes = await audioBytesIn(page);
    if (bytes > 0) return bytes;
    if (Date.now() > deadline) throw new Error(`no audio reached ${await page.title()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface World {
  a: Page;
  b: Page;
  c: Page;
  wsUrl: string;
  webUrl: string;
  /** Stops the registrar, waits for `whileDown`, and starts it again on the same port. */
  bounceRegistrar(whileDown: () => Promise<void>): Promise<void>;
}

const phoneOptions = (wsUrl: string, user: keyof typeof testUsers, password?: string) => ({
  authorizationUser: user,
  password: password ?? testUsers[user],
  wsServers: [wsUrl],
  uri: `sip:${user}@${testDomain}`,
  remoteVideoId: 'remote',
  localVideoId: 'local',
});

const setConfirm = (page: Page, mode: 'yes' | 'no' | 'wait') =>
  inPage(page, `(m) => { window.cc.confirmMode = m; }`, mode);
const call = (page: Page, target: string, headers?: string[]) =>
  inPage<number>(page, `([t, h]) => window.cc.call(t, h)`, [target, headers ?? []]);
const onSession = (page: Page, s: number, method: string, arg?: unknown) =>
  inPage<unknown>(page, `([s, m, a]) => window.cc.sessions[s][m](a)`, [s, method, arg ?? null]);
const sessionCount = (page: Page) => inPage<number>(page, '() => window.cc.sessions.length');
const confirmCount = (page: Page) => inPage<number>(page, '() => window.cc.confirmCalls.length');

/** Each step is a story; it throws with what it saw when the story does not hold. */
const steps: Array<[string, (w: World) => Promise<string | void>]> = [
  [
    'the demo page loads the script bundle, and the ES module exports MySoftPhone as named and default export',
    async ({ a, webUrl }) => {
      const demo = await a.context().newPage();
      const errors: string[] = [];
      demo.on('pageerror', (err) => errors.push(err.message));
      try {
        await demo.goto(`${webUrl}/sdk/demo.html`);
        const exported = await inPage<Json>(
          demo,
          `async () => {
            const m = await import('/sdk/mysoftphone.mjs');
            return { global: typeof window.MySoftPhone, named: typeof m.MySoftPhone, same: m.default === m.MySoftPhone };
          }`,
        );
        check(
          JSON.stringify(exported) === '{"global":"function","named":"function","same":true}',
          `exports: ${JSON.stringify(exported)}`,
        );
        check(errors.length === 0, `demo page errors: ${errors.join('; ')}`);
      } finally {
        await demo.close();
      }
    },
  ],
  [
    'three extensions register over WebSocket with digest auth',
    async ({ a, b, c, wsUrl }) => {
      await inPage(a, '(o) => window.cc.start("A", o)', phoneOptions(wsUrl, '1001'));
      await inPage(b, '(o) => window.cc.start("B", o)', phoneOptions(wsUrl, '1002'));
      await inPage(c, '(o) => window.cc.start("C", o)', phoneOptions(wsUrl, '1003'));
      for (const p of [a, b, c]) await eventOn(p, { type: 'registered' });
    },
  ],
  [
    'a wrong password fails registration with wrong-password and says what to do',
    async ({ a, wsUrl }) => {
      const r = await inPage<Json>(
        a,
        '(o) => window.cc.probe(o)',
        phoneOptions(wsUrl, '1004', 'not-the-password'),
      );
      check(r.registered === false && r.kind === 'wrong-password', `probe: ${JSON.stringify(r)}`);
      check(/password/i.test(String(r.message)), `message: ${String(r.message)}`);
    },
  ],
  [
    'a server nobody listens on fails registration with server-unreachable',
    async ({ a }) => {
      const closed = await freePort();
      const options = {
        ...phoneOptions(`ws://127.0.0.1:${closed}`, '1004'),
        wsServers: [`ws://127.0.0.1:${closed}`],
      };
      const r = await inPage<Json>(a, '(o) => window.cc.probe(o)', options);
      check(r.registered === false && r.kind === 'server-unreachable', `probe: ${JSON.stringify(r)}`);
    },
  ],
  [
    'when answerConfirmFn returns false, the callee declines and the caller hears busy (486)',
    async ({ a, b }) => {
      await setConfirm(b, 'no');
      const s = await call(a, '1002');
      const failed = await eventOn(a, { type: 'failed', s });
      check(failed.cause === 'busy' && failed.statusCode === 486, `A: ${JSON.stringify(failed)}`);
      await eventOn(b, { type: 'ringing', s: 0 });
      const confirm = await eventOn(b, { type: 'confirm' });
      check(confirm.target === '1001', `answerConfirmFn got ${String(confirm.target)}`);
      await eventOn(b, { type: 'failed', s: 0, cause: 'declined' });
    },
  ],
  [
    'when answerConfirmFn returns true, both sides are answered and audio flows both ways',
    async ({ a, b }) => {
      await setConfirm(b, 'yes');
      const s = await call(a, '1002');
      await eventOn(a, { type: 'ringing', s });
      await eventOn(a, { type: 'answered', s });
      await eventOn(b, { type: 'answered', s: 1 });
      const [inA, inB] = [await audioFlows(a), await audioFlows(b)];
      const remote = await inPage<boolean>(
        b,
        `() => { const el = document.getElementById('remote'); return !!el.srcObject && el.srcObject.getAudioTracks().length > 0; }`,
      );
      check(remote, 'the remote element of B has no audio track');
      return `audio bytes received: A ${inA}, B ${inB}`;
    },
  ],
  [
    'DTMF sent by the caller arrives at the callee in order',
    async ({ a, b }) => {
      const sent = await onSession(a, 1, 'sendDTMF', '12#');
      check(sent === true, 'sendDTMF returned false');
      const invalid = await onSession(a, 1, 'sendDTMF', 'x');
      check(invalid === false, 'sendDTMF accepted "x"');
      await eventOn(b, { type: 'dtmf', s: 1, tone: '#', originator: 'remote' });
      const tones = await inPage<string>(
        b,
        `() => window.cc.events.filter((e) => e.type === 'dtmf' && e.s === 1).map((e) => e.tone).join('')`,
      );
      check(tones === '12#', `B received "${tones}"`);
    },
  ],
  [
    'hold, unhold and hold requested at once are queued and all succeed; the other side sees hold and unhold',
    async ({ a, b }) => {
      const results = await inPage<boolean[]>(
        a,
        `() => { const s = window.cc.sessions[1]; return Promise.all([s.hold(), s.unhold(), s.hold()]); }`,
      );
      check(
        results.every((r) => r === true),
        `results ${JSON.stringify(results)}`,
      );
      check((await onSession(a, 1, 'isOnHold')) === true, 'A is not on hold after hold, unhold, hold');
      await eventOn(b, { type: 'unhold', s: 1, originator: 'remote' });
      check(
        (await countEvents(b, { type: 'hold', s: 1, originator: 'remote' })) === 2,
        'B did not see two holds',
      );
      const back = await onSession(a, 1, 'unhold');
      check(back === true, 'unhold failed');
      check((await onSession(a, 1, 'isOnHold')) === false, 'A still on hold');
      await eventOn(b, { type: 'unhold', s: 1, originator: 'remote' });
      check(
        (await countEvents(b, { type: 'unhold', s: 1, originator: 'remote' })) === 2,
        'B did not see two unholds',
      );
      await audioFlows(b);
    },
  ],
  [
    'a blind transfer moves the callee to a third phone and the transferor leaves',
    async ({ a, b, c }) => {
      await setConfirm(c, 'yes');
      const result = await onSession(a, 1, 'transfer', '1003');
      check(JSON.stringify(result) === '{"ok":true}', `transfer: ${JSON.stringify(result)}`);
      await eventOn(a, { type: 'ended', s: 1, cause: 'transferred' });
      await eventOn(b, { type: 'ended', s: 1, cause: 'remote-hangup' });
      await eventOn(b, { type: 'session', s: 2, direction: 'outgoing', target: '1003', referred: true });
      await eventOn(b, { type: 'answered', s: 2 });
      await eventOn(c, { type: 'session', s: 0, direction: 'incoming', target: '1002' });
      await eventOn(c, { type: 'answered', s: 0 });
      await audioFlows(c);
    },
  ],
  [
    'hanging up ends the call on both sides',
    async ({ b, c }) => {
      await onSession(b, 2, 'hangup');
      await eventOn(b, { type: 'ended', s: 2, cause: 'local-hangup' });
      await eventOn(c, { type: 'ended', s: 0, cause: 'remote-hangup' });
    },
  ],
  [
    'an INVITE with X-CC-Auto-Answer: true is answered without asking answerConfirmFn',
    async ({ a, c }) => {
      await setConfirm(c, 'no');
      const asked = await confirmCount(c);
      const s = await call(a, '1003', ['X-CC-Auto-Answer: true']);
      await eventOn(a, { type: 'answered', s });
      await eventOn(c, { type: 'answered', s: 1, autoAnswer: true });
      check((await confirmCount(c)) === asked, 'answerConfirmFn was asked');
      await onSession(a, s, 'hangup');
      await eventOn(c, { type: 'ended', s: 1, cause: 'remote-hangup' });
    },
  ],
  [
    'an INVITE with Call-Info answer-after=0 is answered at once too',
    async ({ a, c }) => {
      const asked = await confirmCount(c);
      const s = await call(a, '1003', ['Call-Info: <sip:127.0.0.1>;answer-after=0']);
      await eventOn(c, { type: 'answered', s: 2, autoAnswer: true });
      check((await confirmCount(c)) === asked, 'answerConfirmFn was asked');
      await onSession(c, 2, 'hangup');
      await eventOn(a, { type: 'ended', s, cause: 'remote-hangup' });
    },
  ],
  [
    'when the caller gives up while answerConfirmFn is still deciding, the callee sees canceled and a late yes does nothing',
    async ({ a, b }) => {
      await setConfirm(b, 'wait');
      const s = await call(a, '1002');
      await eventOn(a, { type: 'ringing', s });
      await eventOn(b, { type: 'confirm', mode: 'wait' });
      await onSession(a, s, 'hangup');
      await eventOn(a, { type: 'failed', s, cause: 'local-hangup' });
      await eventOn(b, { type: 'failed', s: 3, cause: 'canceled' });
      await inPage(b, '() => window.cc.pendingConfirm(true)');
      check((await countEvents(b, { type: 'answered', s: 3 })) === 0, 'B answered a cancelled call');
      await setConfirm(b, 'yes');
    },
  ],
  [
    'agentLogin, agentLogoff and enterFifo dial the call-center codes; call({ target }) works like call(target)',
    async ({ a }) => {
      const dialled: string[] = [];
      for (const helper of [
        'agentLogin()',
        'agentLogoff()',
        'enterFifo("p1")',
        'call({ target: "fifop2" })',
      ]) {
        const s = await inPage<number>(a, `() => window.cc.sessions.indexOf(window.cc.phone.${helper})`);
        const failed = await eventOn(a, { type: 'failed', s });
        dialled.push(String(failed.reasonPhrase));
      }
      const want = [
        'Dial code agent_login',
        'Dial code agent_logoff',
        'Dial code fifop1',
        'Dial code fifop2',
      ];
      check(JSON.stringify(dialled) === JSON.stringify(want), `the registrar saw ${JSON.stringify(dialled)}`);
    },
  ],
  [
    'a number JsSIP cannot dial still gives a session, which fails with invalid-target',
    async ({ a }) => {
      const s = await call(a, '');
      const failed = await eventOn(a, { type: 'failed', s });
      check(failed.cause === 'invalid-target', `A: ${JSON.stringify(failed)}`);
    },
  ],
  [
    'a refused microphone fails the call with microphone-refused and advice, and the callee never rings',
    async ({ a, b }) => {
      const asked = await confirmCount(b);
      const before = await sessionCount(b);
      await inPage(
        a,
        `() => {
          window.savedGetUserMedia = navigator.mediaDevices.getUserMedia;
          navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('Permission denied', 'NotAllowedError'));
        }`,
      );
      const s = await call(a, '1002');
      const failed = await eventOn(a, { type: 'failed', s });
      await inPage(a, '() => { navigator.mediaDevices.getUserMedia = window.savedGetUserMedia; }');
      check(failed.cause === 'microphone-refused', `A: ${JSON.stringify(failed)}`);
      check(/allow microphone/i.test(String(failed.message)), `message: ${String(failed.message)}`);
      check((await confirmCount(b)) === asked && (await sessionCount(b)) === before, 'B rang');
    },
  ],
  [
    'when the registrar goes away the phones say server-unreachable, and they register again by themselves when it is back',
    async ({ a, b, bounceRegistrar }) => {
      const before = await countEvents(a, { type: 'registered' });
      await bounceRegistrar(async () => {
        for (const p of [a, b]) {
          await eventOn(p, { type: 'unregistered' });
          const down = await eventOn(p, { type: 'registrationFailed', kind: 'server-unreachable' });
          check(/network/.test(String(down.message)), `message: ${String(down.message)}`);
        }
      });
      const deadline = Date.now() + 3 * STEP_TIMEOUT_MS;
      while ((await countEvents(a, { type: 'registered' })) === before) {
        check(Date.now() < deadline, 'A did not register again');
        await new Promise((r) => setTimeout(r, 200));
      }
      await b.waitForFunction('window.cc.phone.registered', undefined, { timeout: 3 * STEP_TIMEOUT_MS });
      const s = await call(a, '1002');
      await eventOn(a, { type: 'answered', s });
      await onSession(a, s, 'hangup');
      await eventOn(a, { type: 'ended', s, cause: 'local-hangup' });
    },
  ],
  [
    'after unregister, the extension is gone: calls to it fail with not-found',
    async ({ a, c }) => {
      const ok = await inPage<boolean>(c, '() => window.cc.phone.unregister()');
      check(ok === true, 'unregister was not confirmed');
      await eventOn(c, { type: 'unregistered' });
      const s = await call(a, '1003');
      const failed = await eventOn(a, { type: 'failed', s });
      check(failed.cause === 'not-found' && failed.statusCode === 404, `A: ${JSON.stringify(failed)}`);
    },
  ],
];

let kamailio: RunningKamailio | undefined;
let web: StaticServer | undefined;
let browser: Browser | undefined;

async function cleanUp(): Promise<void> {
  await browser?.close().catch(() => undefined);
  await web?.close();
  await kamailio?.stop();
}

// softphone.test.ts sends SIGTERM when the run overstays: leave no Kamailio or chromium behind.
process.once('SIGTERM', () => {
  report({ step: 'setup', ok: false, detail: 'stopped by SIGTERM' });
  void cleanUp().finally(() => process.exit(1));
});

async function main(): Promise<void> {
  const started = Date.now();
  try {
    kamailio = await startKamailio();
    web = await startStaticServer();
    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: chromiumFlags,
      headless: true,
      handleSIGTERM: false,
    });
    const context = await browser.newContext({ viewport: { width: 640, height: 560 } });
    const pages: Page[] = [];
    for (const name of ['A', 'B', 'C']) {
      const page = await context.newPage();
      page.on('pageerror', (err) => report({ log: `${name} page error: ${err.message}` }));
      await page.goto(`${web.url}/?${name}`);
      await page.evaluate(`document.title = ${JSON.stringify(name)}`);
      pages.push(page);
    }
    const world: World = {
      a: pages[0],
      b: pages[1],
      c: pages[2],
      wsUrl: kamailio.wsUrl,
      webUrl: web.url,
      bounceRegistrar: async (whileDown) => {
        const port = kamailio!.port;
        await kamailio!.stop();
        kamailio = undefined;
        await whileDown();
        kamailio = await startKamailio(port);
      },
    };
    const timings = await runSteps(steps, world, report);
    mkdirSync(screenshotDir, { recursive: true });
    for (const [i, page] of pages.entries()) {
      await page.screenshot({ path: join(screenshotDir, `phone-${'ABC'[i]}.png`) });
    }
    report({ done: true, figures: { totalMs: Date.now() - started, stepMs: timings } });
  } catch (err) {
    report({
      step: 'setup',
      ok: false,
      detail: `${err instanceof Error ? err.stack : String(err)}\n${kamailio?.log().slice(-2000) ?? ''}`,
    });
  } finally {
    await cleanUp();
  }
}

await main();
