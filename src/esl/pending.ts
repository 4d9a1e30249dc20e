// The commands of one connection that wait for FreeSWITCH, one object each (issue 21). A wait used to be a promise,
// a clock timer and eight closures (the settle function, its timeout, its abort and close handlers, the reply slot's
// deliver and the unregister functions); the campaign sends ten commands per call attempt, and those waits were a
// tenth of what the app allocated. Now a wait is a `Waiter` plus its promise: it sits in the connection's reply FIFO
// (replies come in order) and, while unsettled, in one deadline list per time limit, and one clock timer per
// connection, armed for the earliest deadline, fails the waits whose time is up.
import type { Clock, TimerHandle } from '../core/clock.js';
import type { EslResult } from './result.js';

type Settle = (result: EslResult<unknown>) => void;

/** What a waiter's reply means and what it waits for after it. */
export const WaitKind = {
  /** command/reply or api/response: the reply is the answer. */
  reply: 0,
  /** `api`: the reply's body is the answer. */
  api: 1,
  /** bgapi: -ERR ends it, +OK leads to its BACKGROUND_JOB. */
  job: 2,
  /** execute: -ERR ends it, +OK leads to its CHANNEL_EXECUTE_COMPLETE. */
  execute: 3,
} as const;
export type WaitKind = (typeof WaitKind)[keyof typeof WaitKind];

export class Waiter {
  settled = false;
  resolve: Settle = noop;
  /** Order of sending, on its connection: a closing connection ends its waits in that order. */
  seq = 0;
  /** Neighbours in its deadline list (while unsettled). */
  prev: Waiter | undefined = undefined;
  next: Waiter | undefined = undefined;
  list: DeadlineList | undefined = undefined;
  /** Set only for a wait given an AbortSignal. */
  signal: AbortSignal | undefined = undefined;
  onAbort: (() => void) | undefined = undefined;

  constructor(
    readonly kind: WaitKind,
    /** The command line (reply, api), bgapi's command or execute's app: the label is made of it only when needed. */
    readonly what: string,
    readonly deadline: number,
    /** bgapi's Job-UUID or execute's Event-UUID. */
    readonly key: string | undefined,
    /** execute: the channel it runs on. */
    readonly channel: string | undefined,
  ) {}

  /** How errors name the command: `api`, `connect`, `bgapi originate`, `execute bridge`. */
  label(): string {
    switch (this.kind) {
      case WaitKind.api:
        return 'api';
      case WaitKind.job:
        return `bgapi ${firstWord(this.what)}`;
      case WaitKind.execute:
        return `execute ${this.what}`;
      default:
        return firstWord(this.what);
    }
  }
}

const noop = (): void => {};

/** A command's first word, for labels: without splitting an originate's whole line into pieces per command. */
function firstWord(line: string): string {
  const space = line.indexOf(' ');
  return space === -1 ? line : line.slice(0, space);
}

let captured: Settle = noop;
const capture = (resolve: (value: never) => void): void => {
  captured = resolve as Settle;
};

/** The waiter's promise, its resolve kept on the waiter (no executor closure per command). */
export function promiseOf<T>(waiter: Waiter): Promise<EslResult<T>> {
  const promise = new Promise<EslResult<T>>(capture);
  waiter.resolve = captured;
  captured = noop;
  return promise;
}

const KEPT_LISTS = 4;

/** Waiters of one time limit, oldest first: with one clock, each one's deadline is at or after the one before. */
interface DeadlineList {
  readonly timeoutMs: number;
  head: Waiter | undefined;
  tail: Waiter | undefined;
}

/**
 * The unsettled waiters of a connection and its one timer. The timer is armed for the earliest deadline when a
 * waiter could be due before it; one that settles early leaves it armed (it fires, finds nothing due and moves on),
 * and it is cancelled once no waiter is left, so an idle connection holds no timer.
 */
export class Deadlines {
  /** One per time limit in use: a connection uses two or three (reply, job or execute, a caller's own). */
  private readonly lists: DeadlineList[] = [];
  private timer: TimerHandle | undefined;
  private timerDue = Infinity;
  private count = 0;
  private sent = 0;
  private readonly onTimer = (): void => this.sweep();

  constructor(
    private readonly clock: Clock,
    private readonly onExpired: (waiter: Waiter, timeoutMs: number) => void,
  ) {}

  deadlineIn(timeoutMs: number): number {
    return this.now() + timeoutMs;
  }

  /** Deadlines are on the clock that never steps: a wall clock set back must not hold a timeout back with it. */
  private now(): number {
    return this.clock.elapsed ? this.clock.elapsed() : this.clock.now();
  }

  add(waiter: Waiter, timeoutMs: number): void {
    waiter.seq = ++this.sent;
    let list: DeadlineList | undefined;
    for (const l of this.lists) if (l.timeoutMs === timeoutMs) list = l;
    if (!list) this.lists.push((list = { timeoutMs, head: undefined, tail: undefined }));
    waiter.list = list;
    waiter.prev = list.tail;
    if (list.tail) list.tail.next = waiter;
    else list.head = waiter;
    list.tail = waiter;
    this.count++;
    if (waiter.deadline < this.timerDue) this.arm(waiter.deadline);
  }

  remove(waiter: Waiter): void {
    const list = waiter.list;
    if (!list) return;
    if (waiter.prev) waiter.prev.next = waiter.next;
    else list.head = waiter.next;
    if (waiter.next) waiter.next.prev = waiter.prev;
    else list.tail = waiter.prev;
    waiter.list = waiter.prev = waiter.next = undefined;
    // A caller may pass any time limit: past a few, a list lives only while it holds waiters.
    if (!list.head && this.lists.length > KEPT_LISTS) this.lists.splice(this.lists.indexOf(list), 1);
    if (--this.count === 0) this.disarm();
  }

  /** Every unsettled waiter, oldest first (a copy: settling them removes them). */
  all(): Waiter[] {
    const out: Waiter[] = [];
    for (const list of this.lists) for (let w = list.head; w; w = w.next) out.push(w);
    return out.sort((a, b) => a.seq - b.seq);
  }

  private arm(due: number): void {
    this.timer?.cancel();
    this.timerDue = due;
    this.timer = this.clock.setTimer(Math.max(0, due - this.now()), this.onTimer);
  }

  private disarm(): void {
    this.timer?.cancel();
    this.timer = undefined;
    this.timerDue = Infinity;
  }

  private sweep(): void {
    this.timer = undefined;
    this.timerDue = Infinity;
    const now = this.now();
    for (const list of [...this.lists])
      for (let w = list.head; w && w.deadline <= now; w = list.head) {
        this.onExpired(w, list.timeoutMs);
        this.remove(w); // already done when onExpired settled it; a guard against looping forever
      }
    let next = Infinity;
    for (const list of this.lists) if (list.head && list.head.deadline < next) next = list.head.deadline;
    if (next !== Infinity) this.arm(next);
  }
}
