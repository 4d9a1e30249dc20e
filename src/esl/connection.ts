// One ESL conversation over any Duplex (a net.Socket in production). Replies to commands and api calls are matched
// strictly in order: FreeSWITCH answers the commands of one socket one after the other, so the oldest waiter owns
// the next reply. A waiter that timed out keeps its place in the queue and swallows its late reply; otherwise that
// reply would be handed to the next command. bgapi and execute carry our own Job-UUID / Event-UUID, registered
// before the bytes leave, so their completion events can never race the registration. Each wait is one Waiter
// (pending.ts): in the reply FIFO, in the jobs or executes map for bgapi and execute, and in the deadline lists.
import { randomUUID } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { Clock } from '../core/clock.js';
import { bgapiText, commandText, executeText, hangupText, lineProblem, sendmsgText } from './encoder.js';
import type { SendmsgInput } from './encoder.js';
import { decodeEvent, type EslEvent } from './event.js';
import { ContentType, contentType, type EslFrame } from './frame.js';
import { Listeners, type Unsubscribe } from './listeners.js';
import { EslParser, type EslParserLimits } from './parser.js';
import {
  toExecuteResult,
  toJobResult,
  toReply,
  type ExecuteResult,
  type JobResult,
  type Reply,
} from './replies.js';
import { Deadlines, promiseOf, Waiter, WaitKind } from './pending.js';
import { fail, ok, type EslResult, type WaitOptions } from './result.js';

export interface EslConnectionOptions {
  readonly clock: Clock;
  /** Limit for command/reply and api/response (default 10 s). */
  readonly replyTimeoutMs?: number;
  /** Limit for a bgapi's BACKGROUND_JOB (default 120 s: an originate may ring for a long time). */
  readonly jobTimeoutMs?: number;
  /** Limit for an execute's CHANNEL_EXECUTE_COMPLETE (default 1 h: a bridge lasts as long as the call). */
  readonly executeTimeoutMs?: number;
  /** Source of Job-UUID / Event-UUID values (tests make them predictable). */
  readonly newUuid?: () => string;
  readonly onListenerError?: (err: unknown) => void;
  /** Caps on one frame's header block and body; past them the connection is closed (issue 17.2). */
  readonly limits?: EslParserLimits;
  /**
   * Hold the commands written in one turn of the event loop and send them together once it ends (process.nextTick),
   * in one system call instead of one each: a node's link carries a burst of originates per dialler tick.
   */
  readonly coalesceWrites?: boolean;
}

export interface CloseInfo {
  readonly by: 'remote' | 'local' | 'error';
  readonly error?: string;
}

export interface ConnectionEvents {
  event: EslEvent;
  'auth-request': EslFrame;
  'disconnect-notice': EslFrame;
  'rude-rejection': EslFrame;
  log: EslFrame;
  /** A frame of a Content-Type this module does not know, or a reply nobody waited for. */
  unexpected: EslFrame;
  close: CloseInfo;
}

export interface ConnectionCounters {
  commandsSent: number;
  replies: number;
  events: number;
  timeouts: number;
  malformedEvents: number;
  unexpectedFrames: number;
  /** Connections closed because a frame passed the parser's caps (0 or 1 per connection). */
  oversizedFrames: number;
}

export interface ExecuteInput {
  readonly app: string;
  readonly arg?: string;
  /** The channel; defaults to `channelUuid` (on an outbound socket sendmsg needs none). */
  readonly uuid?: string;
  readonly eventLock?: boolean;
  readonly loops?: number;
}

const GONE_CHANNELS_KEPT = 1024;

export class EslConnection {
  readonly counters: ConnectionCounters = {
    commandsSent: 0,
    replies: 0,
    events: 0,
    timeouts: 0,
    malformedEvents: 0,
    unexpectedFrames: 0,
    oversizedFrames: 0,
  };
  /** Resolves once, when the socket is gone. */
  readonly closed: Promise<CloseInfo>;
  /** The channel this socket controls (set by the outbound session after `connect`). */
  channelUuid: string | undefined;

