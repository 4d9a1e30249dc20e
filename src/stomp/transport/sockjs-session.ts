// A SockJS session: the STOMP connection seen through SockJS's polling and streaming requests. Messages for the
// client wait in an outbox until a receiving request is attached (a long poll, a streaming response, a websocket);
// a session left without a receiver for `disconnectDelayMs` is over, as in sockjs-node and Spring.
import type { Clock, TimerHandle } from '../../core/clock.js';
import type { Broker, BrokerSession, SessionInfo } from '../types.js';
import { ANOTHER_CONNECTION, GO_AWAY, HEARTBEAT_FRAME, messageFrame, OPEN_FRAME } from './sockjs-frames.js';

export interface SockJsTimings {
  /** `h` frames keep proxies from closing an idle receiver. Default 25000 (sockjs-node, Spring). */
  heartbeatMs: number;
  /** How long a session survives without a receiving request. Default 5000. */
  disconnectDelayMs: number;
  /** An xhr_streaming response is ended after this many bytes so the browser can free it. Default 128 KiB. */
  responseLimitBytes: number;
  /** Messages kept for a client between its polls; a client that stops polling for longer is dropped. Default 10000. */
  maxQueuedMessages: number;
}

export const DEFAULT_SOCKJS_TIMINGS: SockJsTimings = {
  heartbeatMs: 25_000,
  disconnectDelayMs: 5_000,
  responseLimitBytes: 128 * 1024,
  maxQueuedMessages: 10_000,
};

/** One receiving request (or websocket). */
export interface Receiver {
  /** Writes one SockJS frame; returns false when the receiver is finished (a poll answered, a stream at its limit). */
  write(frame: string): boolean;
  /** Ends the receiver after a close frame. */
  end(): void;
}

export class SockJsSession {
  private state: 'open' | 'closing' | 'closed' = 'open';
  private outbox: string[] = [];
  private receiver: Receiver | null = null;
  private flushQueued = false;
  private heartbeat: TimerHandle | null = null;
  private orphaned: TimerHandle | null = null;
  readonly stomp: BrokerSession;

  constructor(
    readonly id: string,
    broker: Broker,
    private readonly clock: Clock,
    private readonly timings: SockJsTimings,
    info: SessionInfo,
    private readonly onGone: (session: SockJsSession) => void,
  ) {
    this.stomp = broker.openSession(
      {
        send: (text) => this.enqueue(text),
        close: () => this.closeFromBroker(),
      },
      info,
    );
    this.scheduleHeartbeat();
  }

  /** Attaches a receiving request: the first one gets `o`, later ones the waiting messages. */
  attach(receiver: Receiver, first: boolean): void {
    if (this.state === 'closed') {
      receiver.write(GO_AWAY);
      receiver.end();
      return;
    }
    if (this.receiver) {
      receiver.write(ANOTHER_CONNECTION);
      receiver.end();
      return;
    }
    this.orphaned?.cancel();
    this.orphaned = null;
    this.receiver = receiver;
    if (first && !this.write(OPEN_FRAME)) return;
    this.pump();
  }

  /** The receiving request ended (answered or aborted by the client). */
  detach(receiver: Receiver): void {
    if (this.receiver !== receiver) return;
    this.receiver = null;
    if (this.state !== 'closed')
      this.orphaned = this.clock.setTimer(this.timings.disconnectDelayMs, () => this.destroy());
  }

  /** Messages from the client (xhr_send, websocket). */
  deliver(messages: readonly string[]): void {
    if (this.state !== 'open') return;
    for (const m of messages) this.stomp.receive(m);
  }

  isOpen(): boolean {
    return this.state === 'open';
  }

  /** Ends the session at once: the receiver (if any) gets the close frame, the broker hears the transport is gone. */
  destroy(): void {
    if (this.state === 'closed') return;
    const wasOpen = this.state === 'open';
    this.state = 'closed';
    this.heartbeat?.cancel();
    this.orphaned?.cancel();
    const receiver = this.receiver;
    this.receiver = null;
    if (receiver) {
      receiver.write(GO_AWAY);
      receiver.end();
    }
    if (wasOpen) this.stomp.transportClosed();
    this.onGone(this);
  }

  private write(frame: string): boolean {
    const receiver = this.receiver!;
    if (receiver.write(frame)) return true;
    this.detach(receiver);
    return false;
  }

  private enqueue(text: string): void {
    if (this.state !== 'open') return;
    if (this.outbox.length >= this.timings.maxQueuedMessages) {
      this.destroy();
      return;
    }
    this.outbox.push(text);
    // Frames produced in the same tick (a RECEIPT after a MESSAGE, a fan-out burst) travel in one `a[...]`.
    if (!this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(() => {
        this.flushQueued = false;
        this.pump();
      });
    }
  }

  /** Sends the outbox to the receiver, then the close frame if the broker has closed the session. */
  private pump(): void {
    if (this.receiver && this.outbox.length > 0) {
      const batch = this.outbox;
      this.outbox = [];
      this.write(messageFrame(batch));
    }
    if (this.state === 'closing') this.finishClosing();
  }

  /** The broker ended the STOMP session (ERROR, DISCONNECT): deliver what is queued, then `c[3000,...]`. */
  private closeFromBroker(): void {
    if (this.state !== 'open') return;
    this.state = 'closing';
    // Without a receiver, the next one gets the outbox and then the close frame; the orphan timer bounds the wait.
    this.pump();
  }

  private finishClosing(): void {
    if (this.state !== 'closing' || this.outbox.length > 0) return;
    const receiver = this.receiver;
    if (!receiver) return;
    this.state = 'closed';
    this.heartbeat?.cancel();
    this.orphaned?.cancel();
    this.receiver = null;
    receiver.write(GO_AWAY);
    receiver.end();
    // Later polls of this id get GO_AWAY until the registry forgets it.
    this.clock.setTimer(this.timings.disconnectDelayMs, () => this.onGone(this));
  }

  private scheduleHeartbeat(): void {
    this.heartbeat = this.clock.setTimer(this.timings.heartbeatMs, () => {
      if (this.state !== 'open') return;
      if (this.receiver) this.write(HEARTBEAT_FRAME);
      this.scheduleHeartbeat();
    });
  }
}
