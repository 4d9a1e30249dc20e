// The broker's contract with the application (authentication, access, /app commands) and with transports.
import type { Clock } from '../core/clock.js';
import type { Principal } from './access.js';
import type { HeartbeatPolicy } from './negotiate.js';
import type { FrameParserLimits } from './parser.js';
import type { Relay } from './relay.js';

export type { Principal, Role } from './access.js';

/** pino-compatible (fastify's `app.log` fits). */
export interface StompLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  debug?(obj: object, msg: string): void;
}

export interface BrokerOptions {
  clock: Clock;
  /** Checks CONNECT credentials (extension username + password, or an API account and its secret). */
  authenticate(
    login: string,
    passcode: string,
    connectHeaders: Record<string, string>,
    info: SessionInfo,
  ): Promise<Principal | { error: string }>;
  /** `true`, or the reason a SUBSCRIBE is refused (see access.ts for the project's rule). */
  authorizeSubscribe(principal: Principal, destination: string): true | string;
  /** May an /app command whose JSON body names `username` run for this session? Default: own username, or 'service'. */
  mayActAs?(principal: Principal, username: string): boolean;
  /** A SEND to /app/...; the RECEIPT (if asked) is sent once this resolves. A rejection is a bug: ERROR and close. */
  onAppMessage(
    principal: Principal,
    destination: string,
    body: string,
    headers: Record<string, string>,
  ): Promise<void>;
  logger?: StompLogger;
  /** Default { sendMs: 10000, receiveMs: 10000 }. */
  heartbeat?: HeartbeatPolicy;
  /** A session is closed when nothing arrived for incoming interval × this. Default 2. */
  heartbeatGrace?: number;
  /** A transport that has not sent CONNECT within this is closed. Default 10000 ms. */
  connectTimeoutMs?: number;
  limits?: FrameParserLimits;
  /** Subscriptions one session may hold (a manager watching its agents needs a few per agent). Default 256. */
  maxSubscriptions?: number;
  /** Connected sessions one login may hold at once; a CONNECT past it is refused. Default 16. */
  maxSessionsPerUser?: number;
  /** Other instances' subscribers (issue 20): every publish goes out through it, and what it brings in is delivered. */
  relay?: Relay;
}

/** What a transport gives the broker for one connection. */
export interface StompTransport {
  /** One text message (a whole frame, or a heart-beat EOL). */
  send(text: string): void;
  /**
   * One MESSAGE frame as UTF-8 bytes, sent as a text message. A publish hands the same bytes to every session it
   * reaches: read them, never change them. Without it the broker sends their text with `send`.
   */
  sendBytes?(bytes: Buffer): void;
  /** Ends the connection; called once, after any ERROR frame was handed to `send`. */
  close(): void;
}

export interface SessionInfo {
  /** 'websocket', 'sockjs-websocket', 'xhr-streaming', 'xhr-polling'... for logs. */
  transport: string;
  remoteAddress?: string;
}

/** What the broker gives a transport for one connection. */
export interface BrokerSession {
  readonly id: string;
  /** Bytes or text as they arrived; frames may be split or batched. */
  receive(data: string | Uint8Array): void;
  /** The transport is gone (socket closed, SockJS session timed out). */
  transportClosed(): void;
}

export interface BrokerCounters {
  /** Sessions open now. */
  sessions: number;
  sessionsOpened: number;
  connectsRefused: number;
  /** Frames received from clients (heart-beats not counted). */
  messagesIn: number;
  /** MESSAGE frames delivered to subscribers. */
  messagesOut: number;
  publishes: number;
  subscriptionsRefused: number;
  sendsRefused: number;
  protocolErrors: number;
  heartbeatTimeouts: number;
}

export interface Broker {
  openSession(transport: StompTransport, info: SessionInfo): BrokerSession;
  /** Sends to every subscriber of `destination`; objects go as JSON. Returns how many subscriptions got it. */
  publish(destination: string, body: string | object, headers?: Record<string, string>): number;
  /** Runs `fn`; what it publishes is sent when it returns, in order (publish returns 0 meanwhile). */
  deferWhile<T>(fn: () => T): T;
  /** Connected (authenticated) sessions plus those still negotiating. */
  sessions(): number;
  /** Closes every session of `username` with an ERROR; returns how many. */
  disconnectUser(username: string, reason?: string): number;
  counters(): BrokerCounters;
  /** Closes every session and cancels every timer. */
  close(): void;
}