  private readonly parser: EslParser;
  private readonly listeners: Listeners<ConnectionEvents>;
  /** One per command sent, in order; a settled one stays to swallow its late reply. */
  private readonly replyQueue: Waiter[] = [];
  /** Made on first use: a leg's socket sends no bgapi, and most legs' channels never hang up on their socket. */
  private jobs: Map<string, Waiter> | undefined;
  private readonly executes = new Map<string, Waiter>();
  private readonly deadlines: Deadlines;
  private goneChannels: Set<string> | undefined;
  private closeInfo: CloseInfo | undefined;
  private lastError: string | undefined;
  private resolveClosed!: (info: CloseInfo) => void;
  private readonly newUuid: () => string;
  /**
   * Commands held for one write: those of a batch until it returns, those of a turn with coalesceWrites. One string,
   * written once: Node encodes it straight into the socket (no Buffer per command, no writev's array of them).
   */
  private outgoing = '';
  private batchDepth = 0;
  private flushScheduled = false;
  private readonly flushNow = (): void => this.flush();

  constructor(
    private readonly socket: Duplex,
    private readonly options: EslConnectionOptions,
  ) {
    this.listeners = new Listeners(options.onListenerError);
    this.newUuid = options.newUuid ?? randomUUID;
    this.parser = new EslParser(options.limits);
    this.deadlines = new Deadlines(options.clock, (waiter, timeoutMs) => {
      this.counters.timeouts++;
      this.settle(waiter, fail('timeout', `${waiter.label()}: no answer within ${timeoutMs} ms`));
    });
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', (err: Error) => (this.lastError = err.message));
    socket.on('end', () => {
      this.finish({ by: 'remote' });
      // FreeSWITCH closed its socket: nothing more can be said, so close ours now rather than let Node half-close it
      // first (one shutdown system call per leg less; the peer sees the same FIN).
      if (socket.writableLength === 0) socket.destroy();
    });
    socket.on('close', () =>
      this.finish(this.lastError ? { by: 'error', error: this.lastError } : { by: 'remote' }),
    );
  }

  get isOpen(): boolean {
    return this.closeInfo === undefined;
  }

  on<K extends keyof ConnectionEvents>(type: K, fn: (value: ConnectionEvents[K]) => void): Unsubscribe {
    return this.listeners.on(type, fn);
  }

  once<K extends keyof ConnectionEvents>(type: K, fn: (value: ConnectionEvents[K]) => void): Unsubscribe {
    return this.listeners.once(type, fn);
  }

  /** Any command answered by command/reply (`auth`, `event plain ...`, `filter`, `linger`, `exit`...). */
  command(line: string, options: WaitOptions = {}): Promise<EslResult<Reply>> {
    const problem = lineProblem(line);
    if (problem) return Promise.resolve(fail('invalid', `command ${problem}`));
    return this.send(WaitKind.reply, line, commandText(line), this.replyTimeout(options), options);
  }

  /** `api <command>`; resolves with the api/response body ("-ERR ..." bodies are failures). */
  api(command: string, options: WaitOptions = {}): Promise<EslResult<string>> {
    const line = `api ${command}`;
    const problem = lineProblem(line);
    if (problem) return Promise.resolve(fail('invalid', `command ${problem}`));
    return this.send(WaitKind.api, line, commandText(line), this.replyTimeout(options), options);
  }

  /**
   * `bgapi <command>` with our own Job-UUID; resolves with BACKGROUND_JOB's body. The socket must receive
   * BACKGROUND_JOB events (inbound: subscribe to them; filters must let them through).
   */
  bgapi(command: string, options: WaitOptions = {}): Promise<EslResult<JobResult>> {
    const problem = lineProblem(command);
    if (problem) return Promise.resolve(fail('invalid', `bgapi command ${problem}`));
    const jobUuid = this.newUuid();
    const timeoutMs = options.timeoutMs ?? this.options.jobTimeoutMs ?? 120_000;
    return this.send(WaitKind.job, command, bgapiText(command, jobUuid), timeoutMs, options, jobUuid);
  }

  /**
   * sendmsg execute with our own Event-UUID; resolves with CHANNEL_EXECUTE_COMPLETE's Application-Response.
   * FreeSWITCH accepts (+OK) an execute for a channel that already hung up and then never runs it, so the wait
   * also ends with `hangup` on that channel's CHANNEL_HANGUP_COMPLETE or disconnect-notice, and with `closed`.
   */
  execute(input: ExecuteInput, options: WaitOptions = {}): Promise<EslResult<ExecuteResult>> {
    const problem = lineProblem(input.app) ?? (input.uuid ? lineProblem(input.uuid) : undefined);
    if (problem) return Promise.resolve(fail('invalid', `execute ${problem}`));
    const eventUuid = this.newUuid();
    const timeoutMs = options.timeoutMs ?? this.options.executeTimeoutMs ?? 3_600_000;
    const text = executeText({ ...input, eventUuid });
    const channel = input.uuid ?? this.channelUuid;
    return this.send(WaitKind.execute, input.app, text, timeoutMs, options, eventUuid, channel);
  }

