/**
 * One call leg of the softphone (spec 二.3-二.7): hangup, hold, unhold, blind transfer, DTMF, and typed events.
 * It wraps a JsSIP RTCSession; nothing of JsSIP leaks into the public types.
 */
import type {
  EndEvent,
  IncomingDTMFEvent,
  OutgoingDTMFEvent,
  ReferEvent,
  RTCSession,
  DTMFOptions,
} from 'jssip/lib/RTCSession';
import type { IncomingResponse } from 'jssip/lib/SIPMessage';
import { TypedEmitter } from './emitter.js';
import { callCause, callCauseMessage, type CallCause, type Originator } from './errors.js';
import { HoldQueue, type Timers } from './hold-queue.js';
import { isDtmfTones } from './options.js';
import type { MediaElements } from './media.js';
import type { Leg, LegIdentity } from './leg.js';

export type SessionState = 'calling' | 'ringing' | 'answered' | 'ended' | 'failed';

export interface SessionEvent {
  session: SoftPhoneSession;
}
export interface CallEndEvent extends SessionEvent {
  cause: CallCause;
  originator: Originator;
  /** The SIP status that ended it, when a response did (e.g. 486). */
  statusCode?: number;
  reasonPhrase?: string;
  /** What happened and what to do, for the person at the desk. */
  message: string;
}
export interface HoldEvent extends SessionEvent {
  /** 'local': this phone put the call on hold; 'remote': the other side did. */
  originator: 'local' | 'remote';
}
export interface DtmfEvent extends SessionEvent {
  tone: string;
  originator: 'local' | 'remote';
}

export interface SessionEventMap {
  /** Outgoing: the callee's phone rings (180/183). Incoming: this phone rings. */
  ringing: SessionEvent;
  /** The call is connected. */
  answered: SessionEvent;
  /** An answered call is over. */
  ended: CallEndEvent;
  /** The call ended before it was answered. */
  failed: CallEndEvent;
  hold: HoldEvent;
  unhold: HoldEvent;
  dtmf: DtmfEvent;
}

export type TransferResult =
  | { ok: true }
  | {
      ok: false;
      reason: 'not-answered' | 'invalid-target' | 'refused';
      statusCode?: number;
      message: string;
    };

/** @internal What a session needs from its phone. */
export interface SessionDeps {
  media: MediaElements;
  timers: Timers;
  dtmfTransport: 'info' | 'rfc2833';
  mediaOptions(): { mediaConstraints: MediaStreamConstraints; pcConfig: RTCConfiguration };
  /** The other side asked us to call `target` (incoming REFER): the new leg is created by JsSIP. */
  referred(from: SoftPhoneSession, newLeg: RTCSession): void;
}

export class SoftPhoneSession extends TypedEmitter<SessionEventMap> {
  readonly id: string;
  readonly direction: 'incoming' | 'outgoing';
  /** The other party: the caller's number for incoming calls, the dialled number for outgoing ones. */
  readonly target: string;
  /** The other party's display name, if it sent one. */
  readonly displayName: string;
  /** Incoming only: the INVITE asked to be answered at once (X-CC-Auto-Answer / answer-after=0). */
  autoAnswer = false;
  /** Set when this outgoing call was placed because the other side of `referredBy` transferred us (REFER). */
  referredBy: SoftPhoneSession | null = null;
  private stateNow: SessionState;
  private leavingByTransfer = false;
  private readonly holds: HoldQueue;

  /** @internal */
  constructor(
    private readonly rtc: Leg,
    identity: LegIdentity,
    private readonly deps: SessionDeps,
  ) {
    super();
    this.id = identity.id;
    this.direction = identity.direction;
    this.target = identity.target;
    this.displayName = identity.displayName;
    this.stateNow = this.direction === 'incoming' ? 'ringing' : 'calling';
    this.holds = new HoldQueue(
      {
        isEnded: () => rtc.isEnded(),
        isEstablished: () => rtc.isEstablished(),
        isReadyToReOffer: () => rtc.isReadyToReOffer(),
        isLocalHold: () => rtc.isOnHold().local,
        hold: (done) => rtc.hold({}, done),
        unhold: (done) => rtc.unhold({}, done),
      },
      deps.timers,
    );
    this.listen();
  }

  get state(): SessionState {
    return this.stateNow;
  }

  /** Hangs up an answered call, cancels an outgoing one, declines an incoming one (spec 二.4). */
  hangup(): void {
    if (this.rtc.isEnded()) return;
    if (this.direction === 'incoming' && !this.rtc.isEstablished()) this.decline();
    else this.rtc.terminate();
  }

  /** Puts the call on hold; queued behind any re-INVITE in progress. Resolves false if the call ended first. */
  hold(): Promise<boolean> {
    return this.holds.request(true);
  }

  unhold(): Promise<boolean> {
    return this.holds.request(false);
  }

  /** Whether this phone holds the call. */
  isOnHold(): boolean {
    return this.rtc.isOnHold().local;
  }

