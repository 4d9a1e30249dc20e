// FreeSWITCH's unicast stream sends one datagram per packet of the leg's codec, decoded to L16 in the host's byte
// order (little-endian on the platforms FreeSWITCH runs on), and a packet's length follows the codec's ptime.
// The classifier wants fixed 20 ms frames, so bytes are regrouped here whatever the packet size.

export class PcmFramer {
  private pending: Uint8Array;
  private filled = 0;

  constructor(private readonly frameSamples: number) {
    this.pending = new Uint8Array(frameSamples * 2);
  }

  /** Splits `bytes` (little-endian 16-bit samples) into whole frames; a remainder waits for the next call. */
  push(bytes: Uint8Array): Int16Array[] {
    const frames: Int16Array[] = [];
    let at = 0;
    while (at < bytes.length) {
      const take = Math.min(this.pending.length - this.filled, bytes.length - at);
      this.pending.set(bytes.subarray(at, at + take), this.filled);
      this.filled += take;
      at += take;
      if (this.filled === this.pending.length) {
        frames.push(toSamples(this.pending));
        this.filled = 0;
      }
    }
    return frames;
  }
}

function toSamples(bytes: Uint8Array): Int16Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Int16Array(bytes.byteLength / 2);
  for (let i = 0; i < out.length; i++) out[i] = view.getInt16(i * 2, true);
  return out;
}
