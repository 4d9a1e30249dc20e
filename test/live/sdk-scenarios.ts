// Live tier: our softphone SDK in Chromium as an agent, registered straight to FreeSWITCH's WebSocket binding
// (ws://127.0.0.1:5066, no proxy in between): auto-answered customer calls with audio both ways, then the SDK's own
// call, hold, unhold, DTMF and blind transfer against FreeSWITCH.
import { chromium, type Browser, type Page } from 'playwright-core';
import { chromiumFlags, chromiumPath } from '../browser/namespace-run.js';
import {
  audioBytesIn as audioIn,
  eventOn as eventWithin,
  inPage,
  type Json,
} from '../browser/page-helpers.js';
import { startStaticServer, type StaticServer } from '../browser/static-server.js';
import { connectStomp } from '../support/stomp-client.js';
import { readFileSync } from 'node:fs';
import { sleep, waitFor } from './lab.js';
import { readWav, toneSpan, toneTimeline } from '../support/tones.js';
import { buildWorld, setWork } from './world.js';
import type { Ctx } from './scenarios.js';

type Step = [string, (c: Ctx) => Promise<string | void>];

interface Sdk {
  browser: Browser;
  web: StaticServer;
  page: Page;
  username: string;
}
const sdks = new WeakMap<Ctx, Sdk>();

const eventOn = (page: Page, match: Json, timeout = 15_000) => eventWithin(page, match, timeout);

function check(cond: unknown, what: string, detail?: unknown): asserts cond {
  if (!cond) throw new Error(`${what}${detail === undefined ? '' : `: ${JSON.stringify(detail)}`}`);
}

/** The tone Chromium's fake microphone sends (the baresip phones send 440 Hz). */
const SDK_HZ = 2000;
const PHONE_HZ = 440;

/** Seconds of each tone in what the page's <audio id="remote"> plays (the other party), over `seconds`. */
async function heardInPage(page: Page, seconds: number) {
  const samples = await inPage<number[]>(
    page,
    `async (seconds) => {
      const ctx = new AudioContext({ sampleRate: 8000 });
      await ctx.resume();
      const src = ctx.createMediaStreamSource(document.getElementById('remote').srcObject);
      const node = ctx.createScriptProcessor(4096, 1, 1);
      const out = [];
      node.onaudioprocess = (e) => { for (const x of e.inputBuffer.getChannelData(0)) out.push(x); };
      src.connect(node);
      node.connect(ctx.destination);
      await new Promise((r) => setTimeout(r, seconds * 1000));
      src.disconnect();
      node.disconnect();
      await ctx.close();
      return out;
    }`,
    seconds,
  );
  const timeline = toneTimeline({ rate: 8000, samples: Float32Array.from(samples) }, [SDK_HZ, PHONE_HZ]);
  return { [SDK_HZ]: toneSpan(timeline, SDK_HZ).seconds, [PHONE_HZ]: toneSpan(timeline, PHONE_HZ).seconds };
}