  /** sendmsg hangup; resolves with FreeSWITCH's command/reply. */
  hangup(cause = 'NORMAL_CLEARING', uuid?: string, options: WaitOptions = {}): Promise<EslResult<Reply>> {
    const problem = lineProblem(cause) ?? (uuid ? lineProblem(uuid) : undefined);
    if (problem) return Promise.resolve(fail('invalid', `hangup ${problem}`));
    return this.send(WaitKind.reply, 'hangup', hangupText(cause, uuid), this.replyTimeout(options), options);
  }

  /** Any other sendmsg (call-command: unicast, nomedia, ...). */
  sendmsg(input: SendmsgInput, options: WaitOptions = {}): Promise<EslResult<Reply>> {
    for (const [name, value] of Object.entries(input.headers)) {
      const problem = lineProblem(name) ?? lineProblem(value);
      if (problem) return Promise.resolve(fail('invalid', `sendmsg header ${problem}`));
    }
    return this.send(WaitKind.reply, 'sendmsg', sendmsgText(input), this.replyTimeout(options), options);
  }

  /**
   * Runs `fn` with the commands it writes held: they leave together when it returns, in one system call (a leg's
   * myevents, linger and first execute; a step's commands), before anything `fn`'s caller sends after it.
   */
  batch<T>(fn: () => T): T {
    this.batchDepth++;
    try {
      return fn();
    } finally {
      if (--this.batchDepth === 0 && !this.flushScheduled) this.flush();
    }
  }

  /** True when this socket saw the channel's CHANNEL_HANGUP_COMPLETE or a disconnect-notice naming it. */
  isChannelGone(uuid: string): boolean {
    return this.goneChannels?.has(uuid) ?? false;
  }

  /** Half-closes our side; FreeSWITCH then closes its side. */
  end(): void {
    if (this.isOpen) {
      this.flush();
      this.socket.end();
    }
  }

  destroy(): void {
    if (this.isOpen) {
      this.finish({ by: 'local' });
      this.socket.destroy();
    }
  }

  private replyTimeout(options: WaitOptions): number {
    return options.timeoutMs ?? this.options.replyTimeoutMs ?? 10_000;
  }

  /** Registers the command's waiter, then writes it: its answer can never come before the waiter exists. */
  private send<T>(
    kind: WaitKind,
    what: string,
    text: string,
    timeoutMs: number,
    options: WaitOptions,
    key?: string,
    channel?: string,
  ): Promise<EslResult<T>> {
    const signal = options.signal;
    if (this.closeInfo || signal?.aborted) {
      const label = new Waiter(kind, what, 0, key, channel).label();
      return Promise.resolve(
        this.closeInfo
          ? fail('closed', `${label}: connection closed`)
          : fail('aborted', `${label}: aborted before sending`),
      );
    }
    const waiter = new Waiter(kind, what, this.deadlines.deadlineIn(timeoutMs), key, channel);
    const promise = promiseOf<T>(waiter);
    this.deadlines.add(waiter, timeoutMs);
    if (signal) {
      waiter.signal = signal;
      waiter.onAbort = () => this.settle(waiter, fail('aborted', `${waiter.label()}: aborted`));
      signal.addEventListener('abort', waiter.onAbort, { once: true });
    }
    if (kind === WaitKind.job) (this.jobs ??= new Map()).set(key!, waiter);
    else if (kind === WaitKind.execute) this.executes.set(key!, waiter);
    this.replyQueue.push(waiter);
    this.write(text);
    return promise;
  }

  /** Ends a wait once: out of the deadline lists and the jobs / executes maps (its reply slot stays). */
  private settle(waiter: Waiter, result: EslResult<unknown>): void {
    if (waiter.settled) return;
    waiter.settled = true;
    this.deadlines.remove(waiter);
    if (waiter.kind === WaitKind.job) this.jobs?.delete(waiter.key!);
    else if (waiter.kind === WaitKind.execute) this.executes.delete(waiter.key!);
    if (waiter.signal) waiter.signal.removeEventListener('abort', waiter.onAbort!);
    waiter.resolve(result);
  }

