// The outbound side: FreeSWITCH's `socket host:port async full` app connects to us, once per call leg. Each
// accepted connection becomes an OutboundSession that says `connect` and learns the channel from the reply (a
// single header block: the CHANNEL_DATA event's headers, URL-encoded, plus Content-Type: command/reply).
//
// After the channel is gone FreeSWITCH sends a disconnect-notice. With `linger` (no time) it says
// `Content-Disposition: linger` and `Linger-Time: -1` and keeps the socket open until we send `exit`; with
// `linger N` it closes by itself N seconds later; without linger it closes at once.
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Clock } from '../core/clock.js';
import { EslConnection, type EslConnectionOptions, type ExecuteInput } from './connection.js';
import type { EslEvent } from './event.js';
import { urlDecode, type EslFrame, type Headers } from './frame.js';
import { keptHeaders } from './lazy-headers.js';
import type { Unsubscribe } from './listeners.js';
import type { ExecuteResult, Reply } from './replies.js';
import { fail, ok, type EslResult, type WaitOptions } from './result.js';
import type { EventFormat } from './subscriptions.js';

export interface ChannelData {
  /** Unique-ID of the leg this socket controls. */
  readonly uuid: string;
  /**
   * The headers of the connect reply, URL-decoded (Caller-*, variable_*, Channel-*...): every one, or those that
   * `keepChannelHeader` keeps.
   */
  readonly headers: Headers;
}

export interface OutboundSessionOptions {
  readonly clock: Clock;
  /**
   * Limit for the connect reply (default 5 s). A socket that has not answered by then is closed: FreeSWITCH answers
   * at once, and anything else holding a socket open without answering is not a leg (issue 17.2).
   */
  readonly connectTimeoutMs?: number;
  /**
   * Which connect-reply headers `channel.headers` keeps for the leg's life (default: all). The reply has ~200
   * (CHANNEL_DATA, every channel variable); a server with thousands of live legs keeps only those it reads.
   */
  readonly keepChannelHeader?: (name: string) => boolean;
  /** Send `exit` when FreeSWITCH announces it lingers forever (Linger-Time -1); default true. */
  readonly exitOnLinger?: boolean;
  readonly connection?: Omit<EslConnectionOptions, 'clock'>;
}

export class OutboundSession {
  readonly connection: EslConnection;
  /** The channel, once `connect` has been answered. */
  channel: ChannelData | undefined;
  /** Settles when `connect` is answered (or fails: timeout, closed). */
  readonly ready: Promise<EslResult<ChannelData>>;
  /** The last disconnect-notice, if any: its Content-Disposition is `linger` or `disconnect`. */
  lastNotice: EslFrame | undefined;

  /** The peer's address (IPv4-mapped IPv6 addresses as plain IPv4), '' when the socket did not say. */
  readonly remoteAddress: string;

  constructor(
    socket: Socket,
    private readonly options: OutboundSessionOptions,
    /** The peer's address when the caller already read it (the server does, to admit the peer). */
    remoteAddress?: string,
  ) {
    this.remoteAddress = remoteAddress ?? plainAddress(socket.remoteAddress ?? '');
    this.connection = new EslConnection(socket, {
      limits: OUTBOUND_FRAME_LIMITS,
      ...options.connection,
      clock: options.clock,
    });
    this.connection.on('disconnect-notice', (frame) => this.onNotice(frame));
    this.ready = this.connect();
  }

  get uuid(): string | undefined {
    return this.channel?.uuid;
  }

  get closed(): EslConnection['closed'] {
    return this.connection.closed;
  }

  /** Events of this leg (after `myevents`) and of whatever else was subscribed. */
  onEvent(fn: (event: EslEvent) => void): Unsubscribe {
    return this.connection.on('event', fn);
  }

  onNoticeFrame(fn: (frame: EslFrame) => void): Unsubscribe {
    return this.connection.on('disconnect-notice', fn);
  }

  /** Subscribe to this leg's events only; `myevents json` for JSON. */
  myevents(format: EventFormat = 'plain', options?: WaitOptions): Promise<EslResult<Reply>> {
    return this.connection.command(format === 'plain' ? 'myevents' : `myevents ${format}`, options);
  }

  /** A sendmsg to this socket's own leg with `headers` (call-command: unicast, ...). */
  sendmsg(headers: Readonly<Record<string, string>>, options?: WaitOptions): Promise<EslResult<Reply>> {
    return this.connection.sendmsg({ headers }, options);
  }

  /** `nixevent`: stop receiving these events (e.g. those of `myevents`' fixed list nobody reads). */
  nixevents(names: readonly string[], options?: WaitOptions): Promise<EslResult<Reply>> {
    return this.connection.command(`nixevent ${names.join(' ')}`, options);
  }

  /** Keep the socket after hangup to receive the last events: forever (`exit` ends it) or `seconds`. */
  linger(seconds?: number, options?: WaitOptions): Promise<EslResult<Reply>> {
    return this.connection.command(seconds === undefined ? 'linger' : `linger ${seconds}`, options);
  }

  nolinger(options?: WaitOptions): Promise<EslResult<Reply>> {
    return this.connection.command('nolinger', options);
  }

  events(format: EventFormat, names: readonly string[], options?: WaitOptions): Promise<EslResult<Reply>> {
    return this.connection.command(`event ${format} ${names.join(' ')}`, options);
  }

  filter(header: string, value: string, options?: WaitOptions): Promise<EslResult<Reply>> {
    return this.connection.command(`filter ${header} ${value}`, options);
  }

  api(command: string, options?: WaitOptions): Promise<EslResult<string>> {
    return this.connection.api(command, options);
  }

  execute(input: ExecuteInput, options?: WaitOptions): Promise<EslResult<ExecuteResult>> {
    return this.connection.execute(input, options);
  }

