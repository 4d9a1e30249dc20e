// The inbound client: one long-lived connection to FreeSWITCH's event socket (host:8021) that authenticates,
// restores its subscriptions and filters on every new connection, and comes back after a loss with capped,
// jittered exponential backoff. A wrong password is not a network problem: FreeSWITCH answers `-ERR invalid`,
// sends a disconnect-notice and closes, and retrying at network pace would hammer it, so that case waits for
// `authRetryMs` (doubling up to `authRetryMaxMs`) and says `auth-failed`.
import { createConnection } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Clock, TimerHandle } from '../core/clock.js';
import { backoffDelay, defaultBackoff, type BackoffPolicy } from './backoff.js';
import { EslConnection, type EslConnectionOptions, type ExecuteInput } from './connection.js';
import type { EslEvent } from './event.js';
import { Listeners, type Unsubscribe } from './listeners.js';
import type { ExecuteResult, JobResult, Reply } from './replies.js';
import { fail, type EslResult, type WaitOptions } from './result.js';
import { Subscriptions, type EventFormat } from './subscriptions.js';

export interface InboundOptions {
  readonly host: string;
  readonly port: number;
  readonly password: string;
  readonly clock: Clock;
  readonly backoff?: Partial<BackoffPolicy>;
  /** First wait after a refused password (default 30 s), doubled each time up to `authRetryMaxMs` (5 min). */
  readonly authRetryMs?: number;
  readonly authRetryMaxMs?: number;
  /** Limit for TCP connect + auth/request + auth reply (default 5 s). */
  readonly handshakeTimeoutMs?: number;
  readonly random?: () => number;
  /** Opens the byte stream; defaults to a TCP connection (tests may pass their own). */
  readonly connect?: (host: string, port: number) => Duplex;
  readonly connection?: Omit<EslConnectionOptions, 'clock'>;
}

export type InboundState = 'idle' | 'connecting' | 'connected' | 'waiting' | 'stopped';

export interface InboundEvents {
  connected: { readonly connection: EslConnection };
  disconnected: { readonly reason: string; readonly retryInMs: number };
  'auth-failed': { readonly text: string; readonly retryInMs: number };
  event: EslEvent;
}

export interface InboundCounters {
  connects: number;
  reconnects: number;
  authFailures: number;
  commandsSent: number;
  timeouts: number;
}

export class InboundClient {
  private readonly listeners = new Listeners<InboundEvents>();
  private readonly subs = new Subscriptions();
  private readonly policy: BackoffPolicy;
  private current: EslConnection | undefined;
  private stateNow: InboundState = 'idle';
  private retryTimer: TimerHandle | undefined;
  private failures = 0;
  private authFailuresInRow = 0;
  private attempts = 0;
  private readonly past = { commandsSent: 0, timeouts: 0 };
  private readonly totals = { connects: 0, reconnects: 0, authFailures: 0 };

  constructor(private readonly options: InboundOptions) {
    this.policy = { ...defaultBackoff, ...options.backoff };
  }

  get state(): InboundState {
    return this.stateNow;
  }

  /** The authenticated connection, when there is one. */
  get connection(): EslConnection | undefined {
    return this.stateNow === 'connected' ? this.current : undefined;
  }

  get counters(): InboundCounters {
    const live = this.current?.counters;
    return {
      ...this.totals,
      commandsSent: this.past.commandsSent + (live?.commandsSent ?? 0),
      timeouts: this.past.timeouts + (live?.timeouts ?? 0),
    };
  }

  on<K extends keyof InboundEvents>(type: K, fn: (value: InboundEvents[K]) => void): Unsubscribe {
    return this.listeners.on(type, fn);
  }

  once<K extends keyof InboundEvents>(type: K, fn: (value: InboundEvents[K]) => void): Unsubscribe {
    return this.listeners.once(type, fn);
  }

  start(): void {
    if (this.stateNow !== 'idle') return;
    this.attempt();
  }

  /** Stops retrying and closes politely (`exit`), then for sure. */
  async stop(): Promise<void> {
    this.stateNow = 'stopped';
    this.retryTimer?.cancel();
    const conn = this.current;
    if (!conn?.isOpen) return;
    await conn.command('exit', { timeoutMs: 1000 });
    conn.destroy();
    await conn.closed;
  }

  /** `event <format> <words>`, remembered for every later connection (sent now when connected). */
  subscribe(format: EventFormat, words: readonly string[]): Promise<EslResult<Reply>> {
    this.subs.addEvents(format, words);
    return this.sendRemembered(this.subs.eventLine() ?? `event ${format}`);
  }

  /** `noevents`, also forgotten for later connections. */
  unsubscribeAll(): Promise<EslResult<Reply>> {
    this.subs.clearEvents();
    return this.sendRemembered('noevents');
  }

  filter(header: string, value: string): Promise<EslResult<Reply>> {
    this.subs.addFilter(header, value);
    return this.sendRemembered(`filter ${header} ${value}`);
  }

