/**
 * What a SoftPhoneSession needs of a JsSIP RTCSession, so a session can also stand for a call JsSIP refused to
 * place (call() always returns a session, spec 二.3).
 */
import type {
  AnswerOptions,
  DTMFOptions,
  ReferOptions,
  RTCSession,
  RTCSessionEventMap,
  TerminateOptions,
} from 'jssip/lib/RTCSession';

/** @internal The part of JsSIP's RTCSession we drive (a JsSIP RTCSession is one). */
export interface Leg {
  readonly connection: RTCPeerConnection | null | undefined;
  isEnded(): boolean;
  isEstablished(): boolean;
  isReadyToReOffer(): boolean;
  isOnHold(): { local: boolean; remote: boolean };
  hold(options: object, done: () => void): boolean;
  unhold(options: object, done: () => void): boolean;
  terminate(options?: TerminateOptions): void;
  answer(options: AnswerOptions): void;
  refer(target: string, options: ReferOptions): unknown;
  sendDTMF(tones: string, options: DTMFOptions): void;
  on<T extends keyof RTCSessionEventMap>(type: T, listener: RTCSessionEventMap[T]): unknown;
}

/** @internal */
export interface LegIdentity {
  id: string;
  direction: 'incoming' | 'outgoing';
  target: string;
  displayName: string;
}

/** @internal */
export function identityOf(rtc: RTCSession): LegIdentity {
  return {
    id: rtc.id,
    direction: rtc.direction === 'incoming' ? 'incoming' : 'outgoing',
    target: rtc.remote_identity.uri.user ?? rtc.remote_identity.uri.toString(),
    displayName: rtc.remote_identity.display_name ?? '',
  };
}

/** @internal Stands in for a call JsSIP refused to place, so call() can still return a session. */
export const deadLeg: Leg = {
  connection: null,
  isEnded: () => true,
  isEstablished: () => false,
  isReadyToReOffer: () => false,
  isOnHold: () => ({ local: false, remote: false }),
  hold: () => false,
  unhold: () => false,
  terminate: () => undefined,
  answer: () => undefined,
  refer: () => false,
  sendDTMF: () => undefined,
  on: () => undefined,
};