  private write(text: string): void {
    this.counters.commandsSent++;
    if (this.options.coalesceWrites) {
      this.outgoing += text;
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        process.nextTick(this.flushNow);
      }
    } else if (this.batchDepth > 0) this.outgoing += text;
    else this.socket.write(text);
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.outgoing === '') return;
    const text = this.outgoing;
    this.outgoing = '';
    if (this.isOpen) this.socket.write(text);
  }

  private receive(chunk: Buffer): void {
    for (const frame of this.parser.push(chunk)) this.dispatch(frame);
    if (this.parser.error && this.isOpen) {
      // Nothing more from this peer can be framed: drop it rather than buffer what it keeps sending.
      this.counters.oversizedFrames++;
      this.finish({ by: 'error', error: this.parser.error });
      this.socket.destroy();
    }
  }

  private dispatch(frame: EslFrame): void {
    switch (contentType(frame)) {
      case ContentType.commandReply:
      case ContentType.apiResponse:
        return this.onReply(frame);
      case ContentType.eventPlain:
      case ContentType.eventJson:
        return this.onEventFrame(frame);
      case ContentType.authRequest:
        return this.listeners.emit('auth-request', frame);
      case ContentType.disconnectNotice:
        return this.onDisconnectNotice(frame);
      case ContentType.rudeRejection:
        return this.listeners.emit('rude-rejection', frame);
      case ContentType.logData:
        return this.listeners.emit('log', frame);
      default:
        this.counters.unexpectedFrames++;
        return this.listeners.emit('unexpected', frame);
    }
  }

  private onReply(frame: EslFrame): void {
    const waiter = this.replyQueue.shift();
    if (!waiter) {
      this.counters.unexpectedFrames++;
      return this.listeners.emit('unexpected', frame);
    }
    this.counters.replies++;
    if (waiter.settled) return; // timed out, aborted or ended by its channel: its late reply ends here
    const reply = toReply(frame);
    switch (waiter.kind) {
      case WaitKind.reply:
        return this.settle(waiter, reply);
      case WaitKind.api:
        return this.settle(waiter, reply.ok ? ok(reply.value.body) : reply);
      case WaitKind.job:
        // +OK: the answer is its BACKGROUND_JOB.
        if (!reply.ok) this.settle(waiter, reply);
        return;
      case WaitKind.execute:
        if (!reply.ok) this.settle(waiter, reply);
        else if (waiter.channel && this.goneChannels?.has(waiter.channel))
          this.settle(waiter, fail('hangup', `channel ${waiter.channel} is gone`));
        return;
    }
  }

  private onEventFrame(frame: EslFrame): void {
    const event = decodeEvent(frame);
    if (!event) {
      this.counters.malformedEvents++;
      return;
    }
    this.counters.events++;
    if (event.name === 'BACKGROUND_JOB') {
      const jobUuid = event.headers['Job-UUID'];
      const waiter = jobUuid ? this.jobs?.get(jobUuid) : undefined;
      if (jobUuid && waiter) this.settle(waiter, toJobResult(jobUuid, event));
    } else if (event.name === 'CHANNEL_EXECUTE_COMPLETE') {
      const eventUuid = event.headers['Application-UUID'];
      const waiter = eventUuid ? this.executes.get(eventUuid) : undefined;
      if (waiter) this.settle(waiter, toExecuteResult(event));
    } else if (event.name === 'CHANNEL_HANGUP_COMPLETE') {
      const uuid = event.headers['Unique-ID'];
      if (uuid) this.channelGone(uuid, 'hung up');
    }
    this.listeners.emit('event', event);
  }

  // Outbound notices name the channel (Controlled-Session-UUID); the one after an inbound `exit` names none.
  private onDisconnectNotice(frame: EslFrame): void {
    const uuid = frame.headers['Controlled-Session-UUID'];
    if (uuid) this.channelGone(uuid, 'disconnected');
    this.listeners.emit('disconnect-notice', frame);
  }

  private channelGone(uuid: string, how: string): void {
    const gone = (this.goneChannels ??= new Set());
    gone.add(uuid);
    if (gone.size > GONE_CHANNELS_KEPT) {
      const oldest = gone.values().next().value;
      if (oldest !== undefined) gone.delete(oldest);
    }
    for (const waiter of this.executes.values())
      if (waiter.channel === uuid) this.settle(waiter, fail('hangup', `channel ${uuid} ${how}`));
  }

  private finish(info: CloseInfo): void {
    if (this.closeInfo) return;
    this.closeInfo = info;
    this.outgoing = '';
    for (const waiter of this.deadlines.all())
      this.settle(waiter, fail('closed', `${waiter.label()}: connection closed`));
    this.replyQueue.length = 0;
    this.resolveClosed(info);
    this.listeners.emit('close', info);
  }
}
