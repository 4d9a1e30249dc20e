// The predictive dialer (architecture §6): every tick, for each running predictive task, the task's pacer decides
// how many customers to call now; the dialer never exceeds the task's per-gateway concurrency, the gateways' free
// concurrency, the node's sessions-per-second and max-sessions, or the numbers left. Numbers are dispensed
// atomically (pending → dialing), customer legs are originated with our variables and the socket app, and
// attempts that never answer are settled from BACKGROUND_JOB and CHANNEL_HANGUP_COMPLETE.
import { randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import type { Clock, TimerHandle } from '../core/clock.js';
import { CallType, ScheduleType, TaskStatus } from '../core/codes.js';
import type { Metrics } from '../core/metrics.js';
import type { Publisher } from '../core/ports.js';
import type { AgentRegistry } from '../agents/registry.js';
import type { Db } from '../db/database.js';
import type { Repos } from '../db/repos/index.js';
import type { Gateway } from '../db/repos/gateways.js';
import { taskGateways, taskNumbers, tasks } from '../db/schema.js';
import type { EslEvent } from '../esl/index.js';
import { priceRuleOf } from '../calls/billing.js';
import { FsCommand, socketAppFor } from '../calls/fs-commands.js';
import type { NodeLinks } from '../calls/nodes.js';
import { classifyCall } from '../calls/results.js';
import type { GatewayUsage } from './gateway-usage.js';
import { createPacer, type PacingMode } from './pacing/modes.js';
import type { Pacer } from './pacing/pacer.js';
import { judgeLiveAnswer, MAX_AGENT_WAIT_MS } from './pacing/abandon.js';
import { splitAgents } from './pacing/share.js';
import type { AgentEntry } from '../agents/registry.js';
import { isOfferable } from '../agents/state.js';
import { isOpen, nextChange, windowOf } from './calling-window.js';
import type { DispensedNumber, Screen } from './numbers.js';
import { retryAt, type RetryRule } from './retry-rules.js';
import { whyNotDialling, type NotDialling } from './not-dialling.js';

export type Task = typeof tasks.$inferSelect;

/** Where numbers come from: the task-number store (src/dialer/numbers.ts). */
export interface NumberSource {
  dispense(taskId: number, n: number, now: number, screen?: Screen): DispensedNumber[];
  /** The task has a pending number due now: it needs agents to dial it. */
  hasDue(taskId: number, now: number): boolean;
  /** The task's retry rules give a settled number another attempt at `at` (issue 14.8). */
  retryLater(id: number, at: number, now: number): boolean;
  /** Agent-first: the agent did not take the call; back to pending, or settled as 32 at the cap (issue 14.3). */
  agentMissed(
    id: number,
    cap: number,
    log: { callUuid: string; agent: string; cause: string; projectId: number; callTaskCode: string },
    now: number,
  ): 'pending' | 'settled';
  settle(id: number, outcome: { callUuid: string; resultDetail: number }, now: number): void;
  /** Records the call's uuid on the number before it is originated, so a restart can ask FreeSWITCH about it. */
  markCall(id: number, callUuid: string, now: number): void;
}

/** The socket flow a customer leg of each scheduleType runs (calls/runner.ts knows these names). */
export const FLOW_OF: Partial<Record<number, string>> = {
  [ScheduleType.directToAgent]: 'direct',
  [ScheduleType.playThenAgent]: 'play-agent',
  [ScheduleType.playOnly]: 'play',
  [ScheduleType.offHookAgent]: 'off-hook',
  // The leg originated here is the agent's; its flow bridges to the customer (originateAgentFirst).
  [ScheduleType.agentFirst]: 'agent-first',
};

/** What an agent-first call needs: who to ring first, and which number through which gateway afterwards. */
export interface AgentFirstCall {
  agent: string;
  projectCode: string;
  nodeId: number;
  gateway: Gateway;
  phone: string;
  task?: Task;
  numberId?: number;
}

export type AgentFirstResult = { ok: true; callId: string } | { ok: false; reason: string; cause: string };

interface Attempt {
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
  hangup?: Record<string, string>;
  jobError?: string;
  settleTimer?: TimerHandle;
}

export interface DialerDeps {
  db: Db;
  repos: Repos;
  clock: Clock;
  metrics: Metrics;
  agents: AgentRegistry;
  nodes: NodeLinks;
  gatewayUsage: GatewayUsage;
  publisher: Publisher;
  numbers: NumberSource;
  /** Where FreeSWITCH reaches our outbound socket (the listening address, known once it listens). */
  socket: () => { host: string; port: number };
  log: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void };
  /** Spec 三.14 body for /topic/callTaskStatus/{projectCode}. */
  statusOf(task: Task): object;
  /** Ends tasks whose expiredTime passed (and publishes /topic/task). */
  expireDue(now: number): void;
  /** Answered customers of the task still waiting for an agent (no agent connected yet). */
  waitingCustomers(taskCode: string): number;
  /** Calls in flight to FreeSWITCH per node and second; defaults to the node's sessions-per-second. */
  tickMs?: number;
  /** How long to ring a customer (originate_timeout, seconds). */
  ringSeconds?: number;
  /** How long to ring an agent's phone for an agent-first call (seconds). */
  agentRingSeconds?: number;
  /** Agent-first: attempts whose agent never takes the call before the number is settled as 32 (default 3). */
  agentFirstMaxTries?: number;
  /** Do-not-call and per-number window screening of a task's numbers at dispensing (dialer/screening.ts). */
  screenFor?(task: Task): Screen | undefined;
  /** Off-hook agents holding a fifo leg, per project (scheduleType 4 paces on these only). */
  heldAgents?(projectCode: string): ReadonlySet<string>;
  /** Told when a task's calling window opens or closes (the task service publishes it). */
  windowChanged?(task: Task, open: boolean): void;
}

