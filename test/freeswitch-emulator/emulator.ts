// The emulator: one switch, its inbound event-socket server, outbound socket clients, peers and registrations.
import { randomUUID } from 'node:crypto';
import type { Server, Socket } from 'node:net';
import { AppQueue } from './apps.js';
import type { AppHost } from './apps.js';
import type { Channel } from './channel.js';
import { Conferences } from './conference.js';
import { bridgeApp, linkLegs } from './bridge.js';
import { parseDial, parseOriginate } from './dialstring.js';
import { inboundLeg, sendDtmf, startLeg } from './legs.js';
import type { LegEnvironment } from './legs.js';
import { connectOutbound } from './outbound.js';
import type { ExtensionOptions, PeerBehaviour, Registration } from './peers.js';
import { publishRegistration } from './registrations.js';
import { Switch } from './switch.js';
import type { AppRun } from './switch.js';

export interface EmulatorOptions {
  password?: string;
  /** Real timers scaled by this factor: 0.01 makes a 3 s playback last 30 ms. Default 1. */
  timeScale?: number;
  /** Scripted far ends keyed by the number dialled (the user part of the dial string). */
  peers?: Record<string, PeerBehaviour>;
  /** What unknown numbers do. Default: answer at once and stay up. */
  defaultPeer?: PeerBehaviour;
  /** Where the dialplan sends agents' codes, DIDs and `originate ... EXT XML ctx` (freeswitch-conf: 127.0.0.1:8084). */
  dialplanSocket?: { host: string; port: number };
  /**
   * Several instances (freeswitch-conf's cc_socket_targets, `socket a|b … async full`): tried in order until one
   * accepts. Replaces dialplanSocket when set.
   */
  dialplanSockets?: { host: string; port: number }[];
  /** Emulated playback length of a file; default: tone_stream %(on,…) → on ms, anything else defaultPlaybackMs. */
  playbackMs?: (file: string) => number | undefined;
  defaultPlaybackMs?: number;
  /** FreeSWITCH's sessions-per-second throttle (switch.conf.xml); default 30 as in the lab. */
  sessionsPerSecond?: number;
  /** max-sessions; default 1000 as in the lab. */
  maxSessions?: number;
  /** HEARTBEAT period in emulated ms (FreeSWITCH: 20 s); 0 disables. Default 0. */
  heartbeatMs?: number;
  /** What the dialplan plays when our server is unreachable (freeswitch-conf's cc_unavailable_media). */
  unavailableMedia?: string;
  /**
   * Fault injection: FreeSWITCH's event dispatch lagging behind on a loaded machine. Events reach outbound sockets
   * this many emulated ms late, while the disconnect-notice goes out as soon as the leg is down (mod_event_socket's
   * listener loop writes it itself, not through the event queue), so it can come before the leg's CHANNEL_HANGUP.
   */
  outboundEventLagMs?: number;
  /**
   * freeswitch-conf's cc_socket_token (callcenter/vars.xml): the dialplan sets it on every leg before the socket
   * app. Unset: a configuration from before the token, whose dialplan legs carry none.
   */
  socketToken?: string;
}

export interface ResolvedOptions {
  password: string;
  timeScale: number;
  peers: Record<string, PeerBehaviour>;
  defaultPeer: PeerBehaviour;
  dialplanSocket: { host: string; port: number };
  dialplanSockets: { host: string; port: number }[] | undefined;
  playbackMs: (file: string) => number;
  sessionsPerSecond: number;
  maxSessions: number;
  heartbeatMs: number;
  unavailableMedia: string;
  outboundEventLagMs: number;
  socketToken: string | undefined;
}

export function resolveOptions(o: EmulatorOptions): ResolvedOptions {
  const fallback = o.defaultPlaybackMs ?? 200;
  return {
    password: o.password ?? 'ClueCon',
    timeScale: o.timeScale ?? 1,
    peers: { ...(o.peers ?? {}) },
    defaultPeer: o.defaultPeer ?? { kind: 'answer', answerAfterMs: 0 },
    dialplanSocket: o.dialplanSocket ?? { host: '127.0.0.1', port: 8084 },
    dialplanSockets: o.dialplanSockets,
    playbackMs: (file) => o.playbackMs?.(file) ?? toneLength(file) ?? fallback,
    sessionsPerSecond: o.sessionsPerSecond ?? 30,
    maxSessions: o.maxSessions ?? 1000,
    heartbeatMs: o.heartbeatMs ?? 0,
    unavailableMedia: o.unavailableMedia ?? 'tone_stream://%(250,250,480,620);loops=8',
    outboundEventLagMs: o.outboundEventLagMs ?? 0,
    socketToken: o.socketToken,
  };
}

