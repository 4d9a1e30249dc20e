// After a machine verdict the message must start when the recorder does: right after the beep. Some mailboxes
// have no beep, so the end of the greeting (a long silence once it has spoken) also starts it, and after
// `maxBeepWaitMs` it starts anyway (the caller hangs up rather than wait forever).

import { BeepDetector } from './beep.js';
import { FRAME_MS } from './classifier.js';
import type { AmdThresholds } from './settings.js';
import { VoiceActivity, meanSquare } from './voice-activity.js';

export type BeepWaitEnd = { reason: 'beep' | 'silence' | 'timeout'; atMs: number };

/** Silence this long after voice: the greeting is over even without a beep. */
const GREETING_OVER_SILENCE_MS = 2500;

export class BeepWait {
  private readonly vad: VoiceActivity;
  private readonly beeps: BeepDetector;
  private elapsed = 0;
  private silenceRun = 0;
  private heardVoice = false;
  private end: BeepWaitEnd | null = null;

  constructor(
    private readonly t: AmdThresholds,
    sampleRate = 8000,
  ) {
    this.vad = new VoiceActivity(t.silenceThreshold);
    this.beeps = new BeepDetector(sampleRate, FRAME_MS, t.minBeepMs);
  }

  feed(frame: Int16Array): BeepWaitEnd | null {
    if (this.end) return this.end;
    this.elapsed += FRAME_MS;
    const power = meanSquare(frame);
    const voice = this.vad.isVoice(power);
    if (this.beeps.feed(frame, power, this.vad.isLoud(power)) !== null) return this.finish('beep');
    if (voice) {
      this.heardVoice = true;
      this.silenceRun = 0;
    } else {
      this.silenceRun += FRAME_MS;
      if (this.heardVoice && this.silenceRun >= GREETING_OVER_SILENCE_MS) return this.finish('silence');
    }
    return this.elapsed >= this.t.maxBeepWaitMs ? this.finish('timeout') : null;
  }

  private finish(reason: BeepWaitEnd['reason']): BeepWaitEnd {
    this.end = { reason, atMs: this.elapsed };
    return this.end;
  }
}