  /**
   * Blind transfer (spec 二.7): asks the other side to call `target` (REFER), and once it has accepted (202),
   * hangs up this leg; the 'ended' event then says cause 'transferred'.
   */
  transfer(target: string): Promise<TransferResult> {
    if (!this.rtc.isEstablished() || this.rtc.isEnded()) {
      return Promise.resolve({
        ok: false,
        reason: 'not-answered',
        message: 'Only an answered call can be transferred.',
      });
    }
    return new Promise((resolve) => {
      const succeeded = () => {
        this.leavingByTransfer = true;
        if (!this.rtc.isEnded()) this.rtc.terminate();
        resolve({ ok: true });
      };
      const failed = (e: { response: IncomingResponse | null }) => {
        const statusCode = e.response?.status_code;
        resolve({
          ok: false,
          reason: 'refused',
          statusCode,
          message: `The other side refused the transfer${statusCode ? ` (SIP ${statusCode})` : ''}: the call stays with you.`,
        });
      };
      try {
        this.rtc.refer(target, { eventHandlers: { requestSucceeded: succeeded, requestFailed: failed } });
      } catch {
        resolve({
          ok: false,
          reason: 'invalid-target',
          message: `"${target}" is not a number or SIP address.`,
        });
      }
    });
  }

  /** Sends DTMF tones (0-9, *, #, A-D; "," pauses). False if the call is not answered or the tones are invalid. */
  sendDTMF(tones: string): boolean {
    if (!isDtmfTones(tones) || !this.rtc.isEstablished() || this.rtc.isEnded()) return false;
    this.rtc.sendDTMF(tones, {
      transportType: this.deps.dtmfTransport === 'rfc2833' ? DTMF_RFC2833 : DTMF_INFO,
    });
    return true;
  }

  /** @internal An incoming call starts ringing here once the phone has looked at its INVITE. */
  announceRinging(): void {
    if (this.direction === 'incoming' && this.stateNow === 'ringing') this.emit('ringing', { session: this });
  }

  /** @internal Answers an incoming call with audio only. */
  answer(): void {
    if (this.direction !== 'incoming' || this.rtc.isEnded() || this.rtc.isEstablished()) return;
    this.rtc.answer(this.deps.mediaOptions());
  }

  /** @internal Declines an incoming call as busy, so the server offers it to another agent. */
  decline(): void {
    if (this.rtc.isEnded()) return;
    this.rtc.terminate({ status_code: 486, reason_phrase: 'Busy Here' });
  }

  private listen(): void {
    const rtc = this.rtc;
    if (rtc.connection) this.deps.media.follow(this.id, rtc.connection);
    rtc.on('peerconnection', ({ peerconnection }) => this.deps.media.follow(this.id, peerconnection));
    rtc.on('progress', () => {
      if (this.direction === 'outgoing' && this.stateNow === 'calling') this.enter('ringing');
    });
    rtc.on('accepted', () => {
      if (rtc.connection) this.deps.media.showLocal(this.id, rtc.connection);
      this.enter('answered');
    });
    rtc.on('ended', (e) => this.finishFrom('ended', e));
    rtc.on('failed', (e) => this.finishFrom('failed', e));
    rtc.on('hold', ({ originator }) => this.emit('hold', { session: this, originator: side(originator) }));
    rtc.on('unhold', ({ originator }) =>
      this.emit('unhold', { session: this, originator: side(originator) }),
    );
    rtc.on('newDTMF', (e: IncomingDTMFEvent | OutgoingDTMFEvent) =>
      this.emit('dtmf', { session: this, tone: e.dtmf.tone, originator: side(e.originator) }),
    );
    // JsSIP replies 202 to a REFER but does nothing more unless the application accepts it.
    rtc.on('refer', (e: ReferEvent) => {
      e.accept((newLeg: RTCSession) => this.deps.referred(this, newLeg), this.deps.mediaOptions());
    });
  }

  private enter(state: 'ringing' | 'answered'): void {
    if (this.stateNow === state || this.stateNow === 'ended' || this.stateNow === 'failed') return;
    this.stateNow = state;
    this.emit(state, { session: this });
  }

  private finishFrom(kind: 'ended' | 'failed', e: EndEvent): void {
    const originator = e.originator as Originator;
    const response = e.message && 'status_code' in e.message ? (e.message as IncomingResponse) : undefined;
    const cause: CallCause = this.leavingByTransfer ? 'transferred' : callCause(e.cause, originator);
    this.finish(kind, cause, originator, originator === 'remote' ? response : undefined);
  }

  /** @internal */
  finish(
    kind: 'ended' | 'failed',
    cause: CallCause,
    originator: Originator,
    response?: IncomingResponse,
  ): void {
    if (this.stateNow === 'ended' || this.stateNow === 'failed') return;
    this.stateNow = kind;
    this.holds.cancel();
    this.deps.media.release(this.id);
    const statusCode = response?.status_code;
    this.emit(kind, {
      session: this,
      cause,
      originator,
      statusCode,
      reasonPhrase: response?.reason_phrase,
      message: callCauseMessage(cause, statusCode),
    });
  }
}

// JsSIP.C.DTMF_TRANSPORT values; the enum is declared in a .d.ts only, so it has no runtime value to import.
const DTMF_INFO = 'INFO' as DTMFOptions['transportType'];
const DTMF_RFC2833 = 'RFC2833' as DTMFOptions['transportType'];

const side = (originator: string): 'local' | 'remote' => (originator === 'remote' ? 'remote' : 'local');