/** What the dialer last decided about a task, shown in callTaskStatus (issue 14.2, 14.7). */
export interface TaskDialState {
  /** Staffed agents of the project this task paces on (its share when several tasks run), and idle among them. */
  agentShare: number;
  idleAgentShare: number;
  /** Inside the calling window (always true without one). */
  windowOpen: boolean;
  /** When the window next opens or closes (epoch ms), if it has one. */
  windowChangesAt: number | null;
  /** Why the running task launched nothing and has no call in progress (issue 17.12); null while it dials. */
  notDialling: NotDialling | null;
}

/** Tasks whose customers need agents, and so share the project's agents. */
const NEEDS_AGENTS: readonly number[] = [
  ScheduleType.directToAgent,
  ScheduleType.playThenAgent,
  ScheduleType.agentFirst,
  ScheduleType.offHookAgent,
];

/** Agent subsets rotate between equal tasks once a minute, so small teams give every task its turn. */
const SHARE_TURN_MS = 60_000;

const parseJson = <T>(text: string | null): T | undefined => {
  if (text === null) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
};

export class Dialer {
  private readonly pacers = new Map<number, { mode: string; pacer: Pacer }>();
  private readonly attempts = new Map<string, Attempt>();
  /** Live answered legs we originated (callId → attempt), until the leg's outcome is stored. */
  private readonly answered = new Map<string, Attempt>();
  /** Agent-first calls whose agent answered (callId → gateway line held), until the outcome is stored. */
  private readonly agentFirst = new Map<
    string,
    { gatewayId: number; taskId?: number; numberId?: number; retries?: number }
  >();
  private readonly dialStates = new Map<number, TaskDialState>();
  /** Each task's calling window as last computed: open or not, until when (recomputed when due or changed). */
  private readonly windows = new Map<number, { text: string; open: boolean; changesAt: number | null }>();
  private readonly recentOriginates = new Map<number, number[]>();
  private timer: TimerHandle | undefined;
  private lastStatusAt = 0;
  private running = false;

  constructor(private readonly d: DialerDeps) {
    // Pacers learn how long calls keep agents busy from each agent freed by a call of their project.
    d.agents.onChange((entry, before) => {
      if (before.talkingSince === null && entry.state.talkingSince !== null && entry.state.callId) {
        const a = this.answered.get(entry.state.callId);
        if (a && a.connectedAt === undefined) a.connectedAt = entry.state.talkingSince;
      }
      if (before.talkingSince === null || entry.state.talkingSince !== null) return;
      const now = d.clock.now();
      for (const [taskId, { pacer }] of this.pacers) {
        const task = this.taskProjects.get(taskId);
        if (task === entry.projectId)
          pacer.observe({ kind: 'agent-freed', at: now, talkMs: now - before.talkingSince });
      }
    });
  }

  /** The task has calls of its own in progress: ringing, answered, an agent-first agent ringing, or queued. */
  private hasCalls(task: Task): boolean {
    for (const a of this.attempts.values()) if (a.task.id === task.id) return true;
    for (const a of this.answered.values()) if (a.task.id === task.id) return true;
    for (const a of this.agentFirst.values()) if (a.taskId === task.id) return true;
    return this.d.waitingCustomers(task.callTaskCode) > 0;
  }

