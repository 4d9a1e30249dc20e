// The emulated switch core: channels, the event bus, scaled timers and each leg's state transitions in the order
// FreeSWITCH fires their events (see the captures' CHANNEL_STATE / CALLSTATE sequences).
import { randomUUID } from 'node:crypto';
import { Channel, STATE_NUMBER } from './channel.js';
import type { CallerProfile } from './channel.js';
import { commonHeaders, localStamp } from './events.js';
import type { EmulatorEvent, EventClock, SwitchIdentity } from './events.js';
import { Q850 } from './peers.js';
import type { Headers } from './wire.js';

export type EventListener = (event: EmulatorEvent) => void;

export interface PublishOptions {
  subclass?: string;
  channel?: Channel;
  /** Extended channel events carry every variable; CHANNEL_STATE / CALLSTATE / OUTGOING do not. */
  vars?: boolean;
  /** Headers before the channel data (e.g. Hangup-Cause on HANGUP_COMPLETE, Bridge-A-Unique-ID). */
  pre?: Headers;
  /** Headers after the variables (e.g. Application, Application-UUID). */
  post?: Headers;
  body?: string;
  calling?: [string, string, number];
  /** Headers before Event-Name (PRIVATE_COMMAND carries the sendmsg it runs first). */
  lead?: Headers;
}

export interface HangupDetails {
  /** SIP variables the far end or the switch set (sip_hangup_disposition, sip_term_status, ...). */
  sipVars?: [string, string][];
  /** Called right after CHANNEL_HANGUP (no-answer originate: BACKGROUND_JOB comes here). */
  afterHangupEvent?: () => void;
  /** Called right after CHANNEL_HANGUP_COMPLETE (busy/unreachable originate: BACKGROUND_JOB comes here). */
  afterComplete?: () => void;
  /**
   * CHANNEL_HANGUP now, the rest on the next turn: switch_channel_hangup fires CHANNEL_HANGUP in the caller's
   * thread (uuid_kill), the session thread tears down later, so the API event lands between them.
   */
  deferTeardown?: boolean;
}

/** A running application that can be cut short; stop() must emit its completion events synchronously. */
export interface AppRun {
  stop(reason: 'hangup' | 'break'): void;
  /** Runs under later apps (park): the queue moves on while it stays until hangup. */
  background?: boolean;
  /** uuid_break sets CF_BREAK, which only media apps obey: a bridge or an eavesdrop carries on. */
  ignoresBreak?: boolean;
}

export class Switch implements EventClock {
  readonly channels = new Map<string, Channel>();
  private readonly listeners = new Set<EventListener>();
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Per-channel hooks run after CHANNEL_HANGUP_COMPLETE (outbound sockets send their notice there). */
  private readonly completeHooks = new Map<string, (() => void)[]>();
  private readonly running = new Map<string, AppRun[]>();
  private readonly idleHooks = new Map<string, (() => void)[]>();
  private sequence = 1000;
  private lastMicros = 0;
  readonly startedAt = Date.now();
  sessionsSinceStartup = 0;
  peakSessions = 0;
  closed = false;

  constructor(
    readonly identity: SwitchIdentity,
    readonly timeScale: number,
  ) {}

  nowMicros(): number {
    // Strictly increasing, so events stay ordered by timestamp even within one millisecond.
    this.lastMicros = Math.max(Date.now() * 1000, this.lastMicros + 1);
    return this.lastMicros;
  }

  nextSequence(): number {
    return ++this.sequence;
  }

  /** Runs fn after `ms` emulated milliseconds (scaled by timeScale); the returned function cancels it. */
  after(ms: number, fn: () => void): () => void {
    if (this.closed) return () => undefined;
    const timer = setTimeout(
      () => {
        this.timers.delete(timer);
        if (!this.closed) fn();
      },
      Math.max(0, ms * this.timeScale),
    );
    this.timers.add(timer);
    return () => {
      clearTimeout(timer);
      this.timers.delete(timer);
    };
  }

  /** Next turn of the event loop, unscaled: replies go out before the events they cause. */
  soon(fn: () => void): void {
    this.after(0, fn);
  }