/** `tone_stream://%(1000,0,440)` plays for its on-time; several segments add up. */
function toneLength(file: string): number | undefined {
  if (!file.startsWith('tone_stream://')) return undefined;
  const parts = [...file.matchAll(/%\((\d+),(\d+)/g)];
  if (parts.length === 0) return undefined;
  const loops = Number(/;loops=(\d+)/.exec(file)?.[1] ?? 1);
  return loops * parts.reduce((sum, m) => sum + Number(m[1]) + Number(m[2]), 0);
}

/** One thing a client sent, for tests to assert on. */
export interface LoggedCommand {
  /** 'inbound' connection number or the outbound leg's uuid. */
  from: string;
  line: string;
  headers: [string, string][];
  at: number;
}

export class EmulatorCore implements AppHost, LegEnvironment {
  readonly sw: Switch;
  readonly apps: AppQueue;
  readonly conferences: Conferences;
  /** Global variables as freeswitch-conf/callcenter/vars.xml sets them (those the server names at run time). */
  readonly globals = new Map<string, string>([['cc_hold_music', 'local_stream://moh']]);
  readonly registrations = new Map<string, Registration>();
  readonly commands: LoggedCommand[] = [];
  readonly sockets = new Set<Socket>();
  /** Event-socket clients (not the outbound sockets of legs). */
  readonly inboundSockets = new Set<Socket>();
  readonly servers = new Set<Server>();
  /** Per A-leg: what its running `bridge` does when the B-leg hangs up. */
  readonly bridgeEnds = new Map<string, (gone: Channel) => void>();
  private readonly admitted: number[] = [];
  /** Legs that entered the dialplan (they have freeswitch-conf's fallback after the socket app). */
  private readonly dialplanLegs = new Set<string>();
  private readonly changeWaiters = new Set<() => void>();

  constructor(readonly options: ResolvedOptions) {
    this.sw = new Switch(
      { coreUuid: randomUUID(), hostname: 'vm', ipv4: '192.0.2.2', ipv6: 'fd00::2' },
      options.timeScale,
    );
    this.apps = new AppQueue(this);
    this.conferences = new Conferences(this.sw);
    if (options.socketToken) this.globals.set('cc_socket_token', options.socketToken);
    this.sw.partnerHungUp = (survivor, gone) => {
      const end = this.bridgeEnds.get(survivor.uuid);
      if (end) return end(gone);
      if (!survivor.alive) return;
      // uuid_bridge: the survivor hangs up too, unless it asked to be parked after the bridge (fifo agents).
      if (survivor.vars.get('park_after_bridge') === 'true') {
        survivor.bridgedTo = undefined;
        this.sw.publish('CHANNEL_UNBRIDGE', {
          channel: survivor,
          pre: [
            ['Bridge-A-Unique-ID', survivor.uuid],
            ['Bridge-B-Unique-ID', gone.uuid],
          ],
        });
        this.apps.enqueue(survivor, 'park', '');
      } else this.sw.soon(() => this.kill(survivor, 'NORMAL_CLEARING'));
    };
    this.sw.subscribe(() => this.changed());
  }

  /** Wakes waitFor() predicates. */
  changed(): void {
    for (const w of [...this.changeWaiters]) w();
  }

  onChange(fn: () => void): () => void {
    this.changeWaiters.add(fn);
    return () => this.changeWaiters.delete(fn);
  }

  // ---- LegEnvironment ----
  peerFor(number: string): PeerBehaviour {
    return this.options.peers[number] ?? this.options.defaultPeer;
  }

  registration(ext: string): Registration | undefined {
    return this.registrations.get(ext);
  }

  admit(): boolean {
    // The one-second window is emulated time, like every other delay (timeScale 0.01: 10 ms of real time).
    const now = performance.now();
    const window = 1000 * this.options.timeScale;
    while (this.admitted.length && now - this.admitted[0]! >= window) this.admitted.shift();
    if (this.admitted.length >= this.options.sessionsPerSecond) return false;
    if (this.sw.liveCount() + 1 > this.options.maxSessions) return false;
    this.admitted.push(now);
    return true;
  }

  // ---- AppHost ----
  playbackMs(file: string): number {
    return this.options.playbackMs(file);
  }

  /**
   * The socket app: `host:port[|host:port…] [async] [full]`. Each address is tried in order until one accepts
   * (mod_event_socket.c socket_function); when none does, the app returns and the dialplan goes on.
   */
  connectSocket(ch: Channel, data: string): void {
    const targets = (data.trim().split(/\s+/)[0] ?? '')
      .split('|')
      .map((t) => /^([^:\s]+):(\d+)$/.exec(t))
      .filter((m): m is RegExpExecArray => m !== null);
    if (targets.length === 0) {
      this.sw.soon(() => this.kill(ch, 'NORMAL_CLEARING'));
      return;
    }
    const attempt = (i: number): void => {
      const m = targets[i];
      if (!m) return this.socketEnded(ch, 'refused');
      ch.setVar('socket_host', m[1]!);
      connectOutbound(this, ch, m[1]!, Number(m[2]), () => attempt(i + 1));
    };
    attempt(0);
  }

  conferenceJoin(ch: Channel, name: string): AppRun {
    return this.conferences.join(ch, name);
  }

  bridge(a: Channel, dialString: string, done: (cause: string | undefined) => void): AppRun {
    return bridgeApp(this, a, dialString, done);
  }

  link(a: Channel, b: Channel): void {
    linkLegs(this.sw, a, b);
  }

  // ---- actions ----

  /** uuid_kill and friends: we (the switch) end the leg, so the disposition is send_bye / send_cancel. */
  kill(ch: Channel, cause: string): boolean {
    return this.sw.hangup(ch, cause, {
      sipVars: [['sip_hangup_disposition', ch.answered ? 'send_bye' : 'send_cancel']],
      deferTeardown: true,
    });
  }

  /** Runs an originate; `report` receives `+OK <uuid>\n` or `-ERR <CAUSE>\n` at FreeSWITCH's moment. */
  originate(argText: string, report: (result: string) => void): void {
    const parsed = parseOriginate(argText);
    if (!parsed) {
      report(
        '-USAGE: <call url> <exten>|&<application_name>(<app_args>) [<dialplan>] [<context>] [<cid_name>] [<cid_num>] [<timeout_sec>]\n',
      );
      return;
    }
    const vars = new Map(parsed.vars);
    const timeoutSec = Number(vars.get('originate_timeout') ?? parsed.timeoutSec ?? 60);
    startLeg(this, {
      dial: parseDial(parsed.dialString),
      vars: parsed.vars,
      callerIdName: parsed.callerIdName,
      callerIdNumber: parsed.callerIdNumber,
      timeoutSec,
      onAnswer: (ch) => {
        // BACKGROUND_JOB goes out right after the answer, before the application starts (README "Event order").
        report(`+OK ${ch.uuid}\n`);
        if (!ch.alive) return;
        this.sw.setState(ch, 'CS_EXECUTE');
        const t = parsed.target;
        if (t.kind === 'app') this.runFinal(ch, t.name, t.data);
        else this.runDialplan(ch, t.extension);
      },
      onFail: (cause) => report(`-ERR ${cause}\n`),
    });
  }

  /** The leg's last application: when it returns and nothing else is queued, the leg hangs up. */
  runFinal(ch: Channel, name: string, data: string): void {
    this.apps.enqueue(ch, name, data, randomUUID(), () => {
      if (ch.alive && !['park', 'socket'].includes(name))
        this.sw.soon(() => this.kill(ch, 'NORMAL_CLEARING'));
    });
  }

  /**
   * freeswitch-conf's dialplan: every agent code, DID and socket_test goes to the socket app. The `cc_handoff`
   * context is where an instance that does not own the leg's project sends it (dialplan/handoff.xml): on to the
   * address in cc_handoff_to, with the same fallback.
   */
  runDialplan(ch: Channel, _extension: string, context?: string): void {
    ch.setVar('DP_MATCH', `ARRAY::${_extension}|:${_extension}`);
    if (context === 'cc_handoff') {
      this.dialplanLegs.add(ch.uuid);
      this.runFinal(ch, 'socket', `${ch.vars.get('cc_handoff_to') ?? ''} async full`);
      return;
    }
    const { dialplanSocket, dialplanSockets } = this.options;
    const targets = (dialplanSockets ?? [dialplanSocket]).map((s) => `${s.host}:${s.port}`).join('|');
    // The variables freeswitch-conf's dialplan sets before the socket (dialplan/default.xml and public.xml).
    const token = this.globals.get('cc_socket_token');
    if (token) ch.setVar('cc_socket_token', token);
    if (ch.name.startsWith('sofia/internal/')) {
      const fifo = /^fifo(.+)$/.exec(_extension);
      ch.setVar('cc_role', 'agent');
      if (_extension === 'agent_login' || _extension === 'agent_logoff') ch.setVar('cc_flow', _extension);
      else if (fifo) {
        ch.setVar('cc_flow', 'fifo');
        ch.setVar('cc_project', fifo[1]);
      } else ch.setVar('cc_flow', 'agent_call');
    } else {
      ch.setVar('cc_role', 'customer');
      ch.setVar('cc_flow', 'inbound');
    }
    this.dialplanLegs.add(ch.uuid);
    this.runFinal(ch, 'socket', `${targets} async full`);
  }

  /**
   * The socket app returned: connection refused, or our server sent `resume` and closed. A dialplan leg then
   * goes on with freeswitch-conf's fallback (answer, the unavailable tone, hangup NORMAL_TEMPORARY_FAILURE); an
   * originated `&socket(...)` leg has nothing left to run and hangs up. A dropped connection without `resume`
   * hangs the leg up.
   */
  socketEnded(ch: Channel, reason: 'refused' | 'resumed' | 'dropped'): void {
    if (!ch.alive) return;
    const dialplan = this.dialplanLegs.has(ch.uuid);
    if (reason === 'dropped' || !dialplan) {
      // The socket app's park ends when its listener goes, but an application it started (a bridge, a playback)
      // runs to its end first: against FreeSWITCH 1.11.1 a kill -9 of our server leaves bridged calls talking.
      this.sw.whenIdle(ch, () => this.sw.soon(() => this.kill(ch, 'NORMAL_CLEARING')));
      return;
    }
    this.sw.soon(() => {
      if (!ch.alive) return;
      this.sw.stopRuns(ch);
      this.apps.enqueue(ch, 'answer', '');
      this.apps.enqueue(ch, 'playback', this.options.unavailableMedia);
      this.apps.enqueue(ch, 'hangup', 'NORMAL_TEMPORARY_FAILURE');
    });
  }

  /** A leg into the dialplan; returns its uuid, or undefined when the switch refuses it (limits). */
  incoming(
    from: string,
    destination: string,
    profile: 'internal' | 'external',
    hangupAfterMs?: number,
  ): string | undefined {
    const port = profile === 'internal' ? (this.registrations.get(from)?.networkPort ?? 15096) : 15095;
    const ch = inboundLeg(this, {
      from,
      destination,
      profile,
      context: profile === 'internal' ? 'default' : 'public',
      port,
    });
    if (!ch) return undefined;
    this.sw.setState(ch, 'CS_EXECUTE');
    this.runDialplan(ch, destination);
    if (hangupAfterMs !== undefined) {
      this.sw.after(hangupAfterMs, () =>
        this.sw.hangup(ch, 'NORMAL_CLEARING', {
          sipVars: [
            ['sip_hangup_disposition', 'recv_bye'],
            ['sip_term_status', '200'],
          ],
        }),
      );
    }
    return ch.uuid;
  }

  register(ext: string, options: ExtensionOptions = {}): void {
    const reg: Registration = {
      ext,
      options: {
        mode: options.mode ?? 'auto-answer',
        answerAfterMs: options.answerAfterMs ?? 0,
        hangupAfterMs: options.hangupAfterMs,
      },
      callId: `${randomUUID()}@127.0.0.1`,
      networkPort: 15096 + this.registrations.size,
      expires: Math.floor(Date.now() / 1000) + 3600,
    };
    this.registrations.set(ext, reg);
    publishRegistration(this.sw, 'sofia::register', reg);
  }

  unregister(ext: string, how: 'sofia::unregister' | 'sofia::expire' = 'sofia::unregister'): boolean {
    const reg = this.registrations.get(ext);
    if (!reg) return false;
    this.registrations.delete(ext);
    publishRegistration(this.sw, how, reg);
    return true;
  }

  dtmf(uuid: string, digits: string): boolean {
    const ch = this.sw.channels.get(uuid);
    if (!ch?.alive) return false;
    sendDtmf(this.sw, ch, digits);
    return true;
  }
}