  /** The project of each task that has a pacer. */
  private readonly taskProjects = new Map<number, number>();

  /** The number is being dialled by this process (as opposed to one a previous run left 'dialing'). */
  dials(numberId: number): boolean {
    for (const a of this.attempts.values()) if (a.numberId === numberId) return true;
    for (const a of this.answered.values()) if (a.numberId === numberId) return true;
    for (const a of this.agentFirst.values()) if (a.numberId === numberId) return true;
    return false;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule();
  }

  stop(): void {
    this.running = false;
    this.timer?.cancel();
    for (const a of this.attempts.values()) a.settleTimer?.cancel();
  }

  private schedule(): void {
    if (!this.running) return;
    this.timer = this.d.clock.setTimer(this.d.tickMs ?? 500, () => {
      try {
        this.tick();
      } catch (err) {
        this.d.log.warn({ err }, 'dialer tick failed');
      }
      this.schedule();
    });
  }

  /** Attempts originated and not yet answered or failed, per task. */
  ringing(taskId: number): Attempt[] {
    return [...this.attempts.values()].filter((a) => a.task.id === taskId && !a.answered);
  }

  tick(): void {
    const { d } = this;
    const now = d.clock.now();
    d.expireDue(now);
    const running = d.db
      .select()
      .from(tasks)
      .where(and(eq(tasks.status, TaskStatus.running), eq(tasks.callType, CallType.predictive)))
      .all();
    const byProject = new Map<number, Task[]>();
    for (const task of running) {
      if (!this.windowAllows(task, now)) {
        this.explain(task, now);
        continue;
      }
      byProject.set(task.projectId, [...(byProject.get(task.projectId) ?? []), task]);
    }
    for (const [projectId, projectTasks] of byProject) {
      const shares = this.shareAgents(projectId, projectTasks, now);
      for (const task of projectTasks) {
        this.dialTask(task, now, shares.get(task.id));
        this.explain(task, now);
      }
    }
    for (const id of this.dialStates.keys())
      if (!running.some((t) => t.id === id)) this.dialStates.delete(id);
    if (now - this.lastStatusAt >= 2000) {
      this.lastStatusAt = now;
      for (const task of running) this.publishStatus(task);
    }
  }

  /** What the dialer last decided about the task (callTaskStatus). */
  dialState(taskId: number): TaskDialState | undefined {
    return this.dialStates.get(taskId);
  }

  private setDialState(taskId: number, patch: Partial<TaskDialState>): TaskDialState {
    const next: TaskDialState = {
      agentShare: 0,
      idleAgentShare: 0,
      windowOpen: true,
      windowChangesAt: null,
      notDialling: null,
      ...this.dialStates.get(taskId),
      ...patch,
    };
    this.dialStates.set(taskId, next);
    return next;
  }

  /**
   * Issue 14.7: outside its calling window a running task launches nothing (it stays `running`: it pauses and
   * resumes by itself, and callTaskStatus says so). Calls already in progress go on.
   */
  private windowAllows(task: Task, now: number): boolean {
    const before = this.windows.get(task.id);
    if (task.callingWindow === null) {
      this.windows.delete(task.id);
      this.setDialState(task.id, { windowOpen: true, windowChangesAt: null });
      if (before && !before.open) this.windowTurned(task, true);
      return true;
    }
    // Recomputed when the window changes, and when the moment it was due to open or close has come.
    let state = before;
    if (!state || state.text !== task.callingWindow || (state.changesAt !== null && now >= state.changesAt)) {
      const window = windowOf(task.callingWindow);
      if (!window) return true;
      state = { text: task.callingWindow, open: isOpen(window, now), changesAt: nextChange(window, now) };
      this.windows.set(task.id, state);
    }
    this.setDialState(task.id, { windowOpen: state.open, windowChangesAt: state.changesAt });
    if ((before?.open ?? true) !== state.open) this.windowTurned(task, state.open);
    return state.open;
  }

