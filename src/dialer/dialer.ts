// The predictive dialer (architecture §6), a coordinator over its units: every tick, for each running predictive
// task inside its calling window (task-windows.ts), the project's agents are shared between its tasks
// (agent-share.ts), room is measured on the task's gateways and node (capacity.ts), and the task's pacer decides how
// many customers to call (customer-calls.ts) or its free agents are rung first (agent-first.ts). Calls in flight are
// tracked in one book (attempts.ts); numbers are dispensed atomically (pending → dialing) from the number store.
import type { AgentEntry, AgentRegistry } from '../agents/registry.js';
import { isOfferable } from '../agents/state.js';
import type { Clock, TimerHandle } from '../core/clock.js';
import { ScheduleType } from '../core/codes.js';
import type { Metrics } from '../core/metrics.js';
import type { Publisher } from '../core/ports.js';
import { EventHub } from '../core/events.js';
import { Topics } from '../core/topics.js';
import type { Gateway } from '../db/repos/gateways.js';
import type { Repos } from '../db/repos/index.js';
import type { EslEvent } from '../esl/index.js';
import type { NodeLinks } from '../switch/nodes.js';
import type { SocketLegs } from '../calls/socket-guard.js';
import { NEEDS_AGENTS, shareAgents } from './agent-share.js';
import { whyNotDialling, type NotDialling } from './not-dialling.js';
import { AgentFirstCalls, type AgentFirstCall, type AgentFirstResult } from './agent-first.js';
import { AttemptBook, type Task } from './attempts.js';
import { DialCapacity } from './capacity.js';
import { CustomerCalls } from './customer-calls.js';
import type { GatewayUsage } from './gateway-usage.js';
import type { DialerView } from './dialer-view.js';
import type { Fence, NumberSource, Screen } from './number-source.js';
import { TaskPacers } from './task-pacers.js';
import { TaskWindows } from './task-windows.js';

export type { AgentFirstCall, AgentFirstResult, Task };

/** The socket flow a customer leg of each scheduleType runs (calls/runner.ts knows these names). */
const FLOW_OF: Partial<Record<number, string>> = {
  [ScheduleType.directToAgent]: 'direct',
  [ScheduleType.playThenAgent]: 'play-agent',
  [ScheduleType.playOnly]: 'play',
  [ScheduleType.offHookAgent]: 'off-hook',
  // The leg originated here is the agent's; its flow bridges to the customer (originateAgentFirst).
  [ScheduleType.agentFirst]: 'agent-first',
};

interface DialerDeps {
  /** Reads what a tick decides on (db/repos/dialer-view.ts). */
  view: { load(now: number): Promise<DialerView> };
  repos: Pick<Repos, 'callLogs' | 'tasks' | 'gateways' | 'nodes'>;
  clock: Clock;
  metrics: Metrics;
  agents: AgentRegistry;
  nodes: NodeLinks;
  gatewayUsage: GatewayUsage;
  publisher: Publisher;
  numbers: NumberSource;
  /** Where FreeSWITCH reaches our outbound socket (the listening address, known once it listens). */
  socket: () => { host: string; port: number };
  /** Every leg sent to the socket is announced there and carries its node's token (issue 17.1). */
  socketLegs: SocketLegs;
  log: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void };
  /** Answered customers of the task still waiting for an agent (no agent connected yet). */
  waitingCustomers(taskCode: string): number;
  /** How often the dialer paces its tasks (ms, default 500). */
  tickMs?: number;
  /** How long to ring a customer (originate_timeout, seconds). */
  ringSeconds?: number;
  /** How long to ring an agent's phone for an agent-first call (seconds). */
  agentRingSeconds?: number;
  /** Agent-first: attempts whose agent never takes the call before the number is settled as 32 (default 3). */
  agentFirstMaxTries?: number;
  /** Do-not-call and per-number window screening of a task's numbers at dispensing (dialer/screening.ts). */
  screenFor?(task: Task, projectCode: string): Screen | undefined;
  /** Off-hook agents holding a fifo leg, per project (scheduleType 4 paces on these only). */
  heldAgents?(projectCode: string): ReadonlySet<string>;
  /** In a cluster (issue 20): only projects this instance owns are paced, their writes fenced by the lease. */
  ownership?: DialerOwnership;
  /** In a cluster: this instance's part of each gateway's and node's limits (DialCapacity.share). */
  share?(resource: string, limit: number, inUse: () => number): number;
}

