// Answering-machine detection benchmark (issue 23): accuracy on the synthesised test set (test/support/amd-audio.ts,
// made with espeak-ng and sox), how long a human waits for the verdict, CPU per analysed second of audio and memory
// per concurrent analysis. Figures, not assertions:
//   node --import=tsx --expose-gc scripts/bench/amd.ts [--set name=value ...] [--rounds N] [--verbose]
// --set overrides a threshold (src/calls/amd/settings.ts), to see what a tuning does before setting it on a task.
import { AmdClassifier, type AmdDecision } from '../../src/calls/amd/classifier.js';
import { BeepWait } from '../../src/calls/amd/beep-wait.js';
import { PcmFramer } from '../../src/calls/amd/frames.js';
import { resolveThresholds, type AmdThresholds } from '../../src/calls/amd/settings.js';
import { amdTestSet, loadClips, type Clip } from '../../test/support/amd-audio.js';

const args = process.argv.slice(2);
const overrides: Record<string, number> = {};
args.forEach((a, i) => {
  if (a !== '--set') return;
  const [name, value] = (args[i + 1] ?? '').split('=');
  overrides[name] = Number(value);
});
const rounds = args.includes('--rounds') ? Number(args[args.indexOf('--rounds') + 1]) : 5;
const verbose = args.includes('--verbose');
const resolved = resolveThresholds(overrides);
if (!resolved.ok) throw new Error(`${resolved.problem.field} ${resolved.problem.message}`);
const thresholds: AmdThresholds = resolved.value;

function classify(clip: Clip): { decision: AmdDecision | null; frames: number } {
  const c = new AmdClassifier(thresholds);
  let frames = 0;
  for (let i = 0; i + 160 <= clip.pcm.length; i += 160) {
    frames++;
    const d = c.feed(clip.pcm.subarray(i, i + 160));
    if (d) return { decision: d, frames };
  }
  return { decision: null, frames };
}

const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)];
};

const clips = await loadClips(amdTestSet());
const right = { human: 0, machine: 0 };
const total = { human: 0, machine: 0 };
const fromFirstWord: number[] = [];
const fromAnswer: number[] = [];
const machineAt: number[] = [];
const reasons = new Map<string, number>();
for (const clip of clips) {
  const { decision } = classify(clip);
  const truth = clip.spec.truth;
  total[truth]++;
  // "Not sure" goes on as a human (nobody is dropped), so it is right for a human and wrong for a machine.
  const verdict = decision?.verdict === 'machine' ? 'machine' : 'human';
  if (verdict === truth) right[truth]++;
  const key = `${truth} -> ${decision?.verdict ?? 'none'} (${decision?.reason ?? '-'})`;
  reasons.set(key, (reasons.get(key) ?? 0) + 1);
  if (decision && truth === 'human') {
    fromAnswer.push(decision.atMs);
    fromFirstWord.push(decision.atMs - clip.spec.leadSeconds * 1000);
  }
  if (decision && truth === 'machine') machineAt.push(decision.atMs);
  if (verbose || verdict !== truth) {
    console.log(`${verdict === truth ? 'ok ' : 'BAD'} ${clip.spec.name}: ${JSON.stringify(decision)}`);
  }
}

// CPU: every clip analysed whole (the verdict, then the wait for the beep), `rounds` times.
let analysedSeconds = 0;
const cpu0 = process.cpuUsage();
for (let r = 0; r < rounds; r++) {
  for (const clip of clips) {
    const c = new AmdClassifier(thresholds);
    const w = new BeepWait(thresholds);
    const framer = new PcmFramer(160);
    const bytes = new Uint8Array(clip.pcm.buffer, clip.pcm.byteOffset, clip.pcm.byteLength);
    for (let i = 0; i < bytes.length; i += 320) {
      for (const frame of framer.push(bytes.subarray(i, i + 320))) {
        if (!c.feed(frame)) continue;
        w.feed(frame);
      }
    }
    analysedSeconds += clip.pcm.length / 8000;
  }
}
const cpu = process.cpuUsage(cpu0);
const cpuMsPerSecond = (cpu.user + cpu.system) / 1000 / analysedSeconds;

// Memory: the state one call holds while it is analysed (classifier, beep wait, framer).
const gc = (globalThis as { gc?: () => void }).gc;
const N = 20000;
gc?.();
const heap0 = process.memoryUsage().heapUsed;
const held: unknown[] = [];
for (let i = 0; i < N; i++)
  held.push([new AmdClassifier(thresholds), new BeepWait(thresholds), new PcmFramer(160)]);
gc?.();
const bytesPerAnalysis = (process.memoryUsage().heapUsed - heap0) / N;

const pct = (a: number, b: number): string => `${((100 * a) / b).toFixed(1)}%`;
console.log(`thresholds: ${JSON.stringify(thresholds)}`);
console.log(`clips: ${total.human} human, ${total.machine} machine (espeak-ng + sox, through G.711 µ-law)`);
console.log(
  `accuracy: humans ${right.human}/${total.human} = ${pct(right.human, total.human)}, machines ${right.machine}/${total.machine} = ${pct(right.machine, total.machine)}`,
);
console.log(
  `human verdict after the first word: median ${quantile(fromFirstWord, 0.5)} ms, p95 ${quantile(fromFirstWord, 0.95)} ms, max ${Math.max(...fromFirstWord)} ms`,
);
console.log(
  `human verdict after the answer: median ${quantile(fromAnswer, 0.5)} ms, p95 ${quantile(fromAnswer, 0.95)} ms`,
);
console.log(
  `machine verdict after the answer: median ${quantile(machineAt, 0.5)} ms, p95 ${quantile(machineAt, 0.95)} ms`,
);
console.log(
  `CPU: ${cpuMsPerSecond.toFixed(3)} ms per analysed second of audio (${analysedSeconds.toFixed(0)} s analysed, one core)`,
);
console.log(
  `memory: ${(bytesPerAnalysis / 1024).toFixed(1)} KiB per concurrent analysis${gc ? '' : ' (run with --expose-gc for a steady figure)'}`,
);
for (const [k, n] of [...reasons].sort()) console.log(`  ${k}: ${n}`);
held.length = 0;