  hangup(cause?: string, options?: WaitOptions): Promise<EslResult<Reply>> {
    return this.connection.hangup(cause, undefined, options);
  }

  /** Let the dialplan go on after the socket app ends (`resume`). */
  resume(options?: WaitOptions): Promise<EslResult<Reply>> {
    return this.connection.command('resume', options);
  }

  /** Ask FreeSWITCH to close the socket (`+OK bye`, a disconnect-notice, then the close). */
  exit(options?: WaitOptions): Promise<EslResult<Reply>> {
    return this.connection.command('exit', options);
  }

  /** See EslConnection.batch: the commands `fn` writes leave together when it returns. */
  batch<T>(fn: () => T): T {
    return this.connection.batch(fn);
  }

  /** Drops the socket without ceremony. */
  destroy(): void {
    this.connection.destroy();
  }

  private async connect(): Promise<EslResult<ChannelData>> {
    const reply = await this.connection.command('connect', {
      timeoutMs: this.options.connectTimeoutMs ?? 5000,
    });
    if (!reply.ok) {
      this.destroy();
      return reply;
    }
    const raw = reply.value.headers;
    const headers = keptHeaders(raw, this.options.keepChannelHeader);
    const uuid = urlDecode(raw['Unique-ID'] ?? raw['Channel-Unique-ID'] ?? '');
    if (!uuid) {
      this.destroy();
      return fail('err', 'connect reply names no channel (no Unique-ID)');
    }
    this.channel = { uuid, headers };
    this.connection.channelUuid = uuid;
    return ok(this.channel);
  }

  private onNotice(frame: EslFrame): void {
    this.lastNotice = frame;
    const lingersForever =
      frame.headers['Content-Disposition'] === 'linger' && frame.headers['Linger-Time'] === '-1';
    if (lingersForever && this.options.exitOnLinger !== false) void this.exit();
  }
}

/**
 * Frame caps of a leg's socket. The connect reply is one header block holding every channel variable (~9 KB in the
 * live captures; a WebRTC leg's SDPs add a few KB), and events are a few KB of body, so these leave ample room.
 */
const OUTBOUND_FRAME_LIMITS = { maxHeaderBytes: 256 * 1024, maxBodyBytes: 4 * 1024 * 1024 } as const;

const ignore = (): void => {};

/** `::ffff:127.0.0.1` → `127.0.0.1`: a dual-stack listener reports IPv4 peers that way. */
const plainAddress = (address: string): string => address.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, '$1');

export interface OutboundServerOptions extends OutboundSessionOptions {
  readonly host: string;
  /** 0 picks a free port (see `address()` after `listen()`). */
  readonly port: number;
  /** Open sockets at most (default 2000); one more is closed at once, before a byte is read. */
  readonly maxConnections?: number;
  /** Whether a peer address may talk to us at all; refused peers are closed at once (default: everyone). */
  readonly admit?: (remoteAddress: string) => boolean;
  /** Runs each connected leg; may instead be given later with `serve`, before `listen`. */
  readonly onSession?: (session: OutboundSession) => void;
}

interface OutboundCounters {
  accepted: number;
  active: number;
  /** Closed at once: the server already had maxConnections sockets. */
  refusedFull: number;
  /** Closed at once: `admit` refused the peer's address. */
  refusedPeer: number;
  /** Closed because `connect` was not answered in time (or not with a channel). */
  handshakeFailures: number;
  /** Closed because a frame passed OUTBOUND_FRAME_LIMITS. */
  oversizedFrames: number;
}

export class OutboundServer {
  private readonly server: Server;
  private readonly sessions = new Set<OutboundSession>();
  readonly counters: OutboundCounters = {
    accepted: 0,
    active: 0,
    refusedFull: 0,
    refusedPeer: 0,
    handshakeFailures: 0,
    oversizedFrames: 0,
  };

  private onSession: ((session: OutboundSession) => void) | undefined;

  constructor(private readonly options: OutboundServerOptions) {
    this.onSession = options.onSession;
    this.server = createServer({ noDelay: true }, (socket) => this.accept(socket));
  }

  /**
   * Who runs each connected leg, when it is built after the server (the dialer reads `address()` and the call
   * runner reports to the dialer). A leg that connects before anyone serves is closed.
   */
  serve(onSession: (session: OutboundSession) => void): void {
    this.onSession = onSession;
  }

  listen(): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', reject);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  address(): AddressInfo | undefined {
    const address = this.server.address();
    return address && typeof address === 'object' ? address : undefined;
  }

  /** Stops accepting and drops every live session. */
  async close(): Promise<void> {
    const closing = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const session of this.sessions) session.destroy();
    await closing;
  }

  private accept(socket: Socket): void {
    // A peer may reset before we look; its socket is closed by then and we need not count it.
    socket.on('error', ignore);
    if (this.sessions.size >= (this.options.maxConnections ?? 2000)) {
      this.counters.refusedFull++;
      socket.destroy();
      return;
    }
    // Read once (a getpeername system call), for admit and for the session.
    const address = plainAddress(socket.remoteAddress ?? '');
    if (this.options.admit && !this.options.admit(address)) {
      this.counters.refusedPeer++;
      socket.destroy();
      return;
    }
    this.counters.accepted++;
    this.counters.active++;
    const session = new OutboundSession(socket, this.options, address);
    this.sessions.add(session);
    void session.ready.then((r) => {
      if (!r.ok) this.counters.handshakeFailures++;
    });
    void session.closed.then(() => {
      this.sessions.delete(session);
      this.counters.active--;
      this.counters.oversizedFrames += session.connection.counters.oversizedFrames;
    });
    if (this.onSession) this.onSession(session);
    else session.destroy();
  }
}