export interface DialerOwnership {
  mayAct(projectCode: string): boolean;
  fenceOf(projectCode: string): Fence | undefined;
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

/**
 * What the dialer tells the task service (dialer/tasks.ts), which subscribes once both exist: a tick starting (tasks
 * whose expiredTime passed end before anything is dialled), the running tasks it paced (their progress is published
 * every 2 s), and a task's calling window opening or closing.
 */
interface DialerEvents {
  tick: [now: number];
  paced: [running: Task[]];
  windowTurned: [task: Task, open: boolean];
}

export class Dialer {
  readonly events: EventHub<DialerEvents>;
  private readonly book = new AttemptBook();
  private readonly capacity: DialCapacity;
  private readonly pacers: TaskPacers;
  private readonly windows: TaskWindows;
  private readonly customers: CustomerCalls;
  private readonly agentFirst: AgentFirstCalls;
  private readonly dialStates = new Map<number, TaskDialState>();
  private timer: TimerHandle | undefined;
  private lastStatusAt = 0;
  private running = false;
  /** The projects of the last tick's view (their codes, for ringingInProject). */
  private projects: DialerView['projects'] = new Map();

  constructor(private readonly d: DialerDeps) {
    this.events = new EventHub<DialerEvents>((err) => d.log.warn({ err }, 'a dialer listener failed'));
    const book = this.book;
    this.capacity = new DialCapacity({ ...d, book, isNodeConnected: (id) => d.nodes.isConnected(id) });
    this.pacers = new TaskPacers(d.agents, d.clock, (callId, at) =>
      this.customers.agentConnected(callId, at),
    );
    this.windows = new TaskWindows((task, open) => {
      d.metrics.inc(open ? 'dialer.window_opened' : 'dialer.window_closed');
      this.events.emit('windowTurned', task, open);
    });
    const running = () => this.running;
    this.customers = new CustomerCalls({ ...d, book, capacity: this.capacity, pacers: this.pacers, running });
    this.agentFirst = new AgentFirstCalls({
      ...d,
      book,
      returnNumber: (id, now) => d.numbers.giveBack(id, now),
    });
  }

  /** The number is being dialled by this process (as opposed to one a previous run left 'dialing'). */
  dials(numberId: number): boolean {
    return this.book.dials(numberId);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule();
  }

  /**
   * Whether a customer of the project is still being rung by this instance: its answer comes to this instance's
   * socket, so a stopping owner keeps the project until it has (issue 20, App.close).
   */
  ringingInProject(projectCode: string): boolean {
    return this.book.anyRinging((task) => this.projects.get(task.projectId)?.projectCode === projectCode);
  }

  stop(): void {
    this.running = false;
    this.timer?.cancel();
    this.book.cancelTimers();
  }

  private schedule(): void {
    if (!this.running) return;
    // The next tick is scheduled when this one is over, so two ticks never interleave their awaits.
    this.timer = this.d.clock.setTimer(this.d.tickMs ?? 500, () => {
      this.tick()
        .catch((err: unknown) => this.d.log.warn({ err }, 'dialer tick failed'))
        .finally(() => this.schedule());
    });
  }

