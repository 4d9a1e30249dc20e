// The thresholds of answering-machine detection, per task. The idea follows Asterisk's app_amd (energy-based voice
// activity: how long the callee stays silent, how long and how wordy its greeting is, whether it then waits for an
// answer), re-designed here; the defaults are tuned on the synthesised test set (scripts/bench/amd.ts).

export interface AmdThresholds {
  /** Silence from the answer longer than this: a machine (a person says something when they pick up). */
  initialSilenceMs: number;
  /** Voiced time in the greeting past this: a machine (people say "hello?" and wait). */
  greetingMs: number;
  /** Silence after the greeting this long: a human waiting for us to speak. */
  afterGreetingSilenceMs: number;
  /** No verdict after this much audio: not sure (the call goes on as for a human). */
  totalAnalysisMs: number;
  /** Voice shorter than this is a click or noise burst, not a word. */
  minWordMs: number;
  /** A gap shorter than this does not end a word (stops inside words). */
  betweenWordsSilenceMs: number;
  /** This many words: a machine. */
  maxWords: number;
  /** One word this long: a machine (a tone or a continuous announcement). */
  maxWordMs: number;
  /** RMS amplitude (16-bit) below which a frame is silence whatever the noise floor. */
  silenceThreshold: number;
  /** A steady tone at least this long is a voicemail beep. */
  minBeepMs: number;
  /** After a machine verdict, wait at most this long for the beep before the message is played anyway. */
  maxBeepWaitMs: number;
}

export const DEFAULT_AMD_THRESHOLDS: Readonly<AmdThresholds> = Object.freeze({
  initialSilenceMs: 2500,
  greetingMs: 1500,
  afterGreetingSilenceMs: 425,
  totalAnalysisMs: 5000,
  minWordMs: 100,
  betweenWordsSilenceMs: 50,
  maxWords: 4,
  maxWordMs: 4000,
  silenceThreshold: 256,
  minBeepMs: 160,
  maxBeepWaitMs: 20000,
});

/** Allowed range of each threshold: values outside make the classifier meaningless, so input is refused. */
const AMD_THRESHOLD_LIMITS: Readonly<Record<keyof AmdThresholds, readonly [number, number]>> = Object.freeze({
  initialSilenceMs: [500, 10000],
  greetingMs: [300, 10000],
  afterGreetingSilenceMs: [200, 5000],
  totalAnalysisMs: [1000, 15000],
  minWordMs: [20, 1000],
  betweenWordsSilenceMs: [20, 1000],
  maxWords: [1, 20],
  maxWordMs: [500, 15000],
  silenceThreshold: [16, 8000],
  minBeepMs: [60, 2000],
  maxBeepWaitMs: [0, 60000],
});

type ThresholdProblem = { field: string; message: string };

/**
 * Merges a partial set over the defaults, refusing unknown names, non-integers and values out of range. Pure:
 * the HTTP layer turns a problem into a 4xx naming the field.
 */
export function resolveThresholds(
  input: unknown,
): { ok: true; value: AmdThresholds } | { ok: false; problem: ThresholdProblem } {
  const value: AmdThresholds = { ...DEFAULT_AMD_THRESHOLDS };
  if (input === undefined || input === null) return { ok: true, value };
  if (typeof input !== 'object' || Array.isArray(input)) {
    return { ok: false, problem: { field: 'amdThresholds', message: 'must be an object' } };
  }
  for (const [name, raw] of Object.entries(input as Record<string, unknown>)) {
    if (!(name in AMD_THRESHOLD_LIMITS)) {
      return { ok: false, problem: { field: `amdThresholds.${name}`, message: 'is not a known threshold' } };
    }
    const key = name as keyof AmdThresholds;
    const [min, max] = AMD_THRESHOLD_LIMITS[key];
    if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < min || raw > max) {
      return {
        ok: false,
        problem: { field: `amdThresholds.${name}`, message: `must be an integer from ${min} to ${max}` },
      };
    }
    value[key] = raw;
  }
  return { ok: true, value };
}
