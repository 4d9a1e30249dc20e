// Answering-machine detection through the whole server (issue 23): the app against the FreeSWITCH emulator at real
// time (timeScale 1), each customer answering with one clip of the synthesised test set, streamed by the emulator's
// unicast as FreeSWITCH does. Measures, per person, the time from their first word to the bridge to an agent
// (CHANNEL_BRIDGE of the customer's leg), and the verdict of every clip as the call log stores it. Figures, not
// assertions:
//   node --import=tsx scripts/bench/amd-bridge.ts [--concurrent N] [--humans-only]
// The emulator runs in this process: its timers and the server share one event loop (as a loaded server would).
import { eq } from 'drizzle-orm';
import { callLogs, tasks } from '../../src/db/schema.js';
import { amdTestSet, loadClips } from '../../test/support/amd-audio.js';
import { startCallHarness, type CallHarness } from '../../test/support/calls.js';

const args = process.argv.slice(2);
const concurrent = args.includes('--concurrent') ? Number(args[args.indexOf('--concurrent') + 1]) : 8;
const humansOnly = args.includes('--humans-only');

const specs = amdTestSet().filter((s) => !humansOnly || s.truth === 'human');
const clips = await loadClips(specs);
const h: CallHarness = await startCallHarness({ emulator: { timeScale: 1 } });
const agents = await h.project('pb', concurrent);
for (const a of agents) h.fs.register(a, { mode: 'auto-answer', hangupAfterMs: 300 });
const taskId = await h.task({ code: 'tb', projectCode: 'pb', scheduleType: 1 });
h.store.db.update(tasks).set({ amd: 1 }).where(eq(tasks.id, taskId)).run();

const answeredAt = new Map<string, number>();
const bridgedAt = new Map<string, number>();
h.fs.onEvent((e) => {
  const uuid = e.headers.find(([k]) => k === 'Unique-ID')?.[1];
  if (!uuid?.startsWith('00000000-0000-4000-8b23-')) return;
  if (e.name === 'CHANNEL_ANSWER') answeredAt.set(uuid, Date.now());
  if (e.name === 'CHANNEL_BRIDGE' && !bridgedAt.has(uuid)) bridgedAt.set(uuid, Date.now());
});

let n = 0;
async function call(i: number): Promise<void> {
  const clip = clips[i]!;
  const callId = `00000000-0000-4000-8b23-${String(++n).padStart(12, '0')}`;
  const number = `139${String(n).padStart(8, '0')}`;
  // A person stays on the line after their greeting; a machine hangs up once its recorder has run a while.
  h.fs.setPeer(number, {
    kind: 'answer',
    audio: clip.pcm,
    hangupAfterMs: clip.spec.truth === 'human' ? 8000 : 12_000,
  });
  const v = {
    origination_uuid: callId,
    cc_call_id: callId,
    cc_role: 'customer',
    cc_number: number,
    cc_flow: 'direct',
    cc_task: 'tb',
    cc_project: 'pb',
    ...h.socketLeg(callId, 'direct'),
  };
  const block = `{${Object.entries(v)
    .map(([k, x]) => `${k}=${x}`)
    .join(',')}}`;
  const r = await h.app.nodes.bgapi(1, `originate ${block}sofia/gateway/gw1/${number} '&${h.socketApp}'`);
  if (!r.ok) throw new Error(`originate: ${r.error.text}`);
  const log = await h.fs.waitFor(
    () => h.store.db.select().from(callLogs).where(eq(callLogs.callUuid, callId)).get()?.resultDetail != null,
    30_000,
  );
  void log;
  const row = h.store.db.select().from(callLogs).where(eq(callLogs.callUuid, callId)).get()!;
  const unicastAt = h.fs.commands.find(
    (c) => c.from === callId && c.headers.some(([k, x]) => k === 'call-command' && x === 'unicast'),
  )?.at;
  results.push({
    answerToStreamMs:
      unicastAt !== undefined && answeredAt.has(callId) ? unicastAt - answeredAt.get(callId)! : null,
    name: clip.spec.name,
    truth: clip.spec.truth,
    verdict: row.amdVerdict ?? 'none',
    amdMs: row.amdMs ?? 0,
    firstWordToBridgeMs:
      bridgedAt.has(callId) && answeredAt.has(callId)
        ? bridgedAt.get(callId)! - answeredAt.get(callId)! - clip.spec.leadSeconds * 1000
        : null,
  });
}

const results: {
  answerToStreamMs: number | null;
  name: string;
  truth: string;
  verdict: string;
  amdMs: number;
  firstWordToBridgeMs: number | null;
}[] = [];
const started = Date.now();
let next = 0;
await Promise.all(
  Array.from({ length: concurrent }, async () => {
    while (next < clips.length) await call(next++);
  }),
);
const wallS = (Date.now() - started) / 1000;
await h.close();

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))]! : NaN;
};
const humans = results.filter((r) => r.truth === 'human');
const machines = results.filter((r) => r.truth === 'machine');
const bridges = humans.flatMap((r) => (r.firstWordToBridgeMs === null ? [] : [r.firstWordToBridgeMs]));
console.log(`${results.length} calls, ${concurrent} at a time, in ${wallS.toFixed(1)} s`);
console.log(
  `humans right (human or not sure, bridged): ${humans.filter((r) => r.verdict !== 'machine').length}/${humans.length}`,
);
console.log(`machines right: ${machines.filter((r) => r.verdict === 'machine').length}/${machines.length}`);
console.log(
  `human first word -> bridge (ms): median ${pct(bridges, 0.5).toFixed(0)}, p95 ${pct(bridges, 0.95).toFixed(0)}, max ${pct(bridges, 1).toFixed(0)} (n=${bridges.length})`,
);
const streams = results.flatMap((r) => (r.answerToStreamMs === null ? [] : [r.answerToStreamMs]));
console.log(
  `answer -> unicast command (ms): median ${pct(streams, 0.5).toFixed(0)}, p95 ${pct(streams, 0.95).toFixed(0)}, max ${pct(streams, 1).toFixed(0)} (audio before it is not heard)`,
);
for (const r of results.filter((x) => (x.truth === 'human') !== (x.verdict !== 'machine')))
  console.log(`  wrong: ${r.name} -> ${r.verdict} after ${r.amdMs} ms`);
