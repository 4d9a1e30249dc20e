// What a session and the broker that owns it see of each other, and what the frame handlers (dispatch.ts) need of a
// session. Kept apart from session.ts so that dispatch.ts and session.ts do not import each other.
import type { Principal } from './access.js';
import type { ConnectDeadlines } from './connect-deadline.js';
import type { StompFrame, StompVersion } from './frame.js';
import type { Heartbeats } from './heartbeat.js';
import type { BrokerCounters, BrokerOptions } from './types.js';

export type AckMode = 'auto' | 'client' | 'client-individual';

export type ResolvedOptions = Required<Omit<BrokerOptions, 'logger' | 'relay'>> &
  Pick<BrokerOptions, 'logger' | 'relay'>;

/** A connected session as the broker's fan-out and the frame handlers see it. */
export interface SessionPort {
  readonly id: string;
  readonly version: StompVersion;
  readonly principal: Principal | null;
  /**
   * In the order they were made; a few per session (at most maxSubscriptions), so a list, not a Map. Replaced, not
   * changed in place: an array built at its size holds one slot per subscription, where a push or a spread reserves 17.
   */
  subscriptions: readonly Subscription[];
  readonly host: SessionHost;
  sendText(text: string): void;
  /** A MESSAGE frame's bytes, shared with the other sessions of the same publish. */
  sendBytes(bytes: Buffer): void;
  /** Sends ERROR and closes. */
  fail(message: string, detail: string, receipt?: string): void;
  /** Answers the frame's receipt header, if any. */
  receipt(frame: StompFrame): void;
}

export interface Subscription {
  session: SessionPort;
  id: string;
  destination: string;
  ack: AckMode;
}

/** What a session needs from the broker that owns it. */
export interface SessionHost {
  readonly options: ResolvedOptions;
  readonly counters: BrokerCounters;
  /** The heart-beat line-ups every session of the broker joins. */
  readonly heartbeats: Heartbeats;
  /** The CONNECT deadline of the sessions still negotiating (one timer for all). */
  readonly connectDeadlines: ConnectDeadlines;
  subscribe(sub: Subscription): void;
  unsubscribe(sub: Subscription): void;
  publish(destination: string, body: string, headers: Record<string, string>): number;
  connected(session: SessionPort): void;
  forget(session: SessionPort): void;
  /** Connected sessions of this login. */
  sessionsOf(username: string): number;
}