export const sdkGroup: Step[] = [
  [
    'lab: FreeSWITCH, our server, carrier, one baresip agent, and our SDK in Chromium on FreeSWITCH’s ws binding',
    async (c) => {
      c.w = await buildWorld(c.lab, { agents: 2, phones: 1 });
      const agent = c.w.agents[1]!;
      const web = await startStaticServer();
      const browser = await chromium.launch({
        executablePath: chromiumPath,
        args: [
          ...chromiumFlags,
          `--use-file-for-fake-audio-capture=${c.lab.toneFile(SDK_HZ)}`,
          '--autoplay-policy=no-user-gesture-required',
        ],
        headless: true,
        handleSIGTERM: false,
      });
      const page = await (await browser.newContext()).newPage();
      await page.goto(`${web.url}/?SDK`);
      sdks.set(c, { browser, web, page, username: agent.username });
      c.lab.onClose(async () => {
        await browser.close();
        await web.close();
      });
      await inPage(page, '(o) => window.cc.start("SDK", o)', {
        authorizationUser: agent.username,
        password: agent.password,
        wsServers: ['ws://127.0.0.1:5066'],
        uri: `sip:${agent.username}@127.0.0.1`,
        remoteVideoId: 'remote',
        localVideoId: 'local',
      });
      await eventOn(page, { type: 'registered' });
      const stomp = await connectStomp('http://127.0.0.1:8080', agent.username, agent.password);
      for (const topic of ['call', 'bye']) stomp.subscribe(`/topic/${topic}/${agent.username}`);
      c.w.stomp.set(agent.username, stomp);
      await waitFor(
        'the SDK registration seen by our server',
        () =>
          c.lab.sql<{ r: number }>(
            'SELECT reg_status r FROM extensions WHERE username = ?',
            agent.username,
          )[0]!.r === 1,
        15_000,
        200,
      );
      return `SDK agent ${agent.username}`;
    },
  ],
  [
    'a customer call to the SDK agent is answered by itself (X-CC-Auto-Answer), audio flows, and it is logged (10/55)',
    async (c) => {
      const { w } = c;
      const sdk = sdks.get(c)!;
      await setWork(w, [w.agents[0]!.username], 0);
      await setWork(w, [sdk.username], 1);
      const number = '13600000401';
      const task = await w.task({ scheduleType: 1, callListId: await w.list([number]) });
      const answered = await eventOn(sdk.page, { type: 'answered', s: 0 }, 20_000);
      check(answered.autoAnswer === true, 'the SDK answered by itself', answered);
      const bytes = await waitFor(
        'audio from FreeSWITCH',
        async () => (await audioIn(sdk.page)) || undefined,
        10_000,
      );
      // The carrier echoes what it hears: the SDK's own tone coming back has been to the customer and back.
      const heard = await heardInPage(sdk.page, 2);
      check(heard[SDK_HZ]! >= 1, "the customer heard the SDK's tone (echoed back to it)", heard);
      await w.stomp.get(sdk.username)!.next(`/topic/call/${sdk.username}`, () => true, 10_000);
      const log = await waitFor(
        'the call log',
        async () => (await w.logs(task)).find((l) => l.result !== null && l.result !== ''),
        30_000,
        500,
      );
      check(Number(log.result) === 10 && Number(log.resultDetail) === 55, 'result 10/55', log);
      check(log.callerIdNumber === sdk.username, 'the SDK agent is named', log);
      return `${bytes} audio bytes received; the SDK heard its tone echoed for ${heard[SDK_HZ]} s of 2 s`;
    },
  ],
  [
    'the SDK calls a colleague through FreeSWITCH, holds, unholds, sends DTMF and blind-transfers the call',
    async (c) => {
      const { w, lab } = c;
      const sdk = sdks.get(c)!;
      const colleague = w.agents[0]!.username;
      const manager = w.manager.username;
      const before = w.phones.get(manager)!.incomingCalls().length;
      const s = await inPage<number>(sdk.page, '([t, h]) => window.cc.call(t, h)', [colleague, []]);
      await eventOn(sdk.page, { type: 'answered', s });
      await waitFor('audio from the colleague', async () => (await audioIn(sdk.page)) || undefined, 10_000);
      // Each side hears the other: the SDK the colleague's phone tone, the colleague's phone the SDK's tone.
      const heard = await heardInPage(sdk.page, 2);
      check(heard[PHONE_HZ]! >= 1, "the SDK heard the colleague's tone", heard);
      const dump = w.phones.get(colleague)!.heardFile();
      check(dump, "the colleague's phone dumped what it heard");
      const colleagueHeard = toneSpan(toneTimeline(readWav(readFileSync(dump)), [SDK_HZ]), SDK_HZ).seconds;
      check(colleagueHeard >= 1, "the colleague heard the SDK's tone", colleagueHeard);
      const onSession = (method: string, arg?: unknown) =>
        inPage(sdk.page, '([s, m, a]) => window.cc.sessions[s][m](a)', [s, method, arg ?? null]);
      await onSession('hold');
      await eventOn(sdk.page, { type: 'hold', s });
      await onSession('unhold');
      await eventOn(sdk.page, { type: 'unhold', s });
      await onSession('sendDTMF', '5');
      await eventOn(sdk.page, { type: 'dtmf', s });
      await waitFor(
        'FreeSWITCH received the DTMF',
        () => /RECV DTMF 5/.test(lab.fsLog()) || undefined,
        5000,
        250,
      );
      // Blind transfer of the colleague to the manager: the manager's phone rings (and answers by itself).
      await onSession('transfer', manager);
      await waitFor(
        'the manager rung by the transfer',
        () => w.phones.get(manager)!.incomingCalls().length > before || undefined,
        15_000,
        250,
      );
      await eventOn(sdk.page, { type: 'ended', s }, 15_000);
      await sleep(500);
      return `the SDK heard the colleague ${heard[PHONE_HZ]} s of 2 s, the colleague heard the SDK ${colleagueHeard} s`;
    },
  ],
];
