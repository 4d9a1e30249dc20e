// Public surface of the STOMP broker and its transports (see README in the report of issue 4 part 4).
export { createBroker } from './broker.js';
export { authorizeSubscribe, mayActAs, projectAccessRules, type AccessRuleDeps } from './access.js';
export {
  encodeFrame,
  escapeHeader,
  unescapeHeader,
  byteLength,
  type StompFrame,
  type StompVersion,
} from './frame.js';
export { createFrameParser, type FrameParser, type ParseEvent, type FrameParserLimits } from './parser.js';
export { negotiateHeartbeat, negotiateVersion, type HeartbeatPolicy } from './negotiate.js';
export { usernameOf } from './commands.js';
export type * from './types.js';
export { attachStomp, type AttachStompOptions, type AttachedStomp } from './attach.js';
export {
  createUpgradeRouter,
  rejectUpgrade,
  type UpgradeRouter,
  type UpgradeHandler,
  type PathMatcher,
} from './transport/upgrade-router.js';
export { stompHttpRoutes, SockJsRegistry, type StompHttpOptions } from './transport/sockjs-routes.js';
export { createWebSocketEndpoints, type WebSocketEndpoints } from './transport/websocket.js';
export { DEFAULT_SOCKJS_TIMINGS, type SockJsTimings } from './transport/sockjs-session.js';
