// A live customer for answering-machine detection end to end: sipp answers the call (sipp/amd-callee.xml) and this
// side carries its media. It sends a recording (raw µ-law, 20 ms PCMU packets) to FreeSWITCH from the port the SDP
// offered, and keeps what FreeSWITCH sends back, with arrival times: what the customer heard (an agent's tone, the
// machine's message) is measured on the carrier's side of the call.
import { spawn } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sippListening, ulawToLinear } from './amd-peers.js';
import { root, waitFor, type Lab } from './lab.js';

const PACKET = 160;

export class RtpCallee {
  private readonly udp: Socket = createSocket('udp4');
  /** What FreeSWITCH sent: one µ-law packet per entry, with its arrival time. */
  readonly heard: { at: number; payload: Buffer }[] = [];
  /** When the first packet of the recording left (the recording's time 0). */
  sendingSince: number | null = null;
  private timer?: NodeJS.Timeout;
  private seq = 0;
  private readonly logFile: string;

  private constructor(
    private readonly lab: Lab,
    readonly sipPort: number,
    readonly mediaPort: number,
    private readonly recording: Buffer,
  ) {
    this.logFile = join(lab.dir, `amd-callee-${sipPort}.log`);
    this.udp.on('message', (bytes) => {
      // 12-byte RTP header without CSRCs or extensions (what FreeSWITCH sends for PCMU).
      if (bytes.length > 12 && (bytes[1]! & 0x7f) === 0)
        this.heard.push({ at: Date.now(), payload: bytes.subarray(12) });
    });
  }

  /** sipp on `sipPort` answers one call; the recording (raw µ-law) plays from the answer on, then silence. */
  static async start(lab: Lab, sipPort: number, ulawFile: string): Promise<RtpCallee> {
    // sipp binds its own media port and the one 2 above (video): each callee keeps 10 ports apart.
    const mediaPort = 31000 + (sipPort % 1000) * 10;
    const c = new RtpCallee(lab, sipPort, mediaPort, readFileSync(ulawFile));
    await new Promise<void>((r) => c.udp.bind(mediaPort, '127.0.0.1', r));
    const xml = join(lab.dir, `amd-callee-${sipPort}.xml`);
    writeFileSync(
      xml,
      readFileSync(join(root, 'test/live/sipp/amd-callee.xml'), 'utf8').replaceAll(
        'MEDIA_PORT',
        String(mediaPort),
      ),
    );
    const child = spawn(
      'sipp',
      [
        '-sf',
        xml,
        '-i',
        '127.0.0.1',
        '-p',
        String(sipPort),
        '-mi',
        '127.0.0.1',
        '-mp',
        String(mediaPort + 5000),
      ].concat(['-m', '1', '-nostdin', '-timeout', '120s', '-trace_logs', '-log_file', c.logFile]),
      { cwd: lab.dir, stdio: 'ignore' },
    );
    lab.onClose(async () => {
      c.stop();
      c.udp.close();
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    await sippListening(child, sipPort, 'callee');
    void c.sendOnAnswer();
    return c;
  }

  /** sipp's log lines `CC <event> ...`. */
  events(): string[] {
    try {
      return readFileSync(this.logFile, 'utf8')
        .split('\n')
        .filter((l) => l.startsWith('CC '));
    } catch {
      return [];
    }
  }

  private async sendOnAnswer(): Promise<void> {
    const answered = await waitFor(
      'the callee answered',
      () => this.events().find((l) => l.startsWith('CC answered')),
      110_000,
      10,
    ).catch(() => undefined);
    const fsPort = Number(answered?.trim().split(/\s+/)[4]);
    if (!Number.isInteger(fsPort)) return;
    this.sendingSince = Date.now();
    // Paced by the wall clock, not by the timer's count: a late timer sends what is due at once.
    const tick = () => {
      const due = Math.floor((Date.now() - (this.sendingSince ?? 0)) / 20) + 1;
      while (this.seq < due) this.sendPacket(fsPort);
      this.timer = setTimeout(tick, 10);
    };
    tick();
  }

  private sendPacket(fsPort: number): void {
    const at = this.seq * PACKET;
    const payload = Buffer.alloc(PACKET, 0xff); // µ-law silence once the recording is over
    if (at < this.recording.length)
      this.recording.copy(payload, 0, at, Math.min(at + PACKET, this.recording.length));
    const header = Buffer.alloc(12);
    header[0] = 0x80;
    header[1] = 0; // PCMU
    header.writeUInt16BE(this.seq & 0xffff, 2);
    header.writeUInt32BE((this.seq * PACKET) >>> 0, 4);
    header.writeUInt32BE(0x0cc23023, 8);
    this.seq++;
    this.udp.send(Buffer.concat([header, payload]), fsPort, '127.0.0.1');
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  /** What the customer heard since `from` (ms since the epoch), as 8 kHz linear PCM. */
  heardPcm(from = 0): Int16Array {
    const parts = this.heard.filter((h) => h.at >= from).map((h) => ulawToLinear(h.payload));
    const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }
}
