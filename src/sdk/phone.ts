/**
 * MySoftPhone (spec 二): registers an extension over SIP/WebSocket on creation, places and receives calls, and
 * dials the call center's codes. Built on JsSIP; the page sees only our types.
 */
import { UA, WebSocketInterface } from 'jssip';
import type { RTCSession } from 'jssip/lib/RTCSession';
import type { IncomingRequest } from 'jssip/lib/SIPMessage';
import type { RTCSessionEvent } from 'jssip/lib/UA';
import { asksAutoAnswer } from './auto-answer.js';
import { TypedEmitter } from './emitter.js';
import { registrationError, serverUnreachable, type SoftPhoneError } from './errors.js';
import { browserTimers, type Timers } from './hold-queue.js';
import { MediaElements } from './media.js';
import {
  DialCode,
  isProjectCode,
  optionsProblem,
  type AnswerConfirmFn,
  type SoftPhoneOptions,
} from './options.js';
import { deadLeg, identityOf } from './leg.js';
import {
  SoftPhoneSession,
  type CallEndEvent,
  type DtmfEvent,
  type HoldEvent,
  type SessionDeps,
  type SessionEvent,
} from './session.js';

export interface PhoneEventMap {
  /** The extension is registered: calls can come in. */
  registered: Record<string, never>;
  /** The extension is no longer registered (unregister() or the server dropped it). */
  unregistered: Record<string, never>;
  /** Registration failed: error.kind is 'wrong-password', 'server-unreachable' or 'registration-rejected'. */
  registrationFailed: { error: SoftPhoneError };
  /** A new call leg: placed by call(), incoming, or placed because the other side transferred us (REFER). */
  session: SessionEvent;
  ringing: SessionEvent;
  answered: SessionEvent;
  ended: CallEndEvent;
  failed: CallEndEvent;
  hold: HoldEvent;
  unhold: HoldEvent;
  dtmf: DtmfEvent;
  /** Something outside a call went wrong (a missing media element, answerConfirmFn threw). */
  error: { error: SoftPhoneError };
}

export interface CallOptions {
  /** Extra SIP headers for the INVITE, e.g. ["X-Project: p1"]. */
  extraHeaders?: string[];
}

/** How long unregister() waits for the registrar's answer before giving up. */
const UNREGISTER_WAIT_MS = 5_000;

export class MySoftPhone extends TypedEmitter<PhoneEventMap> {
  private readonly ua: UA;
  private readonly media: MediaElements;
  private readonly live = new Map<string, SoftPhoneSession>();
  private readonly byLeg = new WeakMap<RTCSession, SoftPhoneSession>();
  private readonly referredLegs = new WeakMap<RTCSession, SoftPhoneSession>();
  private readonly deps: SessionDeps;
  private registeredNow = false;
  private closing = false;
  private unreachableReported = false;

  /**
   * Creates the phone and registers at once (spec 二.1). Invalid options are a programming error and throw a
   * TypeError; everything that can go wrong at run time arrives as an event.
   */
  constructor(
    private readonly options: SoftPhoneOptions,
    private readonly answerConfirmFn: AnswerConfirmFn,
    timers: Timers = browserTimers,
  ) {
    super();
    const problem = optionsProblem(options);
    if (problem) throw new TypeError(`MySoftPhone: ${problem}`);
    if (typeof answerConfirmFn !== 'function')
      throw new TypeError('MySoftPhone: answerConfirmFn must be a function');
    this.media = new MediaElements(options.remoteVideoId, options.localVideoId, (id) =>
      this.emit('error', {
        error: {
          kind: 'media-element-missing',
          message: `No <audio> or <video> element with id "${id}" in the page: add one, or fix remoteVideoId/localVideoId.`,
        },
      }),
    );
    this.deps = {
      media: this.media,
      timers,
      dtmfTransport: options.dtmfTransport ?? 'info',
      mediaOptions: () => ({
        mediaConstraints: { audio: true, video: false },
        pcConfig: { iceServers: options.iceServers ?? [] },
      }),
      referred: (from, newLeg) => this.referredLegs.set(newLeg, from),
    };
    this.ua = new UA({
      sockets: options.wsServers.map((url) => new WebSocketInterface(url)),
      uri: options.uri,
      authorization_user: options.authorizationUser,
      password: options.password,
      display_name: options.displayName ?? options.authorizationUser,
      register: true,
      register_expires: options.registerExpires ?? 300,
      // Session timers make JsSIP send UPDATE/re-INVITE refreshes that some gateways reject; FreeSWITCH does not need them.
      session_timers: false,
      user_agent: 'MySoftPhone (JsSIP)',
    });
    this.listen();
    this.ua.start();
  }

  get registered(): boolean {
    return this.registeredNow;
  }

  /** Calls not yet ended, oldest first. */
  get sessions(): SoftPhoneSession[] {
    return [...this.live.values()];
  }

  /** Registers again after unregister(). */
  register(): void {
    this.ua.register();
  }

