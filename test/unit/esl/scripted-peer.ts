// A fake FreeSWITCH that replays one side of a capture: it writes the RECV records in their original chunks, and
// after each command it receives it writes the RECV records that followed the matching SEND in the capture.
// It is used as a server (inbound captures) or as a client connecting to our outbound server.
import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Capture } from '../../support/captures.js';

export interface PeerLog {
  /** Commands received from the code under test, one string each (header block + body). */
  readonly received: string[];
  /** Commands the capture's client sent, in order, for comparison. */
  readonly expected: string[];
}

/** Groups the capture into "what to write first" and, per SEND, "what to write after it". */
function script(capture: Capture): {
  opening: Buffer[];
  steps: { send: string; answer: Buffer[]; close: boolean }[];
} {
  const opening: Buffer[] = [];
  const steps: { send: string; answer: Buffer[]; close: boolean }[] = [];
  for (const r of capture.records) {
    const step = steps[steps.length - 1];
    if (r.kind === 'send') steps.push({ send: r.bytes.toString('utf8'), answer: [], close: false });
    else if (r.kind === 'recv') (step ? step.answer : opening).push(r.bytes);
    else if (r.kind === 'close' && r.text.includes('FreeSWITCH') && step) step.close = true;
  }
  return { opening, steps };
}

/** Splits the byte stream from the client into commands (header block, plus content-length body if any). */
export function commandSplitter(onCommand: (command: string) => void): (chunk: Buffer) => void {
  let pending = Buffer.alloc(0);
  return (chunk) => {
    pending = Buffer.concat([pending, chunk]);
    for (;;) {
      const end = pending.indexOf('\n\n');
      if (end === -1) return;
      const head = pending.subarray(0, end).toString('utf8');
      const length = /content-length: (\d+)/i.exec(head);
      const total = end + 2 + (length ? Number(length[1]) : 0);
      if (pending.length < total) return;
      onCommand(pending.subarray(0, total).toString('utf8'));
      pending = pending.subarray(total);
    }
  };
}

export function attachScript(socket: Socket, capture: Capture): PeerLog {
  const { opening, steps } = script(capture);
  const log: PeerLog = { received: [], expected: steps.map((s) => s.send) };
  for (const bytes of opening) socket.write(bytes);
  let next = 0;
  socket.on('error', () => {});
  socket.on(
    'data',
    commandSplitter((command) => {
      log.received.push(command);
      const step = steps[next++];
      if (!step) return;
      for (const bytes of step.answer) socket.write(bytes);
      if (step.close) socket.end();
    }),
  );
  return log;
}

export interface ScriptedServer {
  readonly port: number;
  readonly logs: PeerLog[];
  readonly sockets: Socket[];
  close(): Promise<void>;
}

/** A server on 127.0.0.1:0 that plays the capture to every client that connects. */
export async function scriptedServer(capture: Capture): Promise<ScriptedServer> {
  const logs: PeerLog[] = [];
  const sockets: Socket[] = [];
  const server: Server = createServer((socket) => {
    sockets.push(socket);
    logs.push(attachScript(socket, capture));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    logs,
    sockets,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Connects to our outbound server the way FreeSWITCH's socket app does, then plays the capture. */
export function scriptedClient(
  port: number,
  capture: Capture,
): { socket: Socket; log: PeerLog; closed: Promise<void> } {
  const socket = createConnection({ host: '127.0.0.1', port });
  const log = attachScript(socket, capture);
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  return { socket, log, closed };
}

/** The first line of a command (what `api`, `sendmsg`, `linger 3` ... looks like), for order checks. */
export const firstLine = (command: string): string => command.split('\n')[0] ?? '';

export interface ManualPeer {
  readonly port: number;
  /** The accepted socket of the n-th connection (0-based). */
  socket(n?: number): Promise<Socket>;
  /** Commands received on connection n, resolved once at least `count` have arrived. */
  commands(count: number, n?: number): Promise<string[]>;
  readonly connections: number;
  close(): Promise<void>;
}

/** A server the test drives by hand: it records what arrives and writes only what the test tells it to. */
export async function manualPeer(onConnect?: (socket: Socket, index: number) => void): Promise<ManualPeer> {
  const sockets: Socket[] = [];
  const received: string[][] = [];
  const socketWaiters: (() => void)[] = [];
  const commandWaiters: (() => void)[] = [];
  const server = createServer((socket) => {
    const index = sockets.length;
    sockets.push(socket);
    received.push([]);
    socket.on('error', () => {});
    socket.on(
      'data',
      commandSplitter((command) => {
        received[index]!.push(command);
        for (const w of commandWaiters.splice(0)) w();
      }),
    );
    onConnect?.(socket, index);
    for (const w of socketWaiters.splice(0)) w();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const until = (ready: () => boolean, waiters: (() => void)[]): Promise<void> =>
    new Promise((resolve) => {
      const check = (): void => (ready() ? resolve() : void waiters.push(check));
      check();
    });
  return {
    port: (server.address() as AddressInfo).port,
    get connections() {
      return sockets.length;
    },
    async socket(n = 0) {
      await until(() => sockets.length > n, socketWaiters);
      return sockets[n]!;
    },
    async commands(count, n = 0) {
      await until(() => (received[n]?.length ?? 0) >= count, commandWaiters);
      return received[n]!;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
