// Public face of the FreeSWITCH emulator (README.md in this folder documents it).
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Channel } from './channel.js';
import { EmulatorCore, resolveOptions } from './emulator.js';
import type { EmulatorOptions, LoggedCommand } from './emulator.js';
import { serveInbound } from './inbound.js';
import { runApi } from './api-commands.js';
import type { ExtensionOptions, PeerBehaviour } from './peers.js';

export type { EmulatorOptions, LoggedCommand } from './emulator.js';
export type { ExtensionMode, ExtensionOptions, PeerBehaviour } from './peers.js';
export type { EmulatorEvent } from './events.js';
import type { EmulatorEvent } from './events.js';
export { CommandReader, plainEvent, jsonEvent, urlEncode } from './wire.js';

/** A snapshot of one live leg, for assertions. */
export interface ChannelInfo {
  uuid: string;
  name: string;
  direction: 'inbound' | 'outbound';
  state: string;
  callState: string;
  answered: boolean;
  callerIdNumber: string;
  destinationNumber: string;
  bridgedTo?: string;
  application?: string;
  conference?: string;
  /** While the leg eavesdrops: its target and who hears the listener (DTMF 1/2/3/0 or eavesdrop_whisper_*). */
  eavesdrop?: { target: string; speaksTo: 'nobody' | 'target' | 'other-half' | 'both' };
  variables: Record<string, string>;
}