  /** Unregisters the extension (spec 二.2). Resolves true when the registrar confirmed, false otherwise. */
  unregister(): Promise<boolean> {
    if (!this.registeredNow) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = this.deps.timers.set(() => settle(false), UNREGISTER_WAIT_MS);
      const settle = (ok: boolean) => {
        this.deps.timers.clear(timer);
        this.off('unregistered', onUnregistered);
        resolve(ok);
      };
      const onUnregistered = () => settle(true);
      this.on('unregistered', onUnregistered);
      this.ua.unregister();
    });
  }

  /** Hangs up every call, unregisters and closes the connection to the server. */
  async close(): Promise<void> {
    for (const s of this.sessions) s.hangup();
    await this.unregister();
    this.closing = true;
    this.ua.stop();
  }

  /**
   * Calls `target`: a number, an extension, a dial code or a SIP URI (spec 二.3). The spec's table also reads as
   * `call({ target })`, so that form is accepted too.
   */
  call(target: string | { target: string }, options: CallOptions = {}): SoftPhoneSession {
    if (typeof target === 'object' && target !== null) target = target.target;
    let leg: RTCSession;
    try {
      leg = this.ua.call(target, { ...this.deps.mediaOptions(), extraHeaders: options.extraHeaders ?? [] });
    } catch {
      // JsSIP throws on a target it cannot turn into a SIP URI; the caller still gets a session, already failed.
      const failed = new SoftPhoneSession(
        deadLeg,
        { id: `invalid-${Date.now()}`, direction: 'outgoing', target, displayName: '' },
        this.deps,
      );
      this.forward(failed);
      queueMicrotask(() => failed.finish('failed', 'invalid-target', 'local'));
      return failed;
    }
    // newRTCSession fired synchronously inside ua.call and adopted the leg.
    return this.byLeg.get(leg) ?? this.adopt(leg);
  }

  /** Dials agent_login: the agent becomes available for calls (spec 二.9). */
  agentLogin(): SoftPhoneSession {
    return this.call(DialCode.agentLogin);
  }

  /** Dials agent_logoff: the agent stops taking calls (spec 二.9). */
  agentLogoff(): SoftPhoneSession {
    return this.call(DialCode.agentLogoff);
  }

  /** Off-hook mode (spec 二.10): dials fifo<projectCode> and stays connected; customers are bridged in. */
  enterFifo(projectCode: string): SoftPhoneSession {
    if (typeof projectCode !== 'string' || !isProjectCode(projectCode)) {
      throw new TypeError(`MySoftPhone.enterFifo: "${String(projectCode)}" is not a project code`);
    }
    return this.call(`${DialCode.fifoPrefix}${projectCode}`);
  }

  private listen(): void {
    const ua = this.ua;
    ua.on('connected', () => {
      this.unreachableReported = false;
    });
    // Fires before JsSIP's own 'unregistered' when a registered phone loses its server, and on every failed
    // reconnection attempt; close() is the only disconnection that is not news.
    ua.on('disconnected', () => {
      if (!this.closing) this.reportUnreachable();
    });
    ua.on('registered', () => {
      this.registeredNow = true;
      this.emit('registered', {});
    });
    ua.on('unregistered', () => {
      this.registeredNow = false;
      this.emit('unregistered', {});
    });
    ua.on('registrationFailed', (e) => {
      this.registeredNow = false;
      const error = registrationError(e.cause, e.response?.status_code);
      if (error.kind === 'server-unreachable') this.reportUnreachable();
      else this.emit('registrationFailed', { error });
    });
    ua.on('newRTCSession', (e: RTCSessionEvent) => {
      const session = this.adopt(e.session);
      if (e.originator === 'remote') void this.offer(session, e.request as IncomingRequest);
    });
  }

  /** JsSIP retries a dead WebSocket forever; the page hears about it once per outage. */
  private reportUnreachable(): void {
    if (this.unreachableReported) return;
    this.unreachableReported = true;
    this.emit('registrationFailed', { error: serverUnreachable() });
  }

  private adopt(leg: RTCSession): SoftPhoneSession {
    const known = this.byLeg.get(leg);
    if (known) return known;
    const session = new SoftPhoneSession(leg, identityOf(leg), this.deps);
    session.referredBy = this.referredLegs.get(leg) ?? null;
    this.byLeg.set(leg, session);
    this.forward(session);
    return session;
  }

  private forward(session: SoftPhoneSession): void {
    this.live.set(session.id, session);
    const gone = () => this.live.delete(session.id);
    session.on('ringing', (p) => this.emit('ringing', p));
    session.on('answered', (p) => this.emit('answered', p));
    session.on('ended', (p) => (gone(), this.emit('ended', p)));
    session.on('failed', (p) => (gone(), this.emit('failed', p)));
    session.on('hold', (p) => this.emit('hold', p));
    session.on('unhold', (p) => this.emit('unhold', p));
    session.on('dtmf', (p) => this.emit('dtmf', p));
    this.emit('session', { session });
  }

  /** An incoming call: answered at once when the server says so, otherwise the agent decides (spec 二.8). */
  private async offer(session: SoftPhoneSession, request: IncomingRequest): Promise<void> {
    session.autoAnswer = asksAutoAnswer((name) => request.getHeaders(name) ?? []);
    session.announceRinging();
    if (session.autoAnswer) {
      session.answer();
      return;
    }
    let take: boolean;
    try {
      take = (await this.answerConfirmFn(session.target)) === true;
    } catch (err) {
      take = false;
      this.emit('error', {
        error: {
          kind: 'answer-confirm-failed',
          message: `answerConfirmFn failed (${String(err)}); the call from ${session.target} was declined.`,
        },
      });
    }
    // The caller may have hung up while the agent was deciding.
    if (session.state !== 'ringing') return;
    if (take) session.answer();
    else session.decline();
  }
}
