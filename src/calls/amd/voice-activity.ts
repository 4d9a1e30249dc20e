// Energy-based voice activity over 20 ms frames of 16-bit PCM. The threshold follows the noise floor so that a
// person answering from a noisy street is not one endless "word": a frame is voice only when it is louder than the
// absolute silence threshold AND clearly above the floor measured in the pauses.

/** How far above the noise floor (in power) a frame must be to count as voice: ×6 ≈ 7.8 dB. */
const VOICE_OVER_FLOOR = 6;
/** The floor follows quieter frames at once and creeps up by this factor per frame (≈ 2 dB per second). */
const FLOOR_RISE_PER_FRAME = 1.012;

export function meanSquare(frame: Int16Array): number {
  let sum = 0;
  for (let i = 0; i < frame.length; i++) sum += frame[i] * frame[i];
  return frame.length === 0 ? 0 : sum / frame.length;
}

export class VoiceActivity {
  private floor = -1;
  private readonly absolute: number;

  constructor(silenceThreshold: number) {
    this.absolute = silenceThreshold * silenceThreshold;
  }

  /** Whether this frame (already measured: mean square) is voice; updates the noise floor. */
  isVoice(power: number): boolean {
    const minFloor = this.absolute / VOICE_OVER_FLOOR;
    if (this.floor < 0) this.floor = Math.max(power, minFloor);
    const voiced = power > this.absolute && power > this.floor * VOICE_OVER_FLOOR;
    this.floor = power < this.floor ? Math.max(power, minFloor) : this.floor * FLOOR_RISE_PER_FRAME;
    return voiced;
  }

  /**
   * Louder than the absolute threshold, whatever the floor. The beep detector looks at these frames: a tone from
   * the first frame on would otherwise set the floor itself and never count as voice.
   */
  isLoud(power: number): boolean {
    return power > this.absolute;
  }

  /** The noise floor as an RMS amplitude (for diagnostics). */
  get floorRms(): number {
    return Math.sqrt(Math.max(this.floor, 0));
  }
}
