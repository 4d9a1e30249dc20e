// The ESL protocol, usable without knowing anything about call centers.
export { EslParser } from './parser.js';
export { ContentType, contentType, urlDecode, type EslFrame, type Headers } from './frame.js';
export { decodeEvent, isEventFrame, type EslEvent } from './event.js';
export {
  encodeApi,
  encodeAuth,
  encodeBgapi,
  encodeCommand,
  encodeExecute,
  encodeHangup,
  encodeSendmsg,
  lineProblem,
  type SendmsgInput,
} from './encoder.js';
export { fail, ok, type EslError, type EslErrorKind, type EslResult, type WaitOptions } from './result.js';
export type { ExecuteResult, JobResult, Reply } from './replies.js';
export {
  EslConnection,
  type CloseInfo,
  type ConnectionCounters,
  type ConnectionEvents,
  type EslConnectionOptions,
  type ExecuteInput,
} from './connection.js';
export { backoffDelay, defaultBackoff, type BackoffPolicy } from './backoff.js';
export type { EventFormat } from './subscriptions.js';
export {
  InboundClient,
  type InboundCounters,
  type InboundEvents,
  type InboundOptions,
  type InboundState,
} from './inbound.js';
export {
  OutboundServer,
  OutboundSession,
  type ChannelData,
  type OutboundServerOptions,
  type OutboundSessionOptions,
} from './outbound.js';
export type { Unsubscribe } from './listeners.js';
