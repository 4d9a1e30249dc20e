import t from 'tap';
import { AmdClassifier, type AmdDecision } from '../../../src/calls/amd/classifier.js';
import { BeepWait } from '../../../src/calls/amd/beep-wait.js';
import { PcmFramer } from '../../../src/calls/amd/frames.js';
import { DEFAULT_AMD_THRESHOLDS, resolveThresholds } from '../../../src/calls/amd/settings.js';

// Synthetic audio, 8 kHz: silence, a steady tone, and "speech": noise shaped into syllables (voiced 180 ms,
// 60 ms dips), enough for an energy classifier and never tonal. A seeded generator keeps runs identical.
const RATE = 8000;
let seed = 7;
const rand = (): number => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x7fffffff;
};
const silence = (ms: number): number[] => new Array((ms * RATE) / 1000).fill(0);
const noise = (ms: number, rms: number): number[] =>
  Array.from({ length: (ms * RATE) / 1000 }, () => Math.round((rand() * 2 - 1) * rms * Math.sqrt(3)));
const tone = (ms: number, hz: number, amp: number): number[] =>
  Array.from({ length: (ms * RATE) / 1000 }, (_, i) =>
    Math.round(amp * Math.sin((2 * Math.PI * hz * i) / RATE)),
  );
const speech = (ms: number, rms = 4000): number[] => {
  const out: number[] = [];
  while (out.length < (ms * RATE) / 1000) out.push(...noise(180, rms), ...noise(60, rms / 40));
  return out.slice(0, (ms * RATE) / 1000);
};
const mix = (a: number[], b: number[]): number[] =>
  a.map((x, i) => Math.max(-32768, Math.min(32767, x + (b[i] ?? 0))));

function classify(samples: number[], overrides = {}): AmdDecision | null {
  const c = new AmdClassifier({ ...DEFAULT_AMD_THRESHOLDS, ...overrides });
  const pcm = Int16Array.from(samples);
  for (let i = 0; i + 160 <= pcm.length; i += 160) {
    const d = c.feed(pcm.subarray(i, i + 160));
    if (d) return d;
  }
  return null;
}

t.test(
  'a person who says a short hello and waits is a human, decided after the silence that follows',
  async (t) => {
    const d = classify([...silence(400), ...speech(500), ...silence(3000)]);
    t.equal(d?.verdict, 'human');
    t.equal(d?.reason, 'after-greeting-silence');
    t.equal(d?.firstVoiceMs, 400);
    t.ok(
      d && d.atMs >= 900 + DEFAULT_AMD_THRESHOLDS.afterGreetingSilenceMs - 60 && d.atMs <= 900 + 800,
      `${d?.atMs}`,
    );
  },
);

t.test('nobody speaking for the initial-silence time is a machine', async (t) => {
  const d = classify(silence(6000));
  t.equal(d?.verdict, 'machine');
  t.equal(d?.reason, 'initial-silence');
  t.equal(d?.atMs, DEFAULT_AMD_THRESHOLDS.initialSilenceMs);
  t.equal(d?.firstVoiceMs, null);
});

t.test('a click shorter than a word does not end the initial silence', async (t) => {
  const d = classify([...silence(1000), ...noise(40, 5000), ...silence(3000)]);
  t.equal(d?.reason, 'initial-silence');
});

t.test('a greeting that talks on past the greeting time is a machine (long greeting)', async (t) => {
  const d = classify([...silence(300), ...speech(4000)], { maxWords: 20 });
  t.equal(d?.verdict, 'machine');
  t.equal(d?.reason, 'long-greeting');
  t.ok(d && d.greetingMs >= DEFAULT_AMD_THRESHOLDS.greetingMs);
});

t.test('a greeting with many words is a machine before its voiced time runs out (max words)', async (t) => {
  const d = classify([...silence(300), ...speech(4000)], { maxWords: 3 });
  t.equal(d?.reason, 'max-words');
  t.equal(d?.words, 3);
});

t.test('one endless sound with no pause is a machine (max word length)', async (t) => {
  const d = classify([...silence(200), ...noise(5000, 3000)], { greetingMs: 10000, maxWordMs: 2000 });
  t.equal(d?.reason, 'max-word-length');
});

t.test('a beep is a machine at once, even before anyone speaks', async (t) => {
  const d = classify([...silence(300), ...tone(400, 1000, 8000), ...silence(3000)]);
  t.equal(d?.verdict, 'machine');
  t.equal(d?.reason, 'beep');
  t.ok(d && d.atMs <= 300 + DEFAULT_AMD_THRESHOLDS.minBeepMs + 40, `${d?.atMs}`);
});

t.test('beeps at other frequencies (a 440 Hz or 1.4 kHz voicemail tone) are found too', async (t) => {
  for (const hz of [440, 1400, 2110]) {
    t.equal(
      classify([...silence(200), ...tone(300, hz, 6000), ...silence(3000)])?.reason,
      'beep',
      `${hz} Hz`,
    );
  }
});

