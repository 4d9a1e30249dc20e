// sendmsg `call-command: unicast` (switch_ivr_activate_unicast, fed by switch_ivr_park), as FreeSWITCH 1.11.1 does
// it (checked live by test/live/amd-scenarios.ts): the switch binds local-ip:local-port and sends what the far end
// says, decoded to L16 little-endian, one UDP datagram per 20 ms packet, to remote-ip:remote-port, whatever
// `transport` says. Only the park loop feeds it: nothing is sent while an application runs on the leg; a playback
// resets the session and ends the stream for good, and so does the hangup. There is no nounicast (accepted,
// ignored). What the far end says is the peer's `audio` (8 kHz samples from its answer on, then silence).
import { createSocket, type Socket } from 'node:dgram';
import type { Channel } from './channel.js';
import type { Switch } from './switch.js';

const FRAME_MS = 20;
const FRAME_SAMPLES = 160;

export class UnicastStream {
  private readonly socket: Socket;
  private sentFrames = 0;
  private readonly startedAt = Date.now();
  private readonly firstFrame: number;
  private timer?: NodeJS.Timeout;
  closed = false;

  constructor(
    private readonly sw: Switch,
    private readonly ch: Channel,
    local: { ip: string; port: number },
    private readonly remote: { ip: string; port: number },
  ) {
    // Where the leg's audio stands now: the stream starts mid-greeting when the command comes late.
    const sinceAnswerMs = ch.answered ? (Date.now() - ch.times.answered / 1000) / sw.timeScale : 0;
    this.firstFrame = Math.max(0, Math.floor(sinceAnswerMs / FRAME_MS));
    this.socket = createSocket('udp4');
    // A port already bound (another leg's stream): FreeSWITCH logs the failure and the leg streams nothing.
    this.socket.on('error', () => this.close());
    // The emulator's close stops its timers, not this socket: it must not keep a test's process alive.
    this.socket.unref();
    this.socket.bind(local.port, local.ip, () => this.tick());
  }

  private tick(): void {
    if (this.closed) return;
    if (!this.ch.alive || this.sw.closed) return this.close();
    // Frames are due by the emulated time elapsed (timers at a small timeScale fire late and in bursts).
    const due = Math.floor((Date.now() - this.startedAt) / this.sw.timeScale / FRAME_MS);
    const reading = !this.sw.foregroundRun(this.ch);
    for (; this.sentFrames < due; this.sentFrames++)
      if (reading) this.send(this.frameAt(this.firstFrame + this.sentFrames));
    // Its own timer, not the switch's: the emulator's close must still reach it and unbind the port.
    this.timer = setTimeout(() => this.tick(), Math.max(1, FRAME_MS * this.sw.timeScale));
  }

  private frameAt(index: number): Buffer {
    const out = Buffer.alloc(FRAME_SAMPLES * 2);
    const audio = this.ch.peerAudio;
    if (!audio) return out;
    for (let i = 0; i < FRAME_SAMPLES; i++) {
      const at = index * FRAME_SAMPLES + i;
      out.writeInt16LE(at < audio.length ? (audio[at] ?? 0) : 0, i * 2);
    }
    return out;
  }

  private send(bytes: Buffer): void {
    this.socket.send(bytes, this.remote.port, this.remote.ip, () => undefined);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    this.socket.close();
  }
}

/** The unicast sendmsg on a leg: replaces a stream it already has, as a second activation would fail to bind. */
export function startUnicast(sw: Switch, ch: Channel, header: (name: string) => string | undefined): void {
  const port = (name: string) => Number(header(name) ?? NaN);
  const local = { ip: header('local-ip') ?? '127.0.0.1', port: port('local-port') };
  const remote = { ip: header('remote-ip') ?? '127.0.0.1', port: port('remote-port') };
  if (!Number.isInteger(local.port) || !Number.isInteger(remote.port)) return;
  ch.unicast?.close();
  ch.unicast = new UnicastStream(sw, ch, local, remote);
}
