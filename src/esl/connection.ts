// One ESL conversation over any Duplex (a net.Socket in production). Replies to commands and api calls are matched
// strictly in order: FreeSWITCH answers the commands of one socket one after the other, so the oldest waiter owns
// the next reply. A waiter that timed out keeps its place in the queue and swallows its late reply; otherwise that
// reply would be handed to the next command. bgapi and execute carry our own Job-UUID / Event-UUID, registered
// before the bytes leave, so their completion events can never race the registration.
import { randomUUID } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { Clock } from '../core/clock.js';
import {
  encodeBgapi,
  encodeCommand,
  encodeExecute,
  encodeHangup,
  encodeSendmsg,
  lineProblem,
} from './encoder.js';
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
import { fail, type EslResult, type WaitOptions } from './result.js';
import { waitFor, type Settle } from './wait.js';

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

interface ExecuteWaiter {
  readonly channel: string | undefined;
  readonly settle: Settle<ExecuteResult>;
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
  private readonly replyQueue: { deliver: ((frame: EslFrame) => void) | undefined }[] = [];
  private readonly jobs = new Map<string, Settle<JobResult>>();
  private readonly executes = new Map<string, ExecuteWaiter>();
  private readonly goneChannels = new Set<string>();
  private readonly closers = new Set<() => void>();
  private closeInfo: CloseInfo | undefined;
  private lastError: string | undefined;
  private resolveClosed!: (info: CloseInfo) => void;
  private readonly newUuid: () => string;
  /** coalesceWrites: the socket is corked until the end of this turn. */
  private corked = false;

  constructor(
    private readonly socket: Duplex,
    private readonly options: EslConnectionOptions,
  ) {
    this.listeners = new Listeners(options.onListenerError);
    this.newUuid = options.newUuid ?? randomUUID;
    this.parser = new EslParser(options.limits);
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', (err: Error) => (this.lastError = err.message));
    socket.on('end', () => this.finish({ by: 'remote' }));
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
    return this.request(encodeCommand(line), firstWord(line), options);
  }

  /** `api <command>`; resolves with the api/response body ("-ERR ..." bodies are failures). */
  async api(command: string, options: WaitOptions = {}): Promise<EslResult<string>> {
    const result = await this.command(`api ${command}`, options);
    return result.ok ? { ok: true, value: result.value.body } : result;
  }

  /**
   * `bgapi <command>` with our own Job-UUID; resolves with BACKGROUND_JOB's body. The socket must receive
   * BACKGROUND_JOB events (inbound: subscribe to them; filters must let them through).
   */
  bgapi(command: string, options: WaitOptions = {}): Promise<EslResult<JobResult>> {
    const problem = lineProblem(command);
    if (problem) return Promise.resolve(fail('invalid', `bgapi command ${problem}`));
    const jobUuid = this.newUuid();
    return this.track({
      label: `bgapi ${firstWord(command)}`,
      timeoutMs: options.timeoutMs ?? this.options.jobTimeoutMs ?? 120_000,
      signal: options.signal,
      start: (settle) => {
        this.jobs.set(jobUuid, settle);
        const slot = this.expectReply((frame) => {
          const reply = toReply(frame);
          if (!reply.ok) settle(reply);
        });
        this.write(encodeBgapi(command, jobUuid));
        return () => {
          this.jobs.delete(jobUuid);
          slot.deliver = undefined;
        };
      },
    });
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
    const channel = input.uuid ?? this.channelUuid;
    return this.track({
      label: `execute ${input.app}`,
      timeoutMs: options.timeoutMs ?? this.options.executeTimeoutMs ?? 3_600_000,
      signal: options.signal,
      start: (settle) => {
        this.executes.set(eventUuid, { channel, settle });
        const slot = this.expectReply((frame) => {
          const reply = toReply(frame);
          if (!reply.ok) settle(reply);
          else if (channel && this.goneChannels.has(channel))
            settle(fail('hangup', `channel ${channel} is gone`));
        });
        this.write(encodeExecute({ ...input, eventUuid }));
        return () => {
          this.executes.delete(eventUuid);
          slot.deliver = undefined;
        };
      },
    });
  }

  /** sendmsg hangup; resolves with FreeSWITCH's command/reply. */
  hangup(cause = 'NORMAL_CLEARING', uuid?: string, options: WaitOptions = {}): Promise<EslResult<Reply>> {
    const problem = lineProblem(cause) ?? (uuid ? lineProblem(uuid) : undefined);
    if (problem) return Promise.resolve(fail('invalid', `hangup ${problem}`));
    return this.request(encodeHangup(cause, uuid), 'hangup', options);
  }