t.test(
  'a human answering over steady background noise is still a human (the threshold follows the floor)',
  async (t) => {
    const bed = noise(5000, 900);
    const d = classify(mix([...silence(500), ...speech(500, 6000), ...silence(4000)], bed));
    t.equal(d?.verdict, 'human');
  },
);

t.test('a line that never settles is "not sure" when the analysis time runs out', async (t) => {
  // Short voiced bursts with pauses too short to be the end of a greeting, too few words and too little voice.
  const burst = [...noise(120, 4000), ...silence(500)];
  const d = classify(Array.from({ length: 12 }, () => burst).flat(), {
    maxWords: 20,
    greetingMs: 5000,
    afterGreetingSilenceMs: 600,
  });
  t.equal(d?.verdict, 'notsure');
  t.equal(d?.reason, 'too-long');
  t.equal(d?.atMs, DEFAULT_AMD_THRESHOLDS.totalAnalysisMs);
});

t.test('the verdict is kept once given (later frames change nothing)', async (t) => {
  const c = new AmdClassifier(DEFAULT_AMD_THRESHOLDS);
  const zero = new Int16Array(160);
  let first: AmdDecision | null = null;
  for (let i = 0; i < 200 && !first; i++) first = c.feed(zero);
  t.same(c.feed(Int16Array.from(tone(20, 1000, 9000))), first);
});

t.test('16 kHz audio (a wideband leg) is classified with 20 ms frames of 320 samples', async (t) => {
  const c = new AmdClassifier(DEFAULT_AMD_THRESHOLDS, 16000);
  t.equal(c.frameSamples, 320);
  const tone16 = Int16Array.from({ length: 16000 }, (_, i) =>
    Math.round(8000 * Math.sin((2 * Math.PI * 1000 * i) / 16000)),
  );
  let d: AmdDecision | null = null;
  for (let i = 0; i + 320 <= tone16.length && !d; i += 320) d = c.feed(tone16.subarray(i, i + 320));
  t.equal(d?.reason, 'beep');
});

t.test(
  'after a machine verdict the message waits for the beep, or the greeting end, or the time limit',
  async (t) => {
    const feed = (samples: number[], overrides = {}) => {
      const w = new BeepWait({ ...DEFAULT_AMD_THRESHOLDS, ...overrides });
      const pcm = Int16Array.from(samples);
      for (let i = 0; i + 160 <= pcm.length; i += 160) {
        const e = w.feed(pcm.subarray(i, i + 160));
        if (e) return e;
      }
      return null;
    };
    t.same(feed([...speech(2000), ...tone(500, 1000, 8000)]), { reason: 'beep', atMs: 2000 + 160 });
    t.equal(feed([...speech(1000), ...silence(4000)])?.reason, 'silence');
    t.same(feed(speech(5000), { maxBeepWaitMs: 3000 }), { reason: 'timeout', atMs: 3000 });
  },
);

t.test('the framer regroups datagrams of any size into 20 ms frames, little-endian', async (t) => {
  const f = new PcmFramer(160);
  const bytes = new Uint8Array(320 * 2 + 3);
  new DataView(bytes.buffer).setInt16(0, -2, true);
  new DataView(bytes.buffer).setInt16(320, 300, true);
  const a = f.push(bytes.subarray(0, 101));
  const b = f.push(bytes.subarray(101));
  t.equal(a.length, 0);
  t.equal(b.length, 2);
  t.equal(b[0][0], -2);
  t.equal(b[1][0], 300);
  t.equal(f.push(new Uint8Array(317)).length, 1, 'the 3 bytes left over complete the next frame');
});

t.test(
  'thresholds: a partial set merges over the defaults; unknown or out-of-range values name the field',
  async (t) => {
    t.same(resolveThresholds(undefined), { ok: true, value: DEFAULT_AMD_THRESHOLDS });
    const merged = resolveThresholds({ greetingMs: 2000 });
    t.equal(merged.ok && merged.value.greetingMs, 2000);
    t.equal(merged.ok && merged.value.initialSilenceMs, DEFAULT_AMD_THRESHOLDS.initialSilenceMs);
    t.same(resolveThresholds({ greetingMsx: 1 }), {
      ok: false,
      problem: { field: 'amdThresholds.greetingMsx', message: 'is not a known threshold' },
    });
    const range = resolveThresholds({ afterGreetingSilenceMs: 50 });
    t.equal(!range.ok && range.problem.field, 'amdThresholds.afterGreetingSilenceMs');
    t.equal(!resolveThresholds({ maxWords: 2.5 }).ok, true);
    t.equal(!resolveThresholds({ maxWords: '3' }).ok, true);
    t.equal(!resolveThresholds([1]).ok, true);
  },
);
