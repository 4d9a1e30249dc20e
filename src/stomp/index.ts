// Public surface of the STOMP broker and its transports. Wiring, in buildApp:
//   const rules = projectAccessRules({ isUsernameInProject });
//   const broker = createBroker({ clock, authenticate, authorizeSubscribe: rules.authorizeSubscribe,
//                                 mayActAs: rules.mayActAs, onAppMessage, logger: app.log });
//   attachStomp(app, broker, { path: '/callcenter/ws' });   // SockJS HTTP routes + the upgrade router
//   broker.publish(Topics.status(username), { workStatus, sessionStatus });
// Decisions: only 'service' sessions may SEND to /topic (everyone else gets ERROR); a refused SUBSCRIBE, a refused
// /app username, a failing /app handler and every protocol error are an ERROR frame followed by closing the
// connection (STOMP has no non-fatal error); delivery is at-most-once, so ACK/NACK are accepted and only receipted;
// transactions (BEGIN/COMMIT/ABORT) are refused; `host` is not required on CONNECT.
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