  /** One pacing round; exported for tests through the timer only. */
  private async tick(): Promise<void> {
    const { d } = this;
    const now = d.clock.now();
    await this.events.emitAsync('tick', now);
    const view = await d.view.load(now);
    this.projects = view.projects;
    // Another instance's projects are not ours to pace, explain or report (issue 20).
    const owns = (t: Task) =>
      !d.ownership || d.ownership.mayAct(view.projects.get(t.projectId)?.projectCode ?? '');
    const running = view.running.filter(owns);
    const byProject = new Map<number, Task[]>();
    for (const task of running) {
      const window = this.windows.check(task, now);
      this.setDialState(task.id, { windowOpen: window.open, windowChangesAt: window.changesAt });
      if (!window.open) {
        this.explain(task, now, view);
        continue;
      }
      byProject.set(task.projectId, [...(byProject.get(task.projectId) ?? []), task]);
    }
    for (const [projectId, projectTasks] of byProject) {
      const project = view.projects.get(projectId);
      if (!project) continue;
      const shares = shareAgents(
        {
          agents: d.agents,
          hasDue: (taskId) => view.due.has(taskId),
          hasCalls: (t) => this.hasCalls(t),
          heldAgents: d.heldAgents,
        },
        project.projectCode,
        projectTasks,
        now,
      );
      for (const task of projectTasks) {
        await this.dialTask(task, now, shares.get(task.id), view);
        this.explain(task, now, view);
      }
    }
    for (const id of this.dialStates.keys())
      if (!running.some((t) => t.id === id)) this.dialStates.delete(id);
    if (now - this.lastStatusAt >= 2000) {
      this.lastStatusAt = now;
      this.events.emit('paced', running);
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

  /** The task has calls of its own in progress: ringing, answered, an agent-first agent ringing, or queued. */
  private hasCalls(task: Task): boolean {
    return this.book.hasCalls(task.id) || this.d.waitingCustomers(task.callTaskCode) > 0;
  }

  /**
   * Issue 17.12: after the tick's decisions, records why the task is not dialling (see not-dialling.ts) and tells
   * /topic/task/{projectCode} when that reason changes, so a manager sees it without asking.
   */
  private explain(task: Task, now: number, view: DialerView): void {
    const state = this.dialStates.get(task.id);
    const project = view.projects.get(task.projectId);
    if (!project) return;
    const why = this.hasCalls(task)
      ? null
      : whyNotDialling({
          dialling: false,
          node: {
            name: view.nodes.get(project.nodeId)?.name ?? String(project.nodeId),
            connected: this.d.nodes.isConnected(project.nodeId),
          },
          window: { open: state?.windowOpen ?? true, changesAt: state?.windowChangesAt ?? null },
          gateways: this.capacity
            .gatewayRoom(task, view)
            .map((r) => ({ gwCode: r.gateway.gwCode, room: r.room })),
          nodeRoom: this.capacity.nodeRoom(project.nodeId, now, view),
          numbersDue: () => view.due.has(task.id),
          agents: NEEDS_AGENTS.includes(task.scheduleType)
            ? { staffed: state?.agentShare ?? 0, idle: state?.idleAgentShare ?? 0 }
            : undefined,
        });
    this.setDialState(task.id, { notDialling: why });
    if ((state?.notDialling?.reason ?? null) !== (why?.reason ?? null))
      this.d.publisher.publish(Topics.task(project.projectCode), {
        status: task.status,
        callTaskCode: task.callTaskCode,
        notDialling: why,
      });
  }

  private async dialTask(
    task: Task,
    now: number,
    share: AgentEntry[] | undefined,
    view: DialerView,
  ): Promise<void> {
    const { d } = this;
    const flow = FLOW_OF[task.scheduleType];
    const project = view.projects.get(task.projectId);
    if (!flow || !project || project.status !== 1) return;
    const rooms = this.capacity.gatewayRoom(task, view);
    const capacity = Math.min(
      rooms.reduce((sum, r) => sum + r.room, 0),
      this.capacity.nodeRoom(project.nodeId, now, view),
    );
    // The task's agents: its share of the project's staffed agents (issue 14.2); off-hook tasks count only agents
    // holding a fifo leg (issue 14.4): an available agent without one cannot take an off-hook customer.
    const held =
      task.scheduleType === ScheduleType.offHookAgent ? d.heldAgents?.(project.projectCode) : undefined;
    const agents = (share ?? []).filter((a) => !held || held.has(a.username));
    const idle = agents.filter((a) => isOfferable(a.state));
    this.setDialState(task.id, { agentShare: agents.length, idleAgentShare: idle.length });
    const screen = d.screenFor?.(task, project.projectCode);
    const { ownership } = d;
    const fence = ownership?.fenceOf(project.projectCode);
    const mayAct = ownership && (() => ownership.mayAct(project.projectCode));
    const turn = {
      task,
      projectCode: project.projectCode,
      nodeId: project.nodeId,
      flow,
      rooms,
      capacity,
      fence,
      mayAct,
    };
    if (task.scheduleType === ScheduleType.agentFirst) return this.agentFirst.dial(turn, idle, now, screen);
    await this.customers.dial({ ...turn, agents, idle, screen }, now);
  }

  /** Hangup events of legs we originated (from the node link). */
  onNodeEvent(event: EslEvent): void {
    this.customers.onNodeEvent(event);
  }

  /** Rings an agent first, then the customer (preview calls, /app/previewCall): see AgentFirstCalls.originate. */
  originateAgentFirst(c: AgentFirstCall, callId?: string): Promise<AgentFirstResult> {
    return this.agentFirst.originate(c, callId);
  }

  /** An agent dialled a customer from the phone: a gateway line is held for the call (AgentFirstCalls). */
  acceptAgentCall(
    c: { gateway: Gateway; phone: string },
    callId: string,
  ): { dial: string; callerId?: string } {
    return this.agentFirst.acceptAgentCall(c, callId);
  }

  /** The runner stored an answered leg's outcome: free its gateway line and teach the pacer. */
  legEnded(callId: string, resultDetail: number): void {
    const now = this.d.clock.now();
    if (this.agentFirst.legEnded(callId, resultDetail, now)) return;
    this.customers
      .legEnded(callId, resultDetail, now)
      .catch((err: unknown) => this.d.log.warn({ err, callId }, 'could not store the abandon verdict'));
  }

  /** The abandon verdict to store with an answered customer's outcome (CustomerCalls.answerVerdict). */
  answerVerdict(
    callId: string,
    resultDetail: number,
  ): { abandoned: number; agentWaitMs: number | null } | undefined {
    return this.customers.answerVerdict(callId, resultDetail);
  }

  /** Answering-machine detection's verdict on one of our customers (the pacer learns from it). */
  amdVerdict(callId: string, verdict: 'human' | 'machine' | 'notsure'): void {
    this.customers.amdVerdict(callId, verdict, this.d.clock.now());
  }

  /** Calls in flight (ringing + answered) per task, for callTaskStatus.runningCnt. */
  inFlight(taskId: number): number {
    return this.book.inFlight(taskId);
  }
}
