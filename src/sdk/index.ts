/** The softphone SDK's ES module entry (dist/sdk/mysoftphone.mjs). */
export { MySoftPhone } from './phone.js';
export type { PhoneEventMap, CallOptions } from './phone.js';
export { SoftPhoneSession } from './session.js';
export type {
  SessionState,
  SessionEvent,
  CallEndEvent,
  HoldEvent,
  DtmfEvent,
  SessionEventMap,
  TransferResult,
} from './session.js';
export type { SoftPhoneOptions, AnswerConfirmFn, IceServer } from './options.js';
export type { CallCause, Originator, SoftPhoneError, SoftPhoneErrorKind } from './errors.js';
export type { Listener } from './emitter.js';
export type { Timers } from './hold-queue.js';
export { MySoftPhone as default } from './phone.js';