  /**
   * Issue 17.12: after the tick's decisions, records why the task is not dialling (see not-dialling.ts) and tells
   * /topic/task/{projectCode} when that reason changes, so a manager sees it without asking.
   */
  private explain(task: Task, now: number): void {
    const state = this.dialStates.get(task.id);
    const project = this.d.repos.projects.get(task.projectId);
    if (!project) return;
    const why = this.hasCalls(task)
      ? null
      : whyNotDialling({
          dialling: false,
          node: {
            name: this.d.repos.nodes.get(project.nodeId)?.name ?? String(project.nodeId),
            connected: this.d.nodes.isConnected(project.nodeId),
          },
          window: { open: state?.windowOpen ?? true, changesAt: state?.windowChangesAt ?? null },
          gateways: this.gatewayRoom(task).map((r) => ({ gwCode: r.gateway.gwCode, room: r.room })),
          nodeRoom: this.nodeRoom(project.nodeId, now),
          numbersDue: () => this.d.numbers.hasDue(task.id, now),
          agents: NEEDS_AGENTS.includes(task.scheduleType)
            ? { staffed: state?.agentShare ?? 0, idle: state?.idleAgentShare ?? 0 }
            : undefined,
        });
    this.setDialState(task.id, { notDialling: why });
    if ((state?.notDialling?.reason ?? null) !== (why?.reason ?? null))
      this.d.publisher.publish(`/topic/task/${project.projectCode}`, {
        status: task.status,
        callTaskCode: task.callTaskCode,
        notDialling: why,
      });
  }

  private windowTurned(task: Task, open: boolean): void {
    this.d.metrics.inc(open ? 'dialer.window_opened' : 'dialer.window_closed');
    this.d.windowChanged?.(task, open);
  }

  /**
   * Issue 14.2: the project's staffed agents are split between its running tasks that need agents, by weight, so
   * each pacer paces on its own agents and two tasks never dial for the same idle agent. A task needs agents while
   * it has a number due or calls of its own in progress; a running task that has dialled everything (its numbers
   * done, or due later) takes no share, so it cannot starve the tasks that still have numbers to dial.
   */
  private shareAgents(projectId: number, projectTasks: Task[], now: number): Map<number, AgentEntry[]> {
    const project = this.d.repos.projects.get(projectId);
    const out = new Map<number, AgentEntry[]>();
    if (!project) return out;
    const needing = projectTasks.filter((t) => NEEDS_AGENTS.includes(t.scheduleType));
    for (const t of needing) out.set(t.id, []);
    const agentTasks = needing.filter((t) => this.d.numbers.hasDue(t.id, now) || this.hasCalls(t));
    if (agentTasks.length === 0) return out;
    const held = this.d.heldAgents?.(project.projectCode);
    const staffed = this.d.agents.ofProject(project.projectCode).filter(
      (a) =>
        a.type === 2 &&
        a.state.workStatus === 1 &&
        a.state.regStatus === 1 &&
        // Off-hook tasks can only use agents holding a fifo leg; others use any staffed agent.
        (agentTasks.every((t) => t.scheduleType === ScheduleType.offHookAgent)
          ? held?.has(a.username)
          : true),
    );
    const split = splitAgents(
      staffed,
      agentTasks.map((t) => ({ id: t.id, weight: t.agentWeight })),
      Math.floor(now / SHARE_TURN_MS),
    );
    for (const t of agentTasks) out.set(t.id, split.get(t.id) ?? []);
    return out;
  }

  publishStatus(task: Task): void {
    const project = this.d.repos.projects.get(task.projectId);
    if (project)
      this.d.publisher.publish(`/topic/callTaskStatus/${project.projectCode}`, this.d.statusOf(task));
  }

  private pacerFor(task: Task): Pacer {
    const mode = `${task.pacing}:${task.abandonTarget ?? ''}`;
    const known = this.pacers.get(task.id);
    if (known && known.mode === mode) return known.pacer;
    const pacer = createPacer(task.pacing as PacingMode, {
      adaptive: task.abandonTarget !== null ? { targetAbandonRate: task.abandonTarget } : undefined,
    });
    this.pacers.set(task.id, { mode, pacer });
    this.taskProjects.set(task.id, task.projectId);
    return pacer;
  }

  /** Room on each of the task's gateways: the task's own limit and the gateway's free lines, whichever is less. */
  private gatewayRoom(task: Task): { gateway: Gateway; room: number }[] {
    const rows = this.d.db.select().from(taskGateways).where(eq(taskGateways.taskId, task.id)).all();
    const mine = [...this.attempts.values(), ...this.answered.values()].filter((a) => a.task.id === task.id);
    return rows.flatMap((row) => {
      const gateway = this.d.repos.gateways.get(row.gatewayId);
      if (!gateway || gateway.status !== 1) return [];
      const byTask =
        mine.filter((a) => a.gatewayId === gateway.id).length +
        [...this.agentFirst.values()].filter((f) => f.taskId === task.id && f.gatewayId === gateway.id)
          .length;
      const free = (gateway.expectCount ?? 0) - this.d.gatewayUsage.inUse(gateway.id);
      return [{ gateway, room: Math.max(0, Math.min(row.concurrency - byTask, free)) }];
    });
  }

