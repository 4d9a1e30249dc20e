// One client's STOMP conversation: CONNECT negotiation, subscriptions, SENDs, receipts, heart-beats. Frames are
// handled strictly in arrival order (an /app command finishes before the next frame is looked at), and every
// protocol or access failure ends as the spec wants: one ERROR frame, then the connection closes.
import type { Principal } from './access.js';
import type { Negotiating } from './connect-deadline.js';
import { send, subscribe, unsubscribe } from './dispatch.js';
import { encodeFrame, HEARTBEAT, type StompFrame, type StompVersion } from './frame.js';
import type { HeartbeatParty, Lineup } from './heartbeat.js';
import { negotiateHeartbeat, negotiateVersion } from './negotiate.js';
import { createFrameParser, type FrameParser, type ParseSink } from './parser.js';
import type { SessionHost, SessionPort, Subscription } from './session-host.js';
import type { BrokerSession, SessionInfo, StompTransport } from './types.js';

type State = 'connecting' | 'authenticating' | 'connected' | 'closed';

export class Session implements BrokerSession, SessionPort, HeartbeatParty, Negotiating, ParseSink {
  state: State = 'connecting';
  version: StompVersion = '1.0';
  principal: Principal | null = null;
  subscriptions: readonly Subscription[] = [];
  private readonly parser: FrameParser;
  /** Frames waiting for the one before them; none (not an empty list) while idle, as most sessions are. */
  private pending: StompFrame[] | undefined;
  private draining = false;
  private lastReceived: number;
  private lastSent: number;
  // Fields, not a map: thousands of idle sessions each paid for a Map (issue 13). The CONNECT deadline
  // (connect-deadline.ts) and heart-beats (heartbeat.ts) are the broker's line-ups, not timers of the session's own.
  private beatsOut: Lineup | undefined;
  private beatsIn: Lineup | undefined;

  constructor(
    readonly id: string,
    readonly host: SessionHost,
    private readonly transport: StompTransport,
    /** Read by `authenticate` only; let go once CONNECT is answered (an idle session need not keep it). */
    private info: SessionInfo | undefined,
  ) {
    const { clock, limits } = host.options;
    this.parser = createFrameParser(limits);
    this.lastReceived = this.lastSent = clock.now();
    host.connectDeadlines.join(this);
  }

  /** The CONNECT deadline passed (connect-deadline.ts); a session leaves that line when its CONNECT arrives. */
  expire(): void {
    if (this.state === 'connecting')
      this.fail('no CONNECT frame', `nothing arrived within ${this.host.options.connectTimeoutMs} ms`);
  }

  receive(data: string | Uint8Array): void {
    if (this.state === 'closed') return;
    this.lastReceived = this.host.options.clock.now();
    this.beatsIn?.touch(this);
    this.parser.feed(data, this);
    this.drain();
  }

  // The parser's sink (ParseSink): the session itself, not a list of events per message received.
  frame(frame: StompFrame): void {
    this.host.counters.messagesIn++;
    // Most messages hold one frame: a list of one, not the 17 slots a first push reserves.
    if (this.pending === undefined) this.pending = [frame];
    else this.pending.push(frame);
  }

  malformed(message: string): void {
    this.host.counters.protocolErrors++;
    this.fail('malformed frame', message);
  }

  isClosed(): boolean {
    return this.state === 'closed';
  }

  transportClosed(): void {
    this.teardown(false);
  }

  sendText(text: string): void {
    if (this.state === 'closed') return;
    this.lastSent = this.host.options.clock.now();
    this.beatsOut?.touch(this);
    this.transport.send(text);
  }

  sendBytes(bytes: Buffer): void {
    if (this.state === 'closed') return;
    this.lastSent = this.host.options.clock.now();
    this.beatsOut?.touch(this);
    if (this.transport.sendBytes) this.transport.sendBytes(bytes);
    else this.transport.send(bytes.toString('utf8'));
  }

  // What the heart-beat line-ups (heartbeat.ts) ask of a session.
  sentAt(): number {
    return this.lastSent;
  }

  receivedAt(): number {
    return this.lastReceived;
  }

  beat(): void {
    this.sendText(HEARTBEAT);
  }

  silent(): void {
    this.host.counters.heartbeatTimeouts++;
    this.host.options.logger?.info(
      { session: this.id, user: this.principal?.username },
      'stomp heart-beat timeout',
    );
    this.teardown(true);
  }

  /** Sends ERROR (its short `message` header plus a text body) and closes; 1.2 §ERROR. */
  fail(message: string, detail: string, receipt?: string): void {
    if (this.state === 'closed') return;
    const headers: Record<string, string> = { message, 'content-type': 'text/plain;charset=UTF-8' };
    if (receipt !== undefined) headers['receipt-id'] = receipt;
    this.host.options.logger?.warn(
      { session: this.id, user: this.principal?.username, message, detail },
      'stomp error',
    );
    this.sendText(encodeFrame({ command: 'ERROR', headers, body: detail }, this.version));
    this.teardown(true);
  }