  stopTimers(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  publish(name: string, options: PublishOptions = {}): EmulatorEvent {
    const headers = [
      ...(options.lead ?? []),
      ...commonHeaders(name, this.identity, this, options.subclass, options.calling),
    ];
    if (options.pre) headers.push(...options.pre);
    if (options.channel) headers.push(...options.channel.data(options.vars ?? true));
    if (options.post) headers.push(...options.post);
    const event: EmulatorEvent = {
      name,
      subclass: options.subclass,
      headers,
      body: options.body,
      uuid: options.channel?.uuid,
    };
    for (const listener of [...this.listeners]) listener(event);
    return event;
  }

  // ---- legs ----

  liveCount(): number {
    let n = 0;
    for (const ch of this.channels.values()) if (!ch.destroyed) n++;
    return n;
  }

  createChannel(name: string, profile: CallerProfile, uuid: string = randomUUID()): Channel {
    const ch = new Channel(uuid, name, profile, this.nowMicros());
    this.channels.set(uuid, ch);
    this.sessionsSinceStartup++;
    this.peakSessions = Math.max(this.peakSessions, this.liveCount());
    return ch;
  }

  setState(ch: Channel, state: string, numberOnly = false): void {
    ch.stateNumber = STATE_NUMBER[state] ?? ch.stateNumber;
    if (numberOnly) return;
    ch.state = state;
    this.publish('CHANNEL_STATE', { channel: ch, vars: false });
  }

  setCallState(ch: Channel, callState: string): void {
    const original = ch.callState;
    ch.callState = callState;
    this.publish('CHANNEL_CALLSTATE', {
      channel: ch,
      vars: false,
      pre: [
        ['Original-Channel-Call-State', original],
        ['Channel-Call-State-Number', String(CALL_STATE_NUMBER[callState] ?? 0)],
      ],
    });
  }

  ring(ch: Channel): void {
    if (!ch.alive || ch.times.progress) return;
    ch.times.progress = this.nowMicros();
    this.publish('CHANNEL_PROGRESS', { channel: ch });
    this.setCallState(ch, 'RINGING');
  }

  answer(ch: Channel): void {
    if (!ch.alive || ch.answered) return;
    ch.codec = true;
    ch.times.answered = this.nowMicros();
    if (!ch.times.progress) ch.times.progress = ch.times.answered;
    ch.answerState = 'answered';
    ch.setVar('endpoint_disposition', 'ANSWER');
    this.publish('CHANNEL_ANSWER', { channel: ch });
    this.setCallState(ch, 'ACTIVE');
  }

  // ---- applications ----

  pushRun(ch: Channel, run: AppRun): void {
    this.running.set(ch.uuid, [...(this.running.get(ch.uuid) ?? []), run]);
  }

  dropRun(ch: Channel, run: AppRun): void {
    const runs = (this.running.get(ch.uuid) ?? []).filter((r) => r !== run);
    if (runs.length) this.running.set(ch.uuid, runs);
    else this.running.delete(ch.uuid);
    if (!this.foregroundRun(ch)) {
      const hooks = this.idleHooks.get(ch.uuid) ?? [];
      this.idleHooks.delete(ch.uuid);
      for (const hook of hooks) hook();
    }
  }

  /** Runs `fn` once the leg has no foreground application running (at once if it has none). */
  whenIdle(ch: Channel, fn: () => void): void {
    if (!this.foregroundRun(ch)) return fn();
    this.idleHooks.set(ch.uuid, [...(this.idleHooks.get(ch.uuid) ?? []), fn]);
  }

  /** Ends every app on the leg (uuid_bridge / uuid_transfer take the leg out of park). */
  stopRuns(ch: Channel): void {
    for (const run of [...(this.running.get(ch.uuid) ?? [])].reverse()) run.stop('break');
    this.running.delete(ch.uuid);
  }

  /** The innermost foreground app (uuid_break stops it). */
  foregroundRun(ch: Channel): AppRun | undefined {
    return [...(this.running.get(ch.uuid) ?? [])].reverse().find((r) => !r.background);
  }

  onComplete(ch: Channel, hook: () => void): void {
    const hooks = this.completeHooks.get(ch.uuid) ?? [];
    hooks.push(hook);
    this.completeHooks.set(ch.uuid, hooks);
  }

  /** Hangs a leg up with FreeSWITCH's event order; returns false when it was already hung up. */
  hangup(ch: Channel, cause: string, details: HangupDetails = {}): boolean {
    if (!ch.alive) return false;
    ch.hangupCause = cause;
    ch.stateNumber = STATE_NUMBER.CS_HANGUP;
    ch.answerState = 'hangup';
    ch.times.hangup = this.nowMicros();
    // sofia sets sip_hangup_disposition of a BYE only after CHANNEL_HANGUP has gone out. A received BYE is on the
    // very next events (UNBRIDGE, EXECUTE_COMPLETE, UNPARK); one we send goes out from the CS_HANGUP state handler,
    // after the apps have ended, so only CHANNEL_HANGUP_COMPLETE carries send_bye (captures, shared and live). A
    // refusal (recv_refuse) is known before, and CHANNEL_HANGUP carries that one.
    const byBye = (k: string, v: string) => k === 'sip_hangup_disposition' && /^(send|recv)_bye$/.test(v);
    for (const [k, v] of details.sipVars ?? []) if (!byBye(k, v)) ch.setVar(k, v);
    this.publish('CHANNEL_HANGUP', { channel: ch });
    for (const [k, v] of details.sipVars ?? []) if (byBye(k, v) && v === 'recv_bye') ch.setVar(k, v);
    details.afterHangupEvent?.();
    if (details.deferTeardown) this.soon(() => this.teardown(ch, cause, details));
    else this.teardown(ch, cause, details);
    return true;
  }

  private teardown(ch: Channel, cause: string, details: HangupDetails): void {
    for (const run of [...(this.running.get(ch.uuid) ?? [])].reverse()) run.stop('hangup');
    this.running.delete(ch.uuid);
    const partner = ch.bridgedTo;
    for (const [k, v] of details.sipVars ?? [])
      if (k === 'sip_hangup_disposition' && v === 'send_bye') ch.setVar(k, v);
    this.setState(ch, 'CS_HANGUP');
    this.setCallState(ch, 'HANGUP');
    ch.stateNumber = STATE_NUMBER.CS_REPORTING;
    this.setState(ch, 'CS_REPORTING');
    this.setHangupVars(ch, cause);
    this.publish('CHANNEL_HANGUP_COMPLETE', { channel: ch, pre: [['Hangup-Cause', cause]] });
    details.afterComplete?.();
    for (const hook of this.completeHooks.get(ch.uuid) ?? []) hook();
    this.completeHooks.delete(ch.uuid);
    ch.stateNumber = STATE_NUMBER.CS_DESTROY;
    this.publish('CHANNEL_DESTROY', { channel: ch });
    this.setState(ch, 'CS_DESTROY');
    ch.destroyed = true;
    this.channels.delete(ch.uuid);
    this.idleHooks.delete(ch.uuid);
    if (partner && partner.bridgedTo === ch) this.partnerHungUp(partner, ch);
  }

  /** Set by the application layer: what a leg does when the leg bridged to it hangs up. */
  partnerHungUp: (survivor: Channel, gone: Channel) => void = () => undefined;

  private setHangupVars(ch: Channel, cause: string): void {
    const t = ch.times;
    const secs = (us: number) => String(Math.floor(us / 1_000_000));
    const end = t.hangup;
    const since = (from: number) => (from ? end - from : 0);
    ch.setVar('hangup_cause', cause);
    ch.setVar('hangup_cause_q850', String(Q850[cause] ?? 16));
    ch.setVar('digits_dialed', 'none');
    ch.setVar('start_stamp', localStamp(new Date(t.created / 1000)));
    if (t.answered) ch.setVar('answer_stamp', localStamp(new Date(t.answered / 1000)));
    ch.setVar('end_stamp', localStamp(new Date(end / 1000)));
    ch.setVar('start_epoch', secs(t.created));
    ch.setVar('start_uepoch', String(t.created));
    ch.setVar('answer_epoch', secs(t.answered));
    ch.setVar('answer_uepoch', String(t.answered));
    ch.setVar('bridge_epoch', secs(t.bridged));
    ch.setVar('bridge_uepoch', String(t.bridged));
    ch.setVar('progress_epoch', secs(t.progress));
    ch.setVar('progress_uepoch', String(t.progress));
    ch.setVar('end_epoch', secs(end));
    ch.setVar('end_uepoch', String(end));
    ch.setVar('caller_id', ch.profile.callerIdNumber);
    ch.setVar('duration', secs(end - t.created));
    ch.setVar('billsec', secs(since(t.answered)));
    ch.setVar('progresssec', secs(t.progress ? t.progress - t.created : 0));
    ch.setVar('answersec', secs(t.answered ? t.answered - t.created : 0));
    ch.setVar('waitsec', secs(t.answered ? t.answered - t.created : 0));
    ch.setVar('mduration', String(Math.floor((end - t.created) / 1000)));
    ch.setVar('billmsec', String(Math.floor(since(t.answered) / 1000)));
    ch.setVar('uduration', String(end - t.created));
    ch.setVar('billusec', String(since(t.answered)));
  }

  /** Every channel still alive, for `hupall` and close(). */
  liveChannels(): Channel[] {
    return [...this.channels.values()].filter((c) => c.alive);
  }
}

const CALL_STATE_NUMBER: Record<string, number> = {
  DOWN: 0,
  DIALING: 1,
  RINGING: 2,
  EARLY: 3,
  ACTIVE: 4,
  HELD: 5,
  RING_WAIT: 6,
  HANGUP: 7,
  UNHELD: 8,
};

/** Application / Application-Data / Application-Response / Application-UUID in FreeSWITCH's order. */
export function appHeaders(app: { name: string; data: string; uuid: string }, response?: string): Headers {
  const h: Headers = [['Application', app.name]];
  if (app.data) h.push(['Application-Data', app.data]);
  if (response !== undefined) h.push(['Application-Response', response]);
  h.push(['Application-UUID', app.uuid]);
  return h;
}

export { Q850 };