  /** Originates this node may still start this second, and sessions it may still open. */
  private nodeRoom(nodeId: number, now: number): number {
    const node = this.d.repos.nodes.get(nodeId);
    if (!node || !this.d.nodes.isConnected(nodeId)) return 0;
    const recent = (this.recentOriginates.get(nodeId) ?? []).filter((t) => now - t < 1000);
    this.recentOriginates.set(nodeId, recent);
    // Every call we make can open two sessions (customer and agent): keep half of each limit for agent legs.
    const perSecond = Math.floor(node.sessionsPerSecond / 2) - recent.length;
    const sessions = Math.floor(node.maxSessions / 2) - this.attempts.size - this.answered.size;
    return Math.max(0, Math.min(perSecond, sessions));
  }

  private dialTask(task: Task, now: number, share: AgentEntry[] | undefined): void {
    const flow = FLOW_OF[task.scheduleType];
    const project = this.d.repos.projects.get(task.projectId);
    if (!flow || !project || project.status !== 1) return;
    const rooms = this.gatewayRoom(task);
    const capacity = Math.min(
      rooms.reduce((sum, r) => sum + r.room, 0),
      this.nodeRoom(project.nodeId, now),
    );
    // The task's agents: its share of the project's staffed agents (issue 14.2); off-hook tasks count only agents
    // holding a fifo leg (issue 14.4): an available agent without one cannot take an off-hook customer.
    const held =
      task.scheduleType === ScheduleType.offHookAgent ? this.d.heldAgents?.(project.projectCode) : undefined;
    const agents = (share ?? []).filter((a) => !held || held.has(a.username));
    const idle = agents.filter((a) => isOfferable(a.state));
    this.setDialState(task.id, { agentShare: agents.length, idleAgentShare: idle.length });
    const screen = this.d.screenFor?.(task);
    if (task.scheduleType === ScheduleType.agentFirst)
      return this.dialAgentsFirst(
        task,
        project.projectCode,
        project.nodeId,
        rooms,
        capacity,
        now,
        idle,
        screen,
      );
    const ringing = this.ringing(task.id);
    const waiting = this.d.waitingCustomers(task.callTaskCode);
    const pacer = this.pacerFor(task);
    // play-only tasks need no agents: their pace is the capacity itself, scaled by the rate.
    const wanted =
      task.scheduleType === ScheduleType.playOnly
        ? Math.min(capacity, Math.max(0, Math.floor(task.rate * capacity) - ringing.length))
        : pacer.decide({
            now,
            idleAgents: idle.length,
            staffedAgents: agents.length,
            ringingAttempts: ringing.length,
            waitingCustomers: waiting,
            rate: task.rate,
            capacity,
            ringingSince: ringing.map((a) => a.startedAt),
            busySince: agents.flatMap((a) => (a.state.talkingSince !== null ? [a.state.talkingSince] : [])),
          });
    if (wanted <= 0) return;
    const numbers = this.d.numbers.dispense(task.id, wanted, now, screen);
    for (const number of numbers) {
      const room = rooms
        .filter((r) => r.room > 0)
        .sort((a, b) => this.d.gatewayUsage.inUse(a.gateway.id) - this.d.gatewayUsage.inUse(b.gateway.id))[0];
      if (!room) {
        // Cannot happen while capacity held; settle instead of leaving the number stuck in 'dialing'.
        this.d.numbers.settle(number.id, { callUuid: '', resultDetail: 5 }, now);
        continue;
      }
      room.room--;
      this.originate(task, project.projectCode, project.nodeId, room.gateway, number, flow, now);
    }
  }

  private dialString(gateway: Gateway, phone: string): string {
    const mobile = /^(\+?86)?1\d{10}$/.test(phone);
    const prefix = (mobile ? gateway.mobilePhonePrefix : gateway.fixedPhonePrefix) ?? '';
    // Carriers that register to us (registerType 2) have no sofia gateway: send straight to their address.
    return gateway.registerType === 2
      ? `sofia/external/${prefix}${phone}@${gateway.realm}`
      : `sofia/gateway/${gateway.gwCode}/${prefix}${phone}`;
  }