  teardown(closeTransport: boolean): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.host.connectDeadlines.leave(this);
    this.beatsOut?.leave(this);
    this.beatsIn?.leave(this);
    this.beatsOut = this.beatsIn = undefined;
    for (const sub of this.subscriptions) this.host.unsubscribe(sub);
    this.subscriptions = [];
    this.pending = this.info = undefined;
    this.host.forget(this);
    if (closeTransport) this.transport.close();
  }

  /**
   * Handles the waiting frames in order. Synchronous until a handler returns a promise (CONNECT's authenticate, a
   * SEND to /app): then the rest waits for it. Most frames (SUBSCRIBE, UNSUBSCRIBE, ACK) need no promise, and an
   * async drain made one for every message received.
   */
  private drain(): void {
    if (this.draining) return;
    // Also while handling synchronously: a frame that arrives from inside a handler waits its turn.
    this.draining = true;
    let frame: StompFrame | undefined;
    while (this.state !== 'closed' && (frame = this.pending?.shift()) !== undefined) {
      let done: Promise<void> | undefined;
      try {
        done = this.handle(frame);
      } catch (err) {
        this.handlerThrew(frame, err);
        continue;
      }
      if (done) {
        const waited = frame;
        done.then(
          () => this.resume(),
          (err: unknown) => {
            this.handlerThrew(waited, err);
            this.resume();
          },
        );
        return;
      }
    }
    // No list at all once drained: the drained one would keep the capacity its busiest moment needed.
    if (this.pending?.length === 0) this.pending = undefined;
    this.draining = false;
  }

  private resume(): void {
    this.draining = false;
    this.drain();
  }

  /** A throwing callback (authorizeSubscribe, a publish) is a bug; it must cost one session, not the process. */
  private handlerThrew(frame: StompFrame, err: unknown): void {
    this.host.options.logger?.warn(
      { session: this.id, command: frame.command, err },
      'stomp frame handler threw',
    );
    this.fail('internal error', `${frame.command} could not be handled`, frame.headers.receipt);
  }

  receipt(frame: StompFrame): void {
    const id = frame.headers.receipt;
    if (id !== undefined)
      this.sendText(
        encodeFrame({ command: 'RECEIPT', headers: { 'receipt-id': id }, body: '' }, this.version),
      );
  }

  private handle(frame: StompFrame): Promise<void> | undefined {
    if (this.state === 'connecting') {
      if (frame.command === 'CONNECT' || frame.command === 'STOMP') return this.connect(frame);
      this.fail('expected CONNECT', `the first frame must be CONNECT or STOMP, not ${frame.command}`);
      return undefined;
    }
    const receipt = frame.headers.receipt;
    switch (frame.command) {
      case 'SUBSCRIBE':
        subscribe(this, frame);
        return undefined;
      case 'UNSUBSCRIBE':
        unsubscribe(this, frame);
        return undefined;
      case 'SEND':
        return send(this, frame);
      case 'ACK':
      case 'NACK':
        // Delivery is at-most-once (a MESSAGE is never redelivered), so acknowledgements only need their receipt.
        this.receipt(frame);
        return undefined;
      case 'DISCONNECT':
        this.receipt(frame);
        this.teardown(true);
        return undefined;
      case 'BEGIN':
      case 'COMMIT':
      case 'ABORT':
        this.fail(
          'transactions are not supported',
          `${frame.command} is not supported by this broker`,
          receipt,
        );
        return undefined;
      case 'CONNECT':
      case 'STOMP':
        this.fail('already connected', 'CONNECT may be sent only once per connection', receipt);
        return undefined;
      default:
        this.host.counters.protocolErrors++;
        this.fail('unknown command', `unknown command ${frame.command}`, receipt);
        return undefined;
    }
  }

  private async connect(frame: StompFrame): Promise<void> {
    const h = frame.headers;
    const version = negotiateVersion(h['accept-version']);
    if (!version) {
      this.host.counters.connectsRefused++;
      this.fail(
        'unsupported protocol version',
        `supported versions are 1.0,1.1,1.2; the client offered ${h['accept-version']}`,
      );
      return;
    }
    this.version = version;
    this.parser.setVersion(version);
    this.state = 'authenticating';
    // The deadline is for CONNECT to arrive; a slow authenticate does not end the session (it never did).
    this.host.connectDeadlines.leave(this);
    let result: Principal | { error: string };
    try {
      result = await this.host.options.authenticate(h.login ?? '', h.passcode ?? '', h, this.info!);
    } catch (err) {
      this.host.options.logger?.warn({ session: this.id, err }, 'stomp authenticate threw');
      result = { error: 'authentication is unavailable' };
    }
    this.info = undefined;
    // The transport may have gone while authenticate was pending.
    if (this.isClosed()) return;
    if ('error' in result) {
      this.host.counters.connectsRefused++;
      this.fail('authentication failed', result.error);
      return;
    }
    const max = this.host.options.maxSessionsPerUser;
    if (this.host.sessionsOf(result.username) >= max) {
      this.host.counters.connectsRefused++;
      this.fail(
        'too many sessions',
        `${result.username} already has ${max} STOMP sessions open (at most ${max}, CC_STOMP_SESSIONS_PER_USER); close one first`,
      );
      return;
    }
    this.principal = result;
    this.state = 'connected';
    // CONNECTED escapes nothing and has no body (frame.ts): its text directly, not a header map encoded line by line.
    let connected = `CONNECTED\nserver:callcenter\nsession:${this.id}\nuser-name:${result.username}\n`;
    if (version !== '1.0') {
      const hb = negotiateHeartbeat(h['heart-beat'], this.host.options.heartbeat);
      connected += `version:${version}\nheart-beat:${hb.header}\n`;
      this.startHeartbeats(hb.outgoingMs, hb.incomingMs);
    }
    this.sendText(`${connected}\n\0`);
    this.host.connected(this);
  }

  private startHeartbeats(outgoingMs: number, incomingMs: number): void {
    // heart-beat 0,0 (either side): nothing to hold.
    const { heartbeats, options } = this.host;
    if (outgoingMs > 0) (this.beatsOut = heartbeats.lineup('outgoing', outgoingMs)).touch(this);
    if (incomingMs > 0)
      (this.beatsIn = heartbeats.lineup('incoming', incomingMs * options.heartbeatGrace)).touch(this);
  }
}
