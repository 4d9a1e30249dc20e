// A recording TCP proxy for the live tier's event-socket links (CC_LIVE_CAPTURE=<dir>): one sits on the inbound
// link (our server → FreeSWITCH :8021), one on the outbound socket (FreeSWITCH's `socket` app → our server). Each
// connection becomes one transcript in the format of ../shared/fixtures/freeswitch (README there): `<<< RECV` for
// bytes FreeSWITCH sent, `>>> SEND` for bytes our server sent, times from the connect (inbound) or the accept
// (outbound), every TCP read chunk as it arrived. The files are raw (secrets included): capture-trim.ts cuts and
// redacts them for test/fixtures/freeswitch-live.
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';

export type LinkMode = 'inbound' | 'outbound';

interface Open {
  out: WriteStream;
  t0: bigint;
  closed: boolean;
}

export class EslRecorder {
  private server?: Server;
  private seq = 0;
  private readonly open = new Set<Open>();

  /**
   * `listenPort` is where the side that connects is pointed; `targetPort` is the real listener. In inbound mode our
   * server connects and FreeSWITCH listens; in outbound mode FreeSWITCH connects and our server listens.
   */
  constructor(
    readonly dir: string,
    readonly mode: LinkMode,
    readonly listenPort: number,
    readonly targetPort: number,
    private readonly header: () => string[],
  ) {}

  async start(): Promise<void> {
    mkdirSync(this.dir, { recursive: true });
    this.server = createServer((accepted) => this.relay(accepted));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.listenPort, '127.0.0.1', resolve);
    });
  }

  /** An annotation in every transcript still open (the live runner notes each scenario's start). */
  note(text: string): void {
    for (const o of this.open) if (!o.closed) o.out.write(`### NOTE +${this.since(o)}s ${text}\n`);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    await Promise.all([...this.open].map((o) => this.finish(o, 'recorder stopped')));
  }

  private since(o: Open): string {
    return (Number(process.hrtime.bigint() - o.t0) / 1e9).toFixed(3);
  }

  private relay(accepted: Socket): void {
    const n = String(++this.seq).padStart(4, '0');
    const o: Open = {
      out: createWriteStream(join(this.dir, `${this.mode}-${n}.txt`)),
      t0: process.hrtime.bigint(),
      closed: false,
    };
    this.open.add(o);
    o.out.write(
      [...this.header(), `mode: ${this.mode}`, `connection: ${n}`].map((l) => `# ${l}\n`).join('') +
        '# ==== BEGIN ====\n',
    );
    const upstream = connect({ host: '127.0.0.1', port: this.targetPort });
    // FreeSWITCH is the far end of the accepted socket in outbound mode, of the upstream one in inbound mode.
    const [fromFs, fromServer] = this.mode === 'inbound' ? [upstream, accepted] : [accepted, upstream];
    const record = (dir: '<<< RECV' | '>>> SEND', d: Buffer) => {
      if (o.closed) return;
      o.out.write(`${dir} +${this.since(o)}s ${d.length} bytes\n`);
      o.out.write(d);
      o.out.write('\n');
    };
    fromFs.on('data', (d: Buffer) => {
      record('<<< RECV', d);
      fromServer.write(d);
    });
    fromServer.on('data', (d: Buffer) => {
      record('>>> SEND', d);
      fromFs.write(d); // net.Socket queues what is written before its connect
    });
    const ended = (who: string) => () => {
      void this.finish(o, who);
      accepted.destroy();
      upstream.destroy();
    };
    fromFs.on('close', ended('by FreeSWITCH'));
    fromServer.on('close', ended('by our server'));
    upstream.on('error', (err) => {
      if (!o.closed)
        o.out.write(`### NOTE +${this.since(o)}s upstream :${this.targetPort}: ${err.message}\n`);
    });
    accepted.on('error', () => undefined);
  }

  private finish(o: Open, who: string): Promise<void> {
    if (o.closed) return Promise.resolve();
    o.out.write(`=== CLOSE +${this.since(o)}s ${who}\n`);
    o.closed = true;
    this.open.delete(o);
    return new Promise((resolve) => o.out.end(resolve));
  }
}