  private originate(
    task: Task,
    projectCode: string,
    nodeId: number,
    gateway: Gateway,
    number: DispensedNumber,
    flow: string,
    now: number,
  ): void {
    const { d } = this;
    const callId = randomUUID();
    const attempt: Attempt = {
      callId,
      task,
      gatewayId: gateway.id,
      numberId: number.id,
      phone: number.phone,
      retries: number.retries ?? 0,
      startedAt: now,
      answered: false,
    };
    d.numbers.markCall(number.id, callId, now);
    this.attempts.set(callId, attempt);
    d.gatewayUsage.acquire(gateway.id);
    (this.recentOriginates.get(nodeId) ?? this.recentOriginates.set(nodeId, []).get(nodeId))?.push(now);
    d.metrics.inc('dialer.originates');
    const command = FsCommand.originate(
      {
        origination_uuid: callId,
        origination_caller_id_number: gateway.originationCallId ?? undefined,
        originate_timeout: d.ringSeconds ?? 30,
        ignore_early_media: 'true',
        cc_call_id: callId,
        cc_role: 'customer',
        cc_flow: flow,
        cc_project: projectCode,
        cc_task: task.callTaskCode,
        cc_number: number.phone,
        cc_number_id: number.id,
        cc_gw: gateway.gwCode,
      },
      this.dialString(gateway, number.phone),
      socketAppFor(d.socket().host, d.socket().port),
    );
    void d.nodes.bgapi(nodeId, command, { timeoutMs: ((d.ringSeconds ?? 30) + 30) * 1000 }).then((r) => {
      // Stopped meanwhile (shutdown closes the node links, failing every pending originate): the store may be
      // closed; numbers left 'dialing' are settled from FreeSWITCH at the next start (recoverAtStartup).
      if (!this.running) return;
      if (r.ok) {
        attempt.answered = true;
        attempt.answeredAt = d.clock.now();
        this.attempts.delete(callId);
        this.answered.set(callId, attempt);
        d.metrics.inc('dialer.answers');
        this.pacerFor(task).observe({
          kind: 'attempt-ended',
          at: d.clock.now(),
          answered: true,
          ringMs: d.clock.now() - attempt.startedAt,
        });
        return;
      }
      attempt.jobError =
        r.error.kind === 'err'
          ? r.error.text.split(/\s/)[0]
          : r.error.kind === 'timeout'
            ? 'RECOVERY_ON_TIMER_EXPIRE'
            : 'NORMAL_TEMPORARY_FAILURE';
      // CHANNEL_HANGUP_COMPLETE may come before or after BACKGROUND_JOB (fixtures README): wait briefly for it.
      if (attempt.hangup) this.settleFailed(attempt);
      else attempt.settleTimer = d.clock.setTimer(1000, () => this.settleFailed(attempt));
    });
  }

  /** Hangup events of legs we originated (from the node link). */
  onNodeEvent(event: EslEvent): void {
    if (event.name !== 'CHANNEL_HANGUP_COMPLETE') return;
    const uuid = event.headers['Unique-ID'];
    const attempt = uuid ? this.attempts.get(uuid) : undefined;
    if (!attempt) return;
    attempt.hangup = { ...event.headers };
    if (attempt.jobError) {
      attempt.settleTimer?.cancel();
      this.settleFailed(attempt);
    }
  }

  private settleFailed(a: Attempt): void {
    if (!this.running || !this.attempts.delete(a.callId)) return;
    const { d } = this;
    const now = d.clock.now();
    d.gatewayUsage.release(a.gatewayId);
    const h = a.hangup ?? {};
    const cause = h['Hangup-Cause'] ?? a.jobError ?? 'NORMAL_TEMPORARY_FAILURE';
    const outcome = classifyCall({
      answered: false,
      hangupCause: cause,
      sipTermStatus: h['variable_sip_term_status'],
      hangupDisposition: h['variable_sip_hangup_disposition'],
      flow: { agentConnected: false, waitingForAgent: false },
    });
    const gateway = d.repos.gateways.get(a.gatewayId);
    d.repos.callLogs.upsert(
      a.callId,
      {
        taskId: a.task.id,
        projectId: a.task.projectId,
        callTaskCode: a.task.callTaskCode,
        destinationNumber: a.phone,
        gatewayId: a.gatewayId,
        startTimestamp: a.startedAt,
        endTimestamp: now,
        duration: Math.round((now - a.startedAt) / 1000),
        billsec: 0,
        hangupCause: cause,
        sipTermStatus: h['variable_sip_term_status'] ?? null,
        hangupDisposition: h['variable_sip_hangup_disposition'] ?? null,
        priceRule: gateway ? priceRuleOf(gateway) : null,
        priceCal: gateway && priceRuleOf(gateway) ? 0 : null,
        result: outcome.result,
        resultDetail: outcome.resultDetail,
      },
      now,
    );
    d.numbers.settle(a.numberId, { callUuid: a.callId, resultDetail: outcome.resultDetail }, now);
    this.retryIfRuled(a.task.id, a.numberId, a.retries, outcome.resultDetail, now);
    d.metrics.inc('dialer.failed');
    this.pacerFor(a.task).observe({
      kind: 'attempt-ended',
      at: now,
      answered: false,
      ringMs: now - a.startedAt,
    });
  }

