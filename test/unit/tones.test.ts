// The live tier's tone detector (test/support/tones.ts): known sines found, others and silence not (#22.3).
import t from 'tap';
import { readWav, toneRuns, toneShare, toneSpan, toneTimeline, toneWav } from '../support/tones.js';

const rate = 8000;
const sine = (hz: number, seconds: number, amp = 0.25) =>
  Float32Array.from({ length: rate * seconds }, (_, i) => amp * Math.sin((2 * Math.PI * hz * i) / rate));
const concat = (...parts: Float32Array[]) => {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

t.test('a sine is found at its frequency and not at another', async (t) => {
  const s = sine(440, 1);
  t.ok(toneShare(s, 0, 800, rate, 440) > 0.9, 'most of the energy is at 440 Hz');
  t.ok(toneShare(s, 0, 800, rate, 1500) < 0.01, 'none at 1500 Hz');
  t.ok(toneShare(s, 0, 800, rate, 500) < 0.05, 'none 60 Hz away either');
  t.equal(toneShare(new Float32Array(800), 0, 800, rate, 440), 0, 'silence holds no tone');
});

t.test('two parties mixed: both heard; quiet noise: neither', async (t) => {
  const mix = sine(440, 1).map((x, i) => x + 0.25 * Math.sin((2 * Math.PI * 1500 * i) / rate));
  const timeline = toneTimeline({ rate, samples: mix }, [440, 1500, 1800]);
  t.ok(
    timeline.every((w) => w.has(440) && w.has(1500) && !w.has(1800)),
    'each window hears both, not the third',
  );
  let seed = 1;
  const noise = Float32Array.from(
    { length: rate },
    () => ((seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5) * 0.3,
  );
  t.ok(
    toneTimeline({ rate, samples: noise }, [440, 1500]).every((w) => w.size === 0),
    'white noise is no tone',
  );
  t.ok(
    toneTimeline({ rate, samples: sine(440, 1, 0.002) }, [440]).every((w) => w.size === 0),
    'a tone below the silence floor is silence',
  );
});

t.test('the timeline says when each tone starts and stops', async (t) => {
  const pcm = { rate, samples: concat(new Float32Array(rate), sine(1500, 2), sine(440, 3)) };
  const tl = toneTimeline(pcm, [440, 1500]);
  t.match(toneSpan(tl, 1500), { seconds: 2, first: 1, last: 2.9 });
  t.match(toneSpan(tl, 440), { seconds: 3, first: 3, last: 5.9 });
  t.match(toneSpan(tl, 700), { seconds: 0, first: -1, last: -1 });
});

t.test('runs: a short dropout is bridged, a long pause starts a new run; longest first', async (t) => {
  const gap = (s: number) => new Float32Array(Math.round(rate * s));
  const pcm = { rate, samples: concat(sine(1200, 1), gap(0.2), sine(1200, 2), gap(2), sine(1200, 0.5)) };
  const runs = toneRuns(toneTimeline(pcm, [1200]), 1200);
  t.equal(runs.length, 2);
  t.match(runs[0], { first: 0 });
  t.ok(Math.abs(runs[0]!.seconds - 3.2) < 0.15, `the first run spans the dropout (${runs[0]!.seconds} s)`);
  t.ok(Math.abs(runs[1]!.seconds - 0.5) < 0.15, 'the last run stands apart');
  t.same(toneRuns(toneTimeline(pcm, [440]), 440), [], 'no run of a tone never heard');
});

t.test(
  'WAV files: written and read back, stereo mixed, a file still being written read as far as it goes',
  async (t) => {
    const wav = toneWav(1800, 0.5);
    const pcm = readWav(wav);
    t.equal(pcm.rate, 8000);
    t.equal(pcm.samples.length, 4000);
    t.ok(toneShare(pcm.samples, 0, 800, 8000, 1800) > 0.9);
    const growing = Buffer.from(wav);
    growing.writeUInt32LE(0, 40); // the data size FreeSWITCH leaves until it closes the file
    t.equal(readWav(growing).samples.length, 4000);
    const stereo = Buffer.alloc(44 + 8);
    wav.copy(stereo, 0, 0, 44);
    stereo.writeUInt16LE(2, 22);
    stereo.writeUInt32LE(8, 40);
    stereo.writeInt16LE(1000, 44);
    stereo.writeInt16LE(3000, 46);
    t.equal(readWav(stereo).samples[0], 2000 / 32768, 'the two channels are mixed');
    t.throws(() => readWav(Buffer.from('not a wav file at all, really')));
  },
);
