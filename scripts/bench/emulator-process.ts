// The FreeSWITCH emulator in its own process, for benchmarks that measure the app: the emulator's CPU, its command
// log and its sockets then count in neither the app's process.cpuUsage(), nor its RSS, nor its event-loop delay.
// The parent forks this file; the child starts the emulator and answers a few requests over IPC.
import { fork, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
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
  const fs = await startEmulator(options);
  process.send!({ port: fs.port });
  const reply = (id: number, value: unknown) => process.send!({ id, value } satisfies Reply);
  process.on('message', async (m: Request) => {
    if (m.op === 'register') {
      for (const ext of m.exts) fs.register(ext, m.options);
      reply(m.id, null);
    } else if (m.op === 'legs') reply(m.id, legTimes(fs.commands));
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
    if (app === 'playback' && arg.includes('moh')) leg.queued = true;
    if (app === 'bridge') leg.bridgeAt = c.at;
  }
  return [...legs.values()];
}

if (process.argv.includes('--emulator-child')) void runChild();
