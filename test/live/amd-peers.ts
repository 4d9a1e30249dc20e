// Live-tier helpers for answering-machine detection: a sipp customer that answers with a recording, a bare
// outbound event socket (the raw protocol, so the unicast facts are checked without our server in the way) and a
// probe that listens where FreeSWITCH was told to stream a leg's audio, on UDP and TCP alike.
import { spawn, spawnSync } from 'node:child_process';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { root, waitFor, type Lab } from './lab.js';

/** Waits until a sipp started here listens on its UDP SIP port (it exits at once on a bad scenario). */
export async function sippListening(
  child: { exitCode: number | null },
  port: number,
  what: string,
): Promise<void> {
  await waitFor(
    `the sipp ${what} listening on ${port}`,
    () => {
      if (child.exitCode !== null) throw new Error(`sipp exited (${child.exitCode})`);
      return spawnSync('ss', ['-H', '-lun', `sport = :${port}`], { encoding: 'utf8' }).stdout.includes(
        `:${port}`,
      );
    },
    10_000,
    50,
  );
}

/**
 * A sipp UAS on `port` that answers one call after 1 s and plays `ulawFile` (raw µ-law) as PCMU
 * `loops` times (-1: until the call ends); resolves once it
 * listens (sipp reads the file and checks the scenario before it binds, and exits on an error there).
 */
export async function startRecordingCustomer(
  lab: Lab,
  port: number,
  ulawFile: string,
  loops = 1,
): Promise<{ log: () => string }> {
  const xml = join(lab.dir, `amd-customer-${port}.xml`);
  writeFileSync(
    xml,
    readFileSync(join(root, 'test/live/sipp/amd-customer.xml'), 'utf8')
      .replaceAll('AUDIO_FILE', ulawFile)
      .replaceAll('AUDIO_LOOPS', String(loops)),
  );
  const logFile = join(lab.dir, `amd-customer-${port}.log`);
  const child = spawn(
    'sipp',
    [
      ...[
        '-sf',
        xml,
        '-i',
        '127.0.0.1',
        '-p',
        String(port),
        '-mi',
        '127.0.0.1',
        '-mp',
        String(30000 + (port % 1000) * 10),
      ],
      ...['-m', '1', '-nostdin', '-timeout', '90s', '-trace_logs', '-log_file', logFile],
    ],
    { cwd: lab.dir, stdio: 'ignore' },
  );
  lab.onClose(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  await sippListening(child, port, 'customer');
  return {
    log: () => {
      try {
        return readFileSync(logFile, 'utf8');
      } catch {
        return '';
      }
    },
  };
}

interface Datagram {
  at: number;
  size: number;
  fromPort: number;
  bytes: Buffer;
}

/** Listens on UDP and TCP at one port, recording what arrives on each. */
export class StreamProbe {
  readonly datagrams: Datagram[] = [];
  tcpConnections = 0;
  private readonly udp: UdpSocket;
  private readonly tcp: Server;

  private constructor(readonly port: number) {
    this.udp = createSocket('udp4');
    this.udp.on('message', (bytes, rinfo) =>
      this.datagrams.push({ at: Date.now(), size: bytes.length, fromPort: rinfo.port, bytes }),
    );
    this.tcp = createServer((s) => {
      this.tcpConnections++;
      s.destroy();
    });
  }

  static async open(port: number): Promise<StreamProbe> {
    const p = new StreamProbe(port);
    await new Promise<void>((r) => p.udp.bind(port, '127.0.0.1', r));
    await new Promise<void>((r) => p.tcp.listen(port, '127.0.0.1', r));
    return p;
  }

  since(at: number): Datagram[] {
    return this.datagrams.filter((d) => d.at >= at);
  }

  /** The longest gap between consecutive datagrams received within [from, to]. */
  longestGap(from: number, to: number): number {
    const times = this.datagrams.filter((d) => d.at >= from && d.at <= to).map((d) => d.at);
    let gap = 0;
    for (let i = 1; i < times.length; i++) gap = Math.max(gap, times[i]! - times[i - 1]!);
    return gap;
  }

  close(): void {
    this.udp.close();
    this.tcp.close();
  }
}

/** FreeSWITCH's socket application connecting to us, spoken to in the raw protocol (one command in flight). */
export class BareOutboundSocket {
  private conn?: Socket;
  private buffer = '';
  private waiters: ((headers: Record<string, string>) => void)[] = [];
  private readonly server: Server;
  channel: Record<string, string> = {};

  constructor(readonly port: number) {
    this.server = createServer((s) => {
      this.conn = s;
      s.setEncoding('utf8');
      s.on('data', (d: string) => {
        this.buffer += d;
        this.drain();
      });
      s.on('error', () => undefined);
    });
  }

  listen(): Promise<void> {
    return new Promise((r) => this.server.listen(this.port, '127.0.0.1', r));
  }

  /** Waits for FreeSWITCH's connection and sends `connect` (its reply carries the channel's data). */
  async accept(timeoutMs = 20_000): Promise<void> {
    await waitFor(
      'FreeSWITCH connecting to the outbound socket',
      () => this.conn !== undefined,
      timeoutMs,
      20,
    );
    this.channel = await this.command('connect');
  }

  command(text: string): Promise<Record<string, string>> {
    return new Promise((resolve) => {
      this.waiters.push(resolve);
      this.conn!.write(`${text}\n\n`);
    });
  }

  private drain(): void {
    for (;;) {
      const end = this.buffer.indexOf('\n\n');
      if (end < 0) return;
      const headers: Record<string, string> = {};
      for (const line of this.buffer.slice(0, end).split('\n')) {
        const colon = line.indexOf(':');
        if (colon > 0) headers[line.slice(0, colon)] = decodeURIComponent(line.slice(colon + 1).trim());
      }
      const length = Number(headers['Content-Length'] ?? 0);
      if (this.buffer.length < end + 2 + length) return;
      this.buffer = this.buffer.slice(end + 2 + length);
      if (headers['Content-Type'] === 'command/reply') this.waiters.shift()?.(headers);
    }
  }

  close(): void {
    this.conn?.destroy();
    this.server.close();
  }
}

/** G.711 µ-law to 16-bit linear (ITU-T G.711's expansion), for `flags: native` streams. */
export function ulawToLinear(bytes: Buffer): Int16Array {
  const out = new Int16Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    const u = ~bytes[i]! & 0xff;
    const t = (((u & 0x0f) << 3) + 0x84) << ((u & 0x70) >> 4);
    out[i] = u & 0x80 ? 0x84 - t : t - 0x84;
  }
  return out;
}
