// Where FreeSWITCH's unicast streams land (issue 23): one UDP socket for every call under analysis. FreeSWITCH
// sends each leg's audio from the local port it was told to bind, so the datagram's source port tells the calls
// apart, and each call gets a port of its own from a pool. A port goes back to the pool only when its leg is over:
// FreeSWITCH 1.11.1 has no nounicast and keeps the port bound until the leg's next playback or its hangup, so a port
// handed out again too early would fail to bind on FreeSWITCH's side (that call then hears nothing and goes on as
// "not sure" by the flow's guard timer). Built by app.ts, bound by main.ts (style.md §5).
import { createSocket, type Socket } from 'node:dgram';
import { PcmFramer } from './frames.js';

interface AudioStreamsConfig {
  /** The address FreeSWITCH binds for each stream (its own address, as FreeSWITCH sees it). */
  fsIp: string;
  /** FreeSWITCH-side ports to hand out, [first, last]. */
  fsPorts: [number, number];
  /** Where FreeSWITCH sends (our address as FreeSWITCH reaches it) and where we bind. */
  ourIp: string;
  ourPort: number;
  /** Samples per 20 ms frame (160 at 8 kHz). */
  frameSamples?: number;
}

export interface AudioStream {
  /** FreeSWITCH's side of this stream (local-ip, local-port of the unicast command). */
  fs: { ip: string; port: number };
  /** Our side (remote-ip, remote-port). */
  us: { ip: string; port: number };
  /** Stops delivering frames (the leg keeps its port until `release`). */
  mute(): void;
  /** The leg is over: its port may be handed out again. */
  release(): void;
}

/**
 * The socket's receive buffer we ask the kernel for. Every analysed call sends 50 datagrams a second to this one
 * socket, and Linux charges about 1.3 KB of buffer per 320-byte datagram: its default (208 KiB) holds about 160,
 * i.e. a 30 ms pause of the event loop at 100 calls under analysis, after which audio is dropped and the verdicts
 * are taken on gapped speech. 8 MiB holds 1.2 s of that (the kernel caps the ask at net.core.rmem_max).
 */
export const AMD_RECEIVE_BUFFER = 8 * 1024 * 1024;

interface Entry {
  framer: PcmFramer;
  onFrame: ((frame: Int16Array) => void) | null;
}

export class AudioStreams {
  private socket?: Socket;
  private readonly byPort = new Map<number, Entry>();
  private lastPort: number;
  /** Datagrams from a port no call holds (a stream that outlived its call, or a stranger). */
  strayDatagrams = 0;

  constructor(private readonly cfg: AudioStreamsConfig) {
    this.lastPort = cfg.fsPorts[1];
  }

  /** Binds the UDP socket; resolves with the bound port (0 in the config: any free one). */
  listen(): Promise<number> {
    const socket = createSocket('udp4');
    this.socket = socket;
    socket.on('message', (bytes, from) => this.deliver(from.port, bytes));
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(this.cfg.ourPort, this.cfg.ourIp, () => {
        socket.off('error', reject);
        socket.setRecvBufferSize(AMD_RECEIVE_BUFFER);
        this.cfg.ourPort = socket.address().port;
        resolve(this.cfg.ourPort);
      });
    });
  }

  /** A stream for one leg, or null when nothing listens yet or every FreeSWITCH-side port is held. */
  open(onFrame: (frame: Int16Array) => void): AudioStream | null {
    if (!this.socket) return null;
    const port = this.freePort();
    if (port === null) return null;
    const entry: Entry = { framer: new PcmFramer(this.cfg.frameSamples ?? 160), onFrame };
    this.byPort.set(port, entry);
    return {
      fs: { ip: this.cfg.fsIp, port },
      us: { ip: this.cfg.ourIp, port: this.cfg.ourPort },
      mute: () => {
        entry.onFrame = null;
      },
      release: () => {
        if (this.byPort.get(port) === entry) this.byPort.delete(port);
      },
    };
  }

  /** The receive buffer the kernel granted (Linux reports twice what it counts as the cap); 0 before listen. */
  get receiveBufferBytes(): number {
    return this.socket ? this.socket.getRecvBufferSize() : 0;
  }

  /** Streams open (analysing or holding their port). */
  get held(): number {
    return this.byPort.size;
  }

  /**
   * The next free port after the last one handed out: a port released just now is the last to be taken again, so
   * FreeSWITCH has unbound it (it does so as the leg hangs up, which we may hear of first) before another call asks.
   */
  private freePort(): number | null {
    const [first, last] = this.cfg.fsPorts;
    const size = last - first + 1;
    for (let i = 1; i <= size; i++) {
      const p = first + ((((this.lastPort - first + i) % size) + size) % size);
      if (!this.byPort.has(p)) {
        this.lastPort = p;
        return p;
      }
    }
    return null;
  }

  private deliver(fromPort: number, bytes: Buffer): void {
    const entry = this.byPort.get(fromPort);
    if (!entry) {
      this.strayDatagrams++;
      return;
    }
    if (!entry.onFrame) return;
    for (const frame of entry.framer.push(bytes)) entry.onFrame(frame);
  }

  close(): Promise<void> {
    const socket = this.socket;
    this.socket = undefined;
    return new Promise((resolve) => (socket ? socket.close(() => resolve()) : resolve()));
  }
}
