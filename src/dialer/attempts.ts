// Attempt tracking: the customer legs this process originated (ringing, then answered) and the agent-first and
// agent-dialled calls holding a gateway line, until each one's outcome is stored. Everything the dialer counts
// about calls in flight (per task, per gateway, per number) is read from here.
import type { TimerHandle } from '../core/clock.js';
import type { tasks } from '../db/schema.js';

export type Task = typeof tasks.$inferSelect;

export interface Attempt {
  callId: string;
  task: Task;
  gatewayId: number;
  numberId: number;
  phone: string;
  retries: number;
  startedAt: number;
  answered: boolean;
  /** When the customer answered, and when an agent was connected (the abandon rule's 2 s run between them). */
  answeredAt?: number;
  connectedAt?: number;
  /** Answered, answering-machine detection's verdict not in yet (issue 23): may still be a live answer. */
  analysing?: boolean;
  /** The abandon verdict went into the call's outcome (one write with the call log, not one of its own). */
  verdictInOutcome?: boolean;
  hangup?: Record<string, string>;
  jobError?: string;
  settleTimer?: TimerHandle;
}

/** An agent-first or agent-dialled call holding a line of its gateway until its outcome is stored. */
interface LineHold {
  gatewayId: number;
  taskId?: number;
  numberId?: number;
  retries?: number;
}

export class AttemptBook {
  private readonly ringingCalls = new Map<string, Attempt>();
  /** Live answered legs we originated (callId → attempt), until the leg's outcome is stored. */
  private readonly answeredCalls = new Map<string, Attempt>();
  /** Agent-first calls whose agent answered (callId → gateway line held), until the outcome is stored. */
  private readonly lineHolds = new Map<string, LineHold>();

  originated(a: Attempt): void {
    this.ringingCalls.set(a.callId, a);
  }

  /** A ringing attempt by call id (its CHANNEL_HANGUP_COMPLETE may come before BACKGROUND_JOB). */
  ringingCall(callId: string): Attempt | undefined {
    return this.ringingCalls.get(callId);
  }

  /** The customer answered: the attempt moves from ringing to answered. */
  answer(a: Attempt, at: number): void {
    a.answered = true;
    a.answeredAt = at;
    this.ringingCalls.delete(a.callId);
    this.answeredCalls.set(a.callId, a);
  }

  /** The attempt failed before answering; false if it was already settled. */
  dropRinging(callId: string): boolean {
    return this.ringingCalls.delete(callId);
  }

  answeredCall(callId: string): Attempt | undefined {
    return this.answeredCalls.get(callId);
  }

  /** The answered call's outcome is stored: it leaves the book. */
  endAnswered(callId: string): Attempt | undefined {
    const a = this.answeredCalls.get(callId);
    this.answeredCalls.delete(callId);
    return a;
  }

  holdLine(callId: string, hold: LineHold): void {
    this.lineHolds.set(callId, hold);
  }

  releaseLine(callId: string): LineHold | undefined {
    const hold = this.lineHolds.get(callId);
    this.lineHolds.delete(callId);
    return hold;
  }

  /** Attempts originated and not yet answered or failed, of one task. */
  ringing(taskId: number): Attempt[] {
    return [...this.ringingCalls.values()].filter((a) => a.task.id === taskId && !a.answered);
  }

  /** Whether an attempt not yet answered or failed is of a task `of` accepts. */
  anyRinging(of: (task: Task) => boolean): boolean {
    for (const a of this.ringingCalls.values()) if (!a.answered && of(a.task)) return true;
    return false;
  }

  /** Answered attempts of one task still under answering-machine detection. */
  analysing(taskId: number): Attempt[] {
    return [...this.answeredCalls.values()].filter((a) => a.task.id === taskId && a.analysing === true);
  }

  /** The task has calls of its own in progress: ringing, answered, or an agent-first agent ringing. */
  hasCalls(taskId: number): boolean {
    for (const a of this.ringingCalls.values()) if (a.task.id === taskId) return true;
    for (const a of this.answeredCalls.values()) if (a.task.id === taskId) return true;
    for (const h of this.lineHolds.values()) if (h.taskId === taskId) return true;
    return false;
  }

  /** The number is being dialled by this process (as opposed to one a previous run left 'dialing'). */
  dials(numberId: number): boolean {
    for (const a of this.ringingCalls.values()) if (a.numberId === numberId) return true;
    for (const a of this.answeredCalls.values()) if (a.numberId === numberId) return true;
    for (const h of this.lineHolds.values()) if (h.numberId === numberId) return true;
    return false;
  }

  /** Calls in flight (ringing + answered + agent-first) of one task, for callTaskStatus.runningCnt. */
  inFlight(taskId: number): number {
    let n = 0;
    for (const h of this.lineHolds.values()) if (h.taskId === taskId) n++;
    for (const a of this.ringingCalls.values()) if (a.task.id === taskId) n++;
    for (const a of this.answeredCalls.values()) if (a.task.id === taskId) n++;
    return n;
  }

  /** Lines of one gateway the task's own calls hold. */
  linesOf(taskId: number, gatewayId: number): number {
    let n = 0;
    for (const a of this.ringingCalls.values()) if (a.task.id === taskId && a.gatewayId === gatewayId) n++;
    for (const a of this.answeredCalls.values()) if (a.task.id === taskId && a.gatewayId === gatewayId) n++;
    for (const h of this.lineHolds.values()) if (h.taskId === taskId && h.gatewayId === gatewayId) n++;
    return n;
  }

  /** Customer legs this process has open (ringing or answered). */
  customerLegs(): number {
    return this.ringingCalls.size + this.answeredCalls.size;
  }

  /** A clean stop: no failed attempt is settled after it. */
  cancelTimers(): void {
    for (const a of this.ringingCalls.values()) a.settleTimer?.cancel();
  }
}
