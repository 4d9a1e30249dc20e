// A voicemail beep is a steady tone: frame after frame almost all the energy sits at one frequency, and that
// frequency does not move. Speech spreads its energy over harmonics and formants that glide, so it rarely passes
// both tests for long. Each frame is tested with a bank of Goertzel filters (one DFT bin each) across the band
// where beeps live; a bin's share of the frame's energy is 1 for a pure tone on the bin.

const LOWEST_HZ = 350;
const HIGHEST_HZ = 2600;
const STEP_HZ = 25;
/** A frame is tonal when one bin holds at least this share of its energy. */
const TONAL_SHARE = 0.6;
/** Consecutive tonal frames belong to one beep when their peaks are this close. */
const SAME_TONE_HZ = 50;

export class BeepDetector {
  private readonly freqs: number[] = [];
  private readonly coeffs: Float64Array;
  private runMs = 0;
  private runHz = 0;
  private reported = false;

  constructor(
    sampleRate: number,
    private readonly frameMs: number,
    private readonly minBeepMs: number,
  ) {
    const top = Math.min(HIGHEST_HZ, sampleRate / 2 - STEP_HZ);
    for (let f = LOWEST_HZ; f <= top; f += STEP_HZ) this.freqs.push(f);
    this.coeffs = new Float64Array(this.freqs.map((f) => 2 * Math.cos((2 * Math.PI * f) / sampleRate)));
  }

  /**
   * Feeds one frame (with its mean square, already computed, and whether it is loud enough to matter).
   * Returns the tone's frequency once per beep, when it has lasted `minBeepMs`; otherwise null.
   */
  feed(frame: Int16Array, power: number, loud: boolean): number | null {
    const hz = loud ? this.tonalPeak(frame, power) : null;
    if (hz === null || (this.runMs > 0 && Math.abs(hz - this.runHz) > SAME_TONE_HZ)) {
      this.runMs = hz === null ? 0 : this.frameMs;
      this.runHz = hz ?? 0;
      this.reported = false;
      return null;
    }
    if (this.runMs === 0) this.runHz = hz;
    this.runMs += this.frameMs;
    if (!this.reported && this.runMs >= this.minBeepMs) {
      this.reported = true;
      return this.runHz;
    }
    return null;
  }

  /** The frequency holding most of the frame's energy, if it holds at least TONAL_SHARE of it. */
  private tonalPeak(frame: Int16Array, power: number): number | null {
    const n = frame.length;
    const energy = power * n;
    if (energy <= 0) return null;
    let best = 0;
    let bestAt = -1;
    for (let k = 0; k < this.coeffs.length; k++) {
      const c = this.coeffs[k];
      let s1 = 0;
      let s2 = 0;
      for (let i = 0; i < n; i++) {
        const s0 = frame[i] + c * s1 - s2;
        s2 = s1;
        s1 = s0;
      }
      const binPower = s1 * s1 + s2 * s2 - c * s1 * s2;
      if (binPower > best) {
        best = binPower;
        bestAt = k;
      }
    }
    // A tone of amplitude A on the bin gives |X|² = (nA/2)² while the frame's energy is nA²/2.
    const share = (2 * best) / (n * energy);
    return share >= TONAL_SHARE ? this.freqs[bestAt] : null;
  }
}
