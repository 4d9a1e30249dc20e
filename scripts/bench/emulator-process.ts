// The FreeSWITCH emulator in its own process, for benchmarks that measure the app: the emulator's CPU, its command
// log and its sockets then count in neither the app's process.cpuUsage(), nor its RSS, nor its event-loop delay.
// The parent forks this file; the child starts the emulator and answers a few requests over IPC.
import { fork, type ChildProcess } from 'node:child_process';
import { Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HOLD_FALLBACK, HOLD_MUSIC } from '../../src/core/freeswitch.js';
import type { EmulatorOptions, ExtensionOptions } from '../../test/freeswitch-emulator/index.js';
import { loader } from './side-by-side.js';

/** What the emulator saw of one customer leg we originated (its wall clock, ms). */
export interface LegTimes {
  uuid: string;
  originatedAt: number;
  /** The app's `connect` on the leg's outbound socket: the leg is answered (the socket app runs after answer). */
  connectAt?: number;
  firstExecuteAt?: number;
  bridgeAt?: number;
  /** The flow played hold music before the bridge: no agent was free when the customer answered. */
  queued: boolean;
}

type Op =
  | { op: 'register'; exts: string[]; options: ExtensionOptions }
  | { op: 'legs' }
  | { op: 'connect-replies' }
  | { op: 'usage' }
  | { op: 'close' };
type Request = Op & { id: number };
type Reply = { id: number; value: unknown };

export interface RemoteEmulator {
  port: number;
  pid: number;
  register(exts: string[], options: ExtensionOptions): Promise<void>;
  /** Every customer leg originated so far, with its timings. */
  legs(): Promise<LegTimes[]>;
  /**
   * When each leg's connect reply was handed to the kernel (leg uuid → process.hrtime in ns, as a string: IPC has no
   * bigint). hrtime is CLOCK_MONOTONIC, one clock for every process on the machine, so the app's process can
   * subtract it from its own stamps: on loopback the bytes are readable on our side from that moment.
   */
  connectReplies(): Promise<Array<[string, string]>>;
  /** The emulator's own CPU and RSS, to show what no longer counts in the app's figures. */
  usage(): Promise<{ cpuMs: number; rss: number }>;
  close(): Promise<void>;
}

export async function forkEmulator(options: EmulatorOptions): Promise<RemoteEmulator> {
  // Compiled (compiled.mjs), this module is bundled into the benchmark; its own bundle sits next to it.
  const here = fileURLToPath(import.meta.url);
  const file = here.endsWith('.ts') ? here : join(dirname(here), 'emulator-process.mjs');
  const child: ChildProcess = fork(file, ['--emulator-child'], {
    execArgv: loader,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const waiting = new Map<number, (v: unknown) => void>();
  let next = 1;
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('message', (m: { port: number }) => resolve(m.port));
    child.send({ options });
  });
  child.on('message', (m: Reply) => {
    waiting.get(m.id)?.(m.value);
    waiting.delete(m.id);
  });
  const ask = <T>(req: Op): Promise<T> =>
    new Promise((resolve) => {
      const id = next++;
      waiting.set(id, resolve as (v: unknown) => void);
      child.send({ ...req, id });
    });
  return {
    port,
    pid: child.pid ?? 0,
    register: (exts, o) => ask({ op: 'register', exts, options: o }),
    legs: () => ask({ op: 'legs' }),
    connectReplies: () => ask({ op: 'connect-replies' }),
    usage: () => ask({ op: 'usage' }),
    close: async () => {
      const exited = new Promise((r) => child.once('exit', r));
      await ask({ op: 'close' }).catch(() => undefined);
      await exited;
    },
  };
}

async function runChild(): Promise<void> {
  const { startEmulator } = await import('../../test/freeswitch-emulator/index.js');
  const { options } = await new Promise<{ options: EmulatorOptions }>((r) => process.once('message', r));
  const replies = stampConnectReplies(options.dialplanSocket?.port);
  const fs = await startEmulator(options);
  process.send!({ port: fs.port });
  const reply = (id: number, value: unknown) => process.send!({ id, value } satisfies Reply);
  process.on('message', async (m: Request) => {
    if (m.op === 'register') {
      for (const ext of m.exts) fs.register(ext, m.options);
      reply(m.id, null);
    } else if (m.op === 'legs') reply(m.id, legTimes(fs.commands));
    else if (m.op === 'connect-replies')
      reply(
        m.id,
        [...replies].map(([u, t]) => [u, String(t)]),
      );
    else if (m.op === 'usage') {
      const cpu = process.cpuUsage();
      reply(m.id, { cpuMs: (cpu.user + cpu.system) / 1000, rss: process.memoryUsage().rss });
    } else if (m.op === 'close') {
      await fs.close();
      reply(m.id, null);
      process.disconnect();
    }
  });
  process.on('disconnect', () => process.exit(0));
}

/**
 * Stamps, on this process's side of each outbound socket to the app, the moment the connect reply (the first bytes
 * the switch writes on it: it answers commands only, and the app's first is `connect`) left for the kernel. Done
 * from here, not in the emulator, which stays the switch and nothing more.
 */
function stampConnectReplies(appPort: number | undefined): Map<string, bigint> {
  const at = new Map<string, bigint>();
  const seen = new WeakSet<Socket>();
  const write = Socket.prototype.write as (this: Socket, ...args: unknown[]) => boolean;
  Socket.prototype.write = function (this: Socket, ...args: unknown[]): boolean {
    const flushed = write.apply(this, args);
    const chunk = args[0];
    if (appPort !== undefined && this.remotePort === appPort && !seen.has(this) && Buffer.isBuffer(chunk)) {
      const t = process.hrtime.bigint();
      seen.add(this);
      const uuid = /(?:^|\n)Unique-ID: ([0-9a-f-]{36})\n/.exec(chunk.toString('latin1'))?.[1];
      if (uuid) at.set(uuid, t);
    }
    return flushed;
  } as typeof Socket.prototype.write;
  return at;
}

function legTimes(
  commands: readonly { from: string; line: string; headers: [string, string][]; at: number }[],
): LegTimes[] {
  const legs = new Map<string, LegTimes>();
  for (const c of commands) {
    const m = c.line.includes('originate') ? /origination_uuid=([0-9a-f-]{36})/.exec(c.line) : null;
    if (m) {
      legs.set(m[1], { uuid: m[1], originatedAt: c.at, queued: false });
      continue;
    }
    const leg = legs.get(c.from);
    if (!leg) continue;
    if (c.line === 'connect') leg.connectAt ??= c.at;
    if (c.line !== 'sendmsg' || leg.bridgeAt !== undefined) continue;
    const app = c.headers.find(([k]) => k === 'execute-app-name')?.[1];
    const arg = c.headers.find(([k]) => k === 'execute-app-arg')?.[1] ?? '';
    if (!app) continue;
    leg.firstExecuteAt ??= c.at;
    // Hold music: the channel's ${cc_hold_music} or the fallback (the check looked for "moh", which it never holds).
    if (app === 'playback' && (arg === HOLD_MUSIC || arg === HOLD_FALLBACK)) leg.queued = true;
    if (app === 'bridge') leg.bridgeAt = c.at;
  }
  return [...legs.values()];
}

if (process.argv.includes('--emulator-child')) void runChild();