  /**
   * scheduleType 3: no prediction is needed, each free agent gets one number. The agent is reserved first, so the
   * same agent is never rung twice; a number whose agent did not answer goes back to pending for another agent.
   */
  private dialAgentsFirst(
    task: Task,
    projectCode: string,
    nodeId: number,
    rooms: { gateway: Gateway; room: number }[],
    capacity: number,
    now: number,
    idle: AgentEntry[],
    screen: Screen | undefined,
  ): void {
    const { d } = this;
    const mine = new Set(idle.map((a) => a.username));
    const others = new Set(
      d.agents
        .ofProject(projectCode)
        .map((a) => a.username)
        .filter((u) => !mine.has(u)),
    );
    for (const number of d.numbers.dispense(task.id, Math.min(idle.length, capacity), now, screen)) {
      const room = rooms.find((r) => r.room > 0);
      const callId = randomUUID();
      const agent = room && d.agents.reserveLongestIdle(projectCode, callId, others);
      if (!room || !agent) {
        this.returnNumber(number.id, now);
        continue;
      }
      room.room--;
      const call = { agent: agent.username, projectCode, nodeId, gateway: room.gateway, phone: number.phone };
      void this.originateAgentFirst({ ...call, task, numberId: number.id }, callId, number.retries).then(
        (r) => {
          if (r.ok) return;
          const cap = d.agentFirstMaxTries ?? 3;
          const log = { callUuid: callId, agent: agent.username, cause: r.cause, projectId: task.projectId };
          const fate = d.numbers.agentMissed(
            number.id,
            cap,
            { ...log, callTaskCode: task.callTaskCode },
            d.clock.now(),
          );
          d.metrics.inc(fate === 'settled' ? 'dialer.agent_first_gave_up' : 'dialer.agent_first_missed');
        },
      );
    }
  }

  private returnNumber(id: number, now: number): void {
    this.d.db
      .update(taskNumbers)
      .set({ state: 'pending', updatedAt: now })
      .where(eq(taskNumbers.id, id))
      .run();
  }

  /**
   * Rings the agent (user/EXT, auto-answer) with the socket app; once the agent answers, the agent-first flow
   * bridges to the customer. The caller reserves the agent for `callId` if it can; on failure the reservation is
   * released here and the reason returned (the agent's phone is off, busy, or did not answer).
   */
  async originateAgentFirst(
    c: AgentFirstCall,
    callId: string = randomUUID(),
    retries = 0,
  ): Promise<AgentFirstResult> {
    const { d } = this;
    const domain = d.repos.nodes.get(c.nodeId)?.sipDomain ?? '';
    d.gatewayUsage.acquire(c.gateway.id);
    d.metrics.inc('dialer.agent_first_originates');
    const ring = d.agentRingSeconds ?? 20;
    const command = FsCommand.originate(
      {
        origination_caller_id_number: c.phone,
        originate_timeout: ring,
        'sip_h_X-CC-Auto-Answer': 'true',
        cc_call_id: callId,
        cc_role: 'agent',
        cc_flow: 'agent-first',
        cc_agent: c.agent,
        cc_project: c.projectCode,
        cc_task: c.task?.callTaskCode,
        cc_number: c.phone,
        cc_number_id: c.numberId,
        cc_gw: c.gateway.gwCode,
        cc_dial: this.dialString(c.gateway, c.phone),
        cc_caller_id: c.gateway.originationCallId ?? undefined,
      },
      domain ? `user/${c.agent}@${domain}` : `user/${c.agent}`,
      socketAppFor(d.socket().host, d.socket().port),
    );
    this.agentFirst.set(callId, {
      gatewayId: c.gateway.id,
      taskId: c.task?.id,
      numberId: c.numberId,
      retries,
    });
    d.publisher.publish(`/topic/invite/${c.agent}`, {
      callId,
      callTaskCode: c.task?.callTaskCode ?? '',
      telNo: c.phone,
    });
    const r = await d.nodes.bgapi(c.nodeId, command, { timeoutMs: (ring + 30) * 1000 });
    if (r.ok) return { ok: true, callId };
    this.agentFirst.delete(callId);
    d.gatewayUsage.release(c.gateway.id);
    d.agents.apply(c.agent, { kind: 'release', callId });
    const cause = r.error.kind === 'err' ? r.error.text.split(/\s/)[0] : r.error.kind;
    return { ok: false, reason: `extension ${c.agent} did not take the call (${cause})`, cause };
  }

