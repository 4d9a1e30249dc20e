import t from 'tap';
import { BeepWait, type BeepWaitEnd } from '../../../src/calls/amd/beep-wait.js';
import { AmdClassifier, type AmdDecision } from '../../../src/calls/amd/classifier.js';
import { DEFAULT_AMD_THRESHOLDS } from '../../../src/calls/amd/settings.js';
import { amdTestSet, loadClips, type Clip } from '../../support/amd-audio.js';

// The classifier on synthesised recordings (espeak-ng + sox, through µ-law; see test/support/amd-audio.ts) with
// the default thresholds. The benchmark (scripts/bench/amd.ts) prints the same figures with decision times.

function run(clip: Clip): { decision: AmdDecision | null; beep: BeepWaitEnd | null; beepAtSeconds: number } {
  const c = new AmdClassifier(DEFAULT_AMD_THRESHOLDS);
  const w = new BeepWait(DEFAULT_AMD_THRESHOLDS);
  let decision: AmdDecision | null = null;
  let beep: BeepWaitEnd | null = null;
  let i = 0;
  for (; i + 160 <= clip.pcm.length && !beep; i += 160) {
    const frame = clip.pcm.subarray(i, i + 160);
    if (!decision) decision = c.feed(frame);
    else beep = w.feed(frame);
  }
  return { decision, beep, beepAtSeconds: i / 8000 };
}

t.test('the synthesised answers and greetings', async (t) => {
  const clips = await loadClips(amdTestSet());
  const humans = clips.filter((c) => c.spec.truth === 'human');
  const machines = clips.filter((c) => c.spec.truth === 'machine');
  t.ok(humans.length >= 48 && machines.length >= 24, 'the set covers voices, speeds and noise');

  t.test('no person is ever taken for a machine ("喂？", "Hello?", with and without noise)', async (t) => {
    for (const clip of humans) {
      const { decision } = run(clip);
      t.not(decision?.verdict, 'machine', `${clip.spec.name}: ${JSON.stringify(decision)}`);
    }
  });

  t.test('machines are found, well before their greeting ends', async (t) => {
    const found = machines.filter((clip) => {
      const { decision } = run(clip);
      return decision?.verdict === 'machine' && decision.atMs / 1000 < clip.speechEndSeconds;
    });
    t.ok(
      found.length >= Math.ceil(machines.length * 0.9),
      `${found.length}/${machines.length} machines found`,
    );
  });

  t.test(
    'after the machine verdict, the wait ends on the beep itself (not on a word of the greeting)',
    async (t) => {
      for (const clip of machines) {
        const { decision, beep, beepAtSeconds } = run(clip);
        if (decision?.verdict !== 'machine') continue;
        t.equal(beep?.reason, 'beep', clip.spec.name);
        const late = beepAtSeconds - clip.speechEndSeconds;
        t.ok(
          late >= 0 && late <= 0.3,
          `${clip.spec.name}: the beep was heard ${late.toFixed(2)} s after the speech`,
        );
      }
    },
  );
});