  filterDelete(header: string, value?: string): Promise<EslResult<Reply>> {
    this.subs.deleteFilter(header, value);
    return this.sendRemembered(
      value === undefined ? `filter delete ${header}` : `filter delete ${header} ${value}`,
    );
  }

  command(line: string, options?: WaitOptions): Promise<EslResult<Reply>> {
    return this.connection?.command(line, options) ?? notConnected();
  }

  api(command: string, options?: WaitOptions): Promise<EslResult<string>> {
    return this.connection?.api(command, options) ?? notConnected();
  }

  bgapi(command: string, options?: WaitOptions): Promise<EslResult<JobResult>> {
    return this.connection?.bgapi(command, options) ?? notConnected();
  }

  execute(input: ExecuteInput & { uuid: string }, options?: WaitOptions): Promise<EslResult<ExecuteResult>> {
    return this.connection?.execute(input, options) ?? notConnected();
  }

  hangup(uuid: string, cause?: string, options?: WaitOptions): Promise<EslResult<Reply>> {
    return this.connection?.hangup(cause, uuid, options) ?? notConnected();
  }

  // When not connected the wish is remembered and will be sent by the next handshake; say so as a value.
  private sendRemembered(line: string): Promise<EslResult<Reply>> {
    return this.connection?.command(line) ?? notConnected();
  }

  private attempt(): void {
    this.stateNow = 'connecting';
    const attemptNo = ++this.attempts;
    const socket = (this.options.connect ?? tcpConnect)(this.options.host, this.options.port);
    const conn = new EslConnection(socket, {
      coalesceWrites: true,
      ...this.options.connection,
      clock: this.options.clock,
    });
    this.current = conn;
    conn.on('event', (event) => this.listeners.emit('event', event));
    void conn.closed.then((info) => this.onClosed(conn, attemptNo, info.error ?? `closed by ${info.by}`));
    void this.handshake(conn, attemptNo);
  }

  private async handshake(conn: EslConnection, attemptNo: number): Promise<void> {
    const limit = this.options.handshakeTimeoutMs ?? 5000;
    const timer = this.options.clock.setTimer(limit, () => conn.destroy());
    const greeted = await new Promise<boolean>((resolve) => {
      conn.once('auth-request', () => resolve(true));
      void conn.closed.then(() => resolve(false));
    });
    if (!greeted) return timer.cancel();
    const auth = await conn.command(`auth ${this.options.password}`, { timeoutMs: limit });
    timer.cancel();
    if (!this.isCurrent(conn, attemptNo)) return;
    if (!auth.ok)
      return auth.error.kind === 'err' ? this.onAuthFailed(conn, auth.error.text) : conn.destroy();
    this.failures = 0;
    this.authFailuresInRow = 0;
    this.totals.connects++;
    await this.restore(conn);
    if (!this.isCurrent(conn, attemptNo) || !conn.isOpen) return;
    this.stateNow = 'connected';
    this.listeners.emit('connected', { connection: conn });
  }

  private async restore(conn: EslConnection): Promise<void> {
    const eventLine = this.subs.eventLine();
    const lines = [...(eventLine ? [eventLine] : []), ...this.subs.filterLines()];
    await Promise.all(lines.map((line) => conn.command(line)));
  }

  private onAuthFailed(conn: EslConnection, text: string): void {
    this.totals.authFailures++;
    const first = this.options.authRetryMs ?? 30_000;
    const max = this.options.authRetryMaxMs ?? 300_000;
    const retryInMs = Math.min(max, first * 2 ** this.authFailuresInRow++);
    this.retireConnection(conn);
    conn.destroy();
    this.stateNow = 'waiting';
    this.listeners.emit('auth-failed', { text, retryInMs });
    this.scheduleRetry(retryInMs);
  }

  private onClosed(conn: EslConnection, attemptNo: number, reason: string): void {
    if (!this.isCurrent(conn, attemptNo)) return;
    this.retireConnection(conn);
    if (this.stateNow === 'stopped') return;
    const retryInMs = backoffDelay(this.policy, this.failures++, (this.options.random ?? Math.random)());
    this.stateNow = 'waiting';
    this.listeners.emit('disconnected', { reason, retryInMs });
    this.scheduleRetry(retryInMs);
  }

  private retireConnection(conn: EslConnection): void {
    this.past.commandsSent += conn.counters.commandsSent;
    this.past.timeouts += conn.counters.timeouts;
    if (this.current === conn) this.current = undefined;
  }

  private scheduleRetry(ms: number): void {
    this.retryTimer = this.options.clock.setTimer(ms, () => {
      if (this.stateNow !== 'waiting') return;
      this.totals.reconnects++;
      this.attempt();
    });
  }

  private isCurrent(conn: EslConnection, attemptNo: number): boolean {
    return this.current === conn && this.attempts === attemptNo && this.stateNow !== 'stopped';
  }
}

function tcpConnect(host: string, port: number): Duplex {
  const socket = createConnection({ host, port });
  socket.setNoDelay(true);
  socket.setKeepAlive(true, 10_000);
  return socket;
}

const notConnected = <T>(): Promise<EslResult<T>> =>
  Promise.resolve(fail('closed', 'not connected to FreeSWITCH'));