  /**
   * An agent dialled a customer from the phone (cc_flow=agent_call): a line of the gateway is held for the call until
   * its outcome is stored (legEnded), as for agent-first calls we originate.
   */
  acceptAgentCall(
    c: { gateway: Gateway; phone: string },
    callId: string,
  ): { dial: string; callerId?: string } {
    this.d.gatewayUsage.acquire(c.gateway.id);
    this.agentFirst.set(callId, { gatewayId: c.gateway.id });
    this.d.metrics.inc('dialer.agent_calls');
    return { dial: this.dialString(c.gateway, c.phone), callerId: c.gateway.originationCallId ?? undefined };
  }

  /** The runner stored an answered leg's outcome: free its gateway line and teach the pacer. */
  legEnded(callId: string, resultDetail: number): void {
    const first = this.agentFirst.get(callId);
    const now = this.d.clock.now();
    if (first) {
      this.agentFirst.delete(callId);
      this.d.gatewayUsage.release(first.gatewayId);
      if (first.taskId !== undefined && first.numberId !== undefined)
        this.retryIfRuled(first.taskId, first.numberId, first.retries ?? 0, resultDetail, now);
      return;
    }
    const a = this.answered.get(callId);
    if (!a) return;
    this.answered.delete(callId);
    this.d.gatewayUsage.release(a.gatewayId);
    // One rule (pacing/abandon.ts) for the pacer and for the stored verdict the abandon-rate report counts.
    const waitMs = a.connectedAt !== undefined ? a.connectedAt - (a.answeredAt ?? a.connectedAt) : null;
    const verdict = judgeLiveAnswer(resultDetail, waitMs, MAX_AGENT_WAIT_MS);
    if (!verdict.live || a.task.scheduleType === ScheduleType.playOnly) return;
    this.d.repos.callLogs.upsert(
      callId,
      { abandoned: verdict.abandoned ? 1 : 0, agentWaitMs: verdict.waitMs },
      now,
    );
    this.d.metrics.inc(verdict.abandoned ? 'dialer.abandoned' : 'dialer.connected');
    this.pacerFor(a.task).observe({
      kind: verdict.abandoned ? 'abandoned' : 'connected',
      at: now,
      waitMs: verdict.waitMs ?? now - (a.answeredAt ?? a.startedAt),
    });
  }

  /** Issue 14.8: a failed attempt whose outcome has a retry rule goes back to pending, due later. */
  private retryIfRuled(
    taskId: number,
    numberId: number,
    retries: number,
    resultDetail: number,
    now: number,
  ): void {
    const task = this.d.repos.tasks.get(taskId);
    const rules = parseJson<RetryRule[]>(task?.retryRules ?? null);
    if (!task || !rules) return;
    const at = retryAt(rules, resultDetail, retries, now);
    if (at !== null && this.d.numbers.retryLater(numberId, at, now)) this.d.metrics.inc('dialer.retries');
  }

  /** Calls in flight (ringing + answered) per task, for callTaskStatus.runningCnt. */
  inFlight(taskId: number): number {
    const firsts = [...this.agentFirst.values()].filter((f) => f.taskId === taskId).length;
    return (
      firsts +
      [...this.attempts.values(), ...this.answered.values()].filter((a) => a.task.id === taskId).length
    );
  }

  /** Kill every attempt of a task (callTaskEnd, finishProject). */
  async hangupTask(taskId: number, nodeId: number): Promise<void> {
    for (const a of [...this.attempts.values(), ...this.answered.values()])
      if (a.task.id === taskId) await this.d.nodes.api(nodeId, FsCommand.kill(a.callId));
  }
}