  /** Any other sendmsg (call-command: unicast, nomedia, ...). */
  sendmsg(input: SendmsgInput, options: WaitOptions = {}): Promise<EslResult<Reply>> {
    for (const [name, value] of Object.entries(input.headers)) {
      const problem = lineProblem(name) ?? lineProblem(value);
      if (problem) return Promise.resolve(fail('invalid', `sendmsg header ${problem}`));
    }
    return this.request(encodeSendmsg(input), 'sendmsg', options);
  }

  /**
   * Runs `fn` with the socket corked: the commands it writes leave together when it returns, in one system call
   * (a leg's myevents, linger and first execute; a step's commands), before anything `fn`'s caller sends after it.
   */
  batch<T>(fn: () => T): T {
    this.socket.cork();
    try {
      return fn();
    } finally {
      this.socket.uncork();
    }
  }

  /** True when this socket saw the channel's CHANNEL_HANGUP_COMPLETE or a disconnect-notice naming it. */
  isChannelGone(uuid: string): boolean {
    return this.goneChannels.has(uuid);
  }

  /** Half-closes our side; FreeSWITCH then closes its side. */
  end(): void {
    if (this.isOpen) this.socket.end();
  }

  destroy(): void {
    if (this.isOpen) {
      this.finish({ by: 'local' });
      this.socket.destroy();
    }
  }

  private request(bytes: Buffer, label: string, options: WaitOptions): Promise<EslResult<Reply>> {
    return this.track({
      label,
      timeoutMs: options.timeoutMs ?? this.options.replyTimeoutMs ?? 10_000,
      signal: options.signal,
      start: (settle) => {
        const slot = this.expectReply((frame) => settle(toReply(frame)));
        this.write(bytes);
        return () => void (slot.deliver = undefined);
      },
    });
  }

  private track<T>(spec: {
    label: string;
    timeoutMs: number;
    signal: AbortSignal | undefined;
    start: (settle: Settle<T>) => () => void;
  }): Promise<EslResult<T>> {
    if (this.closeInfo) return Promise.resolve(fail('closed', `${spec.label}: connection closed`));
    return waitFor<T>({
      clock: this.options.clock,
      timeoutMs: spec.timeoutMs,
      ...(spec.signal ? { signal: spec.signal } : {}),
      label: spec.label,
      onTimeout: () => this.counters.timeouts++,
      start: (settle) => {
        const onClose = (): void => settle(fail('closed', `${spec.label}: connection closed`));
        this.closers.add(onClose);
        const unregister = spec.start(settle);
        return () => {
          this.closers.delete(onClose);
          unregister();
        };
      },
    });
  }

  private expectReply(deliver: (frame: EslFrame) => void): {
    deliver: ((frame: EslFrame) => void) | undefined;
  } {
    const slot = { deliver };
    this.replyQueue.push(slot);
    return slot;
  }

  private write(bytes: Buffer): void {
    this.counters.commandsSent++;
    if (this.options.coalesceWrites && !this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    this.socket.write(bytes);
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
    const slot = this.replyQueue.shift();
    if (!slot) {
      this.counters.unexpectedFrames++;
      return this.listeners.emit('unexpected', frame);
    }
    this.counters.replies++;
    slot.deliver?.(frame);
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
      const settle = jobUuid ? this.jobs.get(jobUuid) : undefined;
      if (jobUuid && settle) settle(toJobResult(jobUuid, event));
    } else if (event.name === 'CHANNEL_EXECUTE_COMPLETE') {
      const eventUuid = event.headers['Application-UUID'];
      const waiter = eventUuid ? this.executes.get(eventUuid) : undefined;
      waiter?.settle(toExecuteResult(event));
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
    this.goneChannels.add(uuid);
    if (this.goneChannels.size > GONE_CHANNELS_KEPT) {
      const oldest = this.goneChannels.values().next().value;
      if (oldest !== undefined) this.goneChannels.delete(oldest);
    }
    for (const waiter of [...this.executes.values()])
      if (waiter.channel === uuid) waiter.settle(fail('hangup', `channel ${uuid} ${how}`));
  }

  private finish(info: CloseInfo): void {
    if (this.closeInfo) return;
    this.closeInfo = info;
    for (const close of [...this.closers]) close();
    this.replyQueue.length = 0;
    this.resolveClosed(info);
    this.listeners.emit('close', info);
  }
}

/** A command's first word, for labels: without splitting an originate's whole line into pieces per command. */
function firstWord(line: string): string {
  const space = line.indexOf(' ');
  return space === -1 ? line : line.slice(0, space);
}
