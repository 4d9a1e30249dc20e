// Interfaces the pure parts of the system use to ask the edges for something. Implementations live at the edges
// (stomp/, calls/), and tests pass recording fakes.

/** Sends a message to STOMP subscribers of a destination (`/topic/...`). */
/** What a message may carry: never a promise (the storage ports are asynchronous; a promise would send `{}`). */
type MessageBody<B> = B extends PromiseLike<unknown> ? never : B;

export interface Publisher {
  publish<B extends object | string>(destination: string, body: MessageBody<B>): void;
  /**
   * Runs `fn`, holding every publish it makes (its own and those of whatever it calls), then sends them in order.
   * The call runner writes a step's FreeSWITCH commands before any STOMP fan-out (issue 13: the customer hears
   * dead air until the bridge command leaves).
   */
  deferWhile?<T>(fn: () => T): T;
}

/** What we ask of FreeSWITCH about extensions, outside any one call's flow. */
export interface SwitchControl {
  /** Drops the extension's SIP registrations on its node (sofia flush_inbound_reg). */
  flushRegistration(nodeId: number, username: string, domain: string): Promise<void>;
  /** Hangs up every live leg of the extension. */
  hangupExtensionCalls(nodeId: number, username: string): Promise<void>;
}

/** The spec's notify content (三.9): `{duration, msgType, data, type}`. */
interface Notice {
  duration: string;
  msgType: 'success' | 'error' | 'warning' | 'info';
  data: string;
  type: 'message';
}
export const notice = (msgType: Notice['msgType'], data: string, duration = '3'): Notice => ({
  duration,
  msgType,
  data,
  type: 'message',
});