export interface Emulator {
  host: string;
  port: number;
  password: string;
  /** Every command clients sent, in order (inbound connections and outbound sockets). */
  readonly commands: readonly LoggedCommand[];
  channels(): ChannelInfo[];
  /** Resolves once predicate() is true (checked after every event and every change); rejects after timeoutMs. */
  waitFor<T>(predicate: () => T | undefined | false, timeoutMs?: number): Promise<T>;
  setPeer(number: string, behaviour: PeerBehaviour): void;
  register(ext: string, options?: ExtensionOptions): void;
  unregister(ext: string): boolean;
  expire(ext: string): boolean;
  /** An agent dials from its softphone; the dialplan hands the leg to the socket app. Undefined when refused. */
  dialFromExtension(
    ext: string,
    destination: string,
    options?: { hangupAfterMs?: number },
  ): string | undefined;
  /** A customer calls a gateway DID from `from`. Undefined when refused. */
  inboundCall(from: string, did: string, options?: { hangupAfterMs?: number }): string | undefined;
  /** The far end of a leg sends DTMF. */
  sendDtmf(uuid: string, digits: string): boolean;
  /** The far end hangs up (recv_bye). */
  remoteHangup(uuid: string, cause?: string): boolean;
  /** Every event the switch raises, before any subscription or filter; returns an unsubscribe function. */
  onEvent(listener: (event: EmulatorEvent) => void): () => void;
  /** Runs an api command as an inbound client's `api` would (e.g. `originate ...`); resolves with the body. */
  api(command: string): Promise<string>;
  heartbeat(): void;
  /** Closes every event-socket client connection, as `reload mod_event_socket` does; calls stay up. */
  dropInbound(): number;
  close(): Promise<void>;
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const core = new EmulatorCore(resolveOptions(options));
  const server = createServer((socket) => serveInbound(core, socket));
  core.servers.add(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  let stopHeartbeat = () => undefined as void;
  const pendingWaits = new Set<(error: Error) => void>();
  const heartbeat = () => publishHeartbeat(core);
  if (core.options.heartbeatMs > 0) {
    const beat = () => {
      heartbeat();
      stopHeartbeat = core.sw.after(core.options.heartbeatMs, beat);
    };
    stopHeartbeat = core.sw.after(core.options.heartbeatMs, beat);
  }

  return {
    host: '127.0.0.1',
    port,
    password: core.options.password,
    commands: core.commands,
    channels: () => core.sw.liveChannels().map(info),
    waitFor: (predicate, timeoutMs = 5000) =>
      new Promise((resolve, reject) => {
        let settled = false;
        const check = () => {
          if (settled) return true;
          let value: ReturnType<typeof predicate>;
          try {
            value = predicate();
          } catch (error) {
            settled = true;
            cleanup();
            reject(error as Error);
            return true;
          }
          if (value === undefined || value === false) return false;
          settled = true;
          cleanup();
          resolve(value as never);
          return true;
        };
        const poll = setInterval(() => check(), 5);
        const timer = setTimeout(() => {
          settled = true;
          cleanup();
          reject(new Error(`emulator.waitFor: not true after ${timeoutMs} ms`));
        }, timeoutMs);
        // Coalesced: a burst of events costs one predicate call, not one per event.
        let queued = false;
        const off = core.onChange(() => {
          if (queued) return;
          queued = true;
          setImmediate(() => {
            queued = false;
            check();
          });
        });
        const abort = (error: Error) => {
          settled = true;
          cleanup();
          reject(error);
        };
        pendingWaits.add(abort);
        const cleanup = () => {
          clearInterval(poll);
          clearTimeout(timer);
          off();
          pendingWaits.delete(abort);
        };
        check();
      }),
    setPeer: (number, behaviour) => {
      core.options.peers[number] = behaviour;
    },
    register: (ext, opts) => core.register(ext, opts),
    unregister: (ext) => core.unregister(ext),
    expire: (ext) => core.unregister(ext, 'sofia::expire'),
    dialFromExtension: (ext, destination, opts) =>
      core.incoming(ext, destination, 'internal', opts?.hangupAfterMs),
    inboundCall: (from, did, opts) => core.incoming(from, did, 'external', opts?.hangupAfterMs),
    sendDtmf: (uuid, digits) => core.dtmf(uuid, digits),
    remoteHangup: (uuid, cause = 'NORMAL_CLEARING') => {
      const ch = core.sw.channels.get(uuid);
      if (!ch?.alive) return false;
      return core.sw.hangup(ch, cause, {
        sipVars: [
          ['sip_hangup_disposition', 'recv_bye'],
          ['sip_term_status', '200'],
        ],
      });
    },
    onEvent: (listener) => core.sw.subscribe(listener),
    api: (command) => {
      const i = command.trim().indexOf(' ');
      const [cmd, args] =
        i < 0 ? [command.trim(), ''] : [command.trim().slice(0, i), command.trim().slice(i + 1)];
      return runApi(core, cmd, args);
    },
    heartbeat,
    dropInbound: () => {
      const sockets = [...core.inboundSockets];
      for (const socket of sockets) socket.destroy();
      return sockets.length;
    },
    close: async () => {
      stopHeartbeat();
      for (const abort of [...pendingWaits]) abort(new Error('emulator closed'));
      core.sw.stopTimers();
      for (const socket of core.sockets) socket.destroy();
      await Promise.all(
        [...core.servers].map((s) => new Promise<void>((resolve) => s.close(() => resolve()))),
      );
    },
  };
}

const SPEAKS_TO = ['nobody', 'other-half', 'target', 'both'] as const;

function info(ch: Channel): ChannelInfo {
  return {
    uuid: ch.uuid,
    name: ch.name,
    direction: ch.profile.direction,
    state: ch.state,
    callState: ch.callState,
    answered: ch.answered,
    callerIdNumber: ch.profile.callerIdNumber,
    destinationNumber: ch.profile.destinationNumber,
    bridgedTo: ch.bridgedTo?.uuid,
    application: ch.vars.get('current_application'),
    conference: ch.conference,
    eavesdrop: ch.eavesdrop && {
      target: ch.eavesdrop.target,
      speaksTo: SPEAKS_TO[Number(ch.eavesdrop.muxWrite) * 2 + Number(ch.eavesdrop.muxRead)]!,
    },
    variables: Object.fromEntries(ch.vars),
  };
}

function publishHeartbeat(core: EmulatorCore): void {
  const up = Date.now() - core.sw.startedAt;
  const s = Math.floor(up / 1000);
  core.sw.publish('HEARTBEAT', {
    pre: [
      ['Event-Info', 'System Ready'],
      [
        'Up-Time',
        `0 years, 0 days, ${Math.floor(s / 3600)} hours, ${Math.floor(s / 60) % 60} minutes, ${s % 60} seconds, ${up % 1000} milliseconds, 0 microseconds`,
      ],
      ['FreeSWITCH-Version', '1.11.1-release~64bit'],
      ['Uptime-msec', String(up)],
      ['Session-Count', String(core.sw.liveCount())],
      ['Max-Sessions', String(core.options.maxSessions)],
      ['Session-Per-Sec', String(core.options.sessionsPerSecond)],
      ['Session-Per-Sec-Last', '0'],
      ['Session-Per-Sec-Max', '0'],
      ['Session-Per-Sec-FiveMin', '0'],
      ['Session-Since-Startup', String(core.sw.sessionsSinceStartup)],
      ['Session-Peak-Max', String(core.sw.peakSessions)],
      ['Session-Peak-FiveMin', String(core.sw.peakSessions)],
      ['Idle-CPU', '100.000000'],
    ],
  });
}
