// Answering-machine detection over the first seconds of an answered call: a pure state machine fed 20 ms frames of
// 16-bit PCM. The idea is Asterisk's app_amd (voice activity, then rules on the greeting's shape), designed anew:
// - a long silence after the answer is a machine waiting for its own cue (or a dead line);
// - a person says a short "hello?" and then waits: a silence after a short greeting is a human;
// - a long or wordy greeting, a single endless "word", or a beep is a machine;
// - no verdict within the analysis time is "not sure" (treated as a human by the caller: never lose a person).

import { BeepDetector } from './beep.js';
import type { AmdThresholds } from './settings.js';
import { VoiceActivity, meanSquare } from './voice-activity.js';

type AmdVerdict = 'human' | 'machine' | 'notsure';
type AmdReason =
  | 'after-greeting-silence'
  | 'initial-silence'
  | 'long-greeting'
  | 'max-words'
  | 'max-word-length'
  | 'beep'
  | 'too-long';

export interface AmdDecision {
  verdict: AmdVerdict;
  reason: AmdReason;
  /** Audio analysed when the verdict fell (ms since the answer's first frame). */
  atMs: number;
  /** When the first word began (ms), or null when nobody spoke. */
  firstVoiceMs: number | null;
  words: number;
  /** Voiced time of the greeting (ms). */
  greetingMs: number;
}

export const FRAME_MS = 20;

export class AmdClassifier {
  private readonly vad: VoiceActivity;
  private readonly beeps: BeepDetector;
  private elapsed = 0;
  private voiceRun = 0;
  private silenceRun = 0;
  private inWord = false;
  private words = 0;
  private voiced = 0;
  private firstVoice: number | null = null;
  private decision: AmdDecision | null = null;

  constructor(
    private readonly t: AmdThresholds,
    readonly sampleRate = 8000,
  ) {
    this.vad = new VoiceActivity(t.silenceThreshold);
    this.beeps = new BeepDetector(sampleRate, FRAME_MS, t.minBeepMs);
  }

  /** Samples in one frame at this rate. */
  get frameSamples(): number {
    return (this.sampleRate * FRAME_MS) / 1000;
  }

  get elapsedMs(): number {
    return this.elapsed;
  }

  /** Feeds one frame; returns the verdict on the frame that decides it, and keeps returning it afterwards. */
  feed(frame: Int16Array): AmdDecision | null {
    if (this.decision) return this.decision;
    this.elapsed += FRAME_MS;
    const power = meanSquare(frame);
    const voice = this.vad.isVoice(power);
    if (this.beeps.feed(frame, power, this.vad.isLoud(power)) !== null) return this.decide('machine', 'beep');
    return voice ? this.onVoice() : this.onSilence();
  }

  private onVoice(): AmdDecision | null {
    this.voiceRun += FRAME_MS;
    this.silenceRun = 0;
    if (this.firstVoice !== null) this.voiced += FRAME_MS;
    if (!this.inWord && this.voiceRun >= this.t.minWordMs) {
      this.inWord = true;
      this.words += 1;
      if (this.firstVoice === null) {
        this.firstVoice = this.elapsed - this.voiceRun;
        this.voiced = this.voiceRun;
      }
      if (this.words >= this.t.maxWords) return this.decide('machine', 'max-words');
    }
    if (this.firstVoice !== null && this.voiced >= this.t.greetingMs)
      return this.decide('machine', 'long-greeting');
    if (this.voiceRun >= this.t.maxWordMs) return this.decide('machine', 'max-word-length');
    return this.checkTime();
  }

  private onSilence(): AmdDecision | null {
    this.silenceRun += FRAME_MS;
    if (this.silenceRun >= this.t.betweenWordsSilenceMs) {
      this.inWord = false;
      this.voiceRun = 0;
    }
    if (this.firstVoice === null) {
      // A blip shorter than a word does not end the initial silence.
      if (this.elapsed - this.voiceRun >= this.t.initialSilenceMs)
        return this.decide('machine', 'initial-silence');
    } else if (this.silenceRun >= this.t.afterGreetingSilenceMs) {
      return this.decide('human', 'after-greeting-silence');
    }
    return this.checkTime();
  }

  private checkTime(): AmdDecision | null {
    return this.elapsed >= this.t.totalAnalysisMs ? this.decide('notsure', 'too-long') : null;
  }

  private decide(verdict: AmdVerdict, reason: AmdReason): AmdDecision {
    this.decision = {
      verdict,
      reason,
      atMs: this.elapsed,
      firstVoiceMs: this.firstVoice,
      words: this.words,
      greetingMs: this.voiced,
    };
    return this.decision;
  }
}
