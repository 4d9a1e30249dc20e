// Known tones in the live tier's audio: each party sends a sine of its own frequency, and a recording or what a
// phone received is cut into short windows in which the Goertzel algorithm measures each known frequency's share
// of the window's energy. Pure: bytes in, numbers out.

export interface Pcm {
  rate: number;
  /** Mono samples in [-1, 1] (a stereo file's channels are mixed). */
  samples: Float32Array;
}

/** A 16-bit PCM WAV (what FreeSWITCH's record_session and baresip's aufile write). Reads up to the bytes present. */
export function readWav(buf: Buffer): Pcm {
  if (buf.toString('latin1', 0, 4) !== 'RIFF' || buf.toString('latin1', 8, 12) !== 'WAVE')
    throw new Error('not a WAV file');
  let at = 12;
  let rate = 0;
  let channels = 0;
  let bits = 0;
  while (at + 8 <= buf.length) {
    const id = buf.toString('latin1', at, at + 4);
    const size = buf.readUInt32LE(at + 4);
    if (id === 'fmt ') {
      if (buf.readUInt16LE(at + 8) !== 1) throw new Error('not PCM');
      channels = buf.readUInt16LE(at + 10);
      rate = buf.readUInt32LE(at + 12);
      bits = buf.readUInt16LE(at + 22);
    } else if (id === 'data') {
      if (bits !== 16 || !channels) throw new Error(`unsupported WAV: ${bits} bits, ${channels} channels`);
      // A file still being written has a data size of 0 or more than is there: read what is there.
      const end = size > 0 && at + 8 + size <= buf.length ? at + 8 + size : buf.length;
      const frames = Math.floor((end - at - 8) / (2 * channels));
      const samples = new Float32Array(frames);
      for (let i = 0; i < frames; i++) {
        let sum = 0;
        for (let ch = 0; ch < channels; ch++) sum += buf.readInt16LE(at + 8 + (i * channels + ch) * 2);
        samples[i] = sum / channels / 32768;
      }
      return { rate, samples };
    }
    at += 8 + size + (size % 2);
  }
  throw new Error('WAV without a data chunk');
}

/** A mono 16-bit WAV of a sine at `hz` (amplitude 0.25 of full scale). */
export function toneWav(hz: number, seconds: number, rate = 8000): Buffer {
  const n = Math.round(rate * seconds);
  const wav = Buffer.alloc(44 + n * 2);
  wav.write('RIFF', 0);
  wav.writeUInt32LE(36 + n * 2, 4);
  wav.write('WAVEfmt ', 8);
  wav.writeUInt32LE(16, 16);
  wav.writeUInt16LE(1, 20);
  wav.writeUInt16LE(1, 22);
  wav.writeUInt32LE(rate, 24);
  wav.writeUInt32LE(rate * 2, 28);
  wav.writeUInt16LE(2, 32);
  wav.writeUInt16LE(16, 34);
  wav.write('data', 36);
  wav.writeUInt32LE(n * 2, 40);
  for (let i = 0; i < n; i++)
    wav.writeInt16LE(Math.round(8192 * Math.sin((2 * Math.PI * hz * i) / rate)), 44 + i * 2);
  return wav;
}

/**
 * The share of a window's energy at `hz` (0..1; a pure tone at `hz` gives about 1). Goertzel's power at the
 * frequency, normalised by what a full-energy sine would give over the window.
 */
export function toneShare(samples: Float32Array, from: number, to: number, rate: number, hz: number): number {
  const n = to - from;
  if (n <= 0) return 0;
  const coeff = 2 * Math.cos((2 * Math.PI * hz) / rate);
  let s1 = 0;
  let s2 = 0;
  let energy = 0;
  for (let i = from; i < to; i++) {
    const x = samples[i]!;
    energy += x * x;
    const s0 = x + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  if (energy === 0) return 0;
  const power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  // A sine of amplitude A over n samples gives power (A n / 2)^2 and energy A^2 n / 2.
  return power / ((n * energy) / 2);
}

/** Below this RMS (about -46 dBFS) a window is silence: no tone is heard in it. */
const SILENCE_RMS = 0.005;
/** A window hears a tone when at least this share of its energy is at the tone's frequency. */
const HEARD_SHARE = 0.2;

/** Per window of `windowMs`: which of `freqs` are heard (a set of the frequencies, empty for silence). */
export function toneTimeline(pcm: Pcm, freqs: number[], windowMs = 100): Set<number>[] {
  const size = Math.round((pcm.rate * windowMs) / 1000);
  const out: Set<number>[] = [];
  for (let from = 0; from + size <= pcm.samples.length; from += size) {
    let energy = 0;
    for (let i = from; i < from + size; i++) energy += pcm.samples[i]! ** 2;
    const heard = new Set<number>();
    if (Math.sqrt(energy / size) >= SILENCE_RMS)
      for (const hz of freqs)
        if (toneShare(pcm.samples, from, from + size, pcm.rate, hz) >= HEARD_SHARE) heard.add(hz);
    out.push(heard);
  }
  return out;
}

/** How many seconds of the timeline hear `hz`, and the first and last second it is heard (-1 when never). */
export function toneSpan(timeline: Set<number>[], hz: number, windowMs = 100) {
  const at = timeline.flatMap((w, i) => (w.has(hz) ? [i] : []));
  const sec = (windows: number) => (windows * windowMs) / 1000;
  return {
    seconds: sec(at.length),
    first: at.length ? sec(at[0]!) : -1,
    last: at.length ? sec(at[at.length - 1]!) : -1,
  };
}

/** The stretches (seconds) in which `hz` is heard, a gap of up to `maxGapWindows` windows bridged; longest first. */
export function toneRuns(timeline: Set<number>[], hz: number, windowMs = 100, maxGapWindows = 3) {
  const runs: { first: number; seconds: number }[] = [];
  let start = -1;
  let lastHeard = -1;
  const close = () => {
    if (start >= 0)
      runs.push({ first: (start * windowMs) / 1000, seconds: ((lastHeard - start + 1) * windowMs) / 1000 });
  };
  timeline.forEach((w, i) => {
    if (!w.has(hz)) return;
    if (start < 0 || i - lastHeard - 1 > maxGapWindows) {
      close();
      start = i;
    }
    lastHeard = i;
  });
  close();
  return runs.sort((a, b) => b.seconds - a.seconds);
}
