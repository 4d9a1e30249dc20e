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

export type Task = typeof tasks.$inferSelect;

/** Where numbers come from: the task-number store (src/dialer/numbers.ts). */
export interface NumberSource {
  dispense(taskId: number, n: number, now: number): { id: number; phone: string }[];
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

export type AgentFirstResult = { ok: true; callId: string } | { ok: false; reason: string };

interface Attempt {
  callId: string;
  task: Task;
  gatewayId: number;
  numberId: number;
  phone: string;
  startedAt: number;
  answered: boolean;
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
}

export class Dialer {
  private readonly pacers = new Map<number, { mode: string; pacer: Pacer }>();
  private readonly attempts = new Map<string, Attempt>();
  /** Live answered legs we originated (callId → attempt), until the leg's outcome is stored. */
  private readonly answered = new Map<string, Attempt>();
  /** Agent-first calls whose agent answered (callId → gateway line held), until the outcome is stored. */
  private readonly agentFirst = new Map<string, { gatewayId: number; taskId?: number }>();
  private readonly recentOriginates = new Map<number, number[]>();
  private timer: TimerHandle | undefined;
  private lastStatusAt = 0;
  private running = false;

  constructor(private readonly d: DialerDeps) {
    // Pacers learn how long calls keep agents busy from each agent freed by a call of their project.
    d.agents.onChange((entry, before) => {
      if (before.talkingSince === null || entry.state.talkingSince !== null) return;
      const now = d.clock.now();
      for (const [taskId, { pacer }] of this.pacers) {
        const task = this.taskProjects.get(taskId);
        if (task === entry.projectId)
          pacer.observe({ kind: 'agent-freed', at: now, talkMs: now - before.talkingSince });
      }
    });
  }

  /** The project of each task that has a pacer. */
  private readonly taskProjects = new Map<number, number>();

  /** The number is being dialled by this process (as opposed to one a previous run left 'dialing'). */
  dials(numberId: number): boolean {
    for (const a of this.attempts.values()) if (a.numberId === numberId) return true;
    for (const a of this.answered.values()) if (a.numberId === numberId) return true;
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
    for (const task of running) this.dialTask(task, now);
    if (now - this.lastStatusAt >= 2000) {
      this.lastStatusAt = now;
      for (const task of running) this.publishStatus(task);
    }
  }

  publishStatus(task: Task): void {
    const project = this.d.repos.projects.get(task.projectId);
    if (project)
      this.d.publisher.publish(`/topic/callTaskStatus/${project.projectCode}`, this.d.statusOf(task));
  }

  private pacerFor(task: Task): Pacer {
    const known = this.pacers.get(task.id);
    if (known && known.mode === task.pacing) return known.pacer;
    const pacer = createPacer(task.pacing as PacingMode);
    this.pacers.set(task.id, { mode: task.pacing, pacer });
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

  private dialTask(task: Task, now: number): void {
    const flow = FLOW_OF[task.scheduleType];
    const project = this.d.repos.projects.get(task.projectId);
    if (!flow || !project || project.status !== 1) return;
    const rooms = this.gatewayRoom(task);
    const capacity = Math.min(
      rooms.reduce((sum, r) => sum + r.room, 0),
      this.nodeRoom(project.nodeId, now),
    );
    if (task.scheduleType === ScheduleType.agentFirst)
      return this.dialAgentsFirst(task, project.projectCode, project.nodeId, rooms, capacity, now);
    const agents = this.d.agents.ofProject(project.projectCode).filter((a) => a.type === 2);
    const ringing = this.ringing(task.id);
    const waiting = this.d.waitingCustomers(task.callTaskCode);
    const pacer = this.pacerFor(task);
    // play-only tasks need no agents: their pace is the capacity itself, scaled by the rate.
    const wanted =
      task.scheduleType === ScheduleType.playOnly
        ? Math.min(capacity, Math.max(0, Math.floor(task.rate * capacity) - ringing.length))
        : pacer.decide({
            now,
            idleAgents: this.d.agents.offerable(project.projectCode).length,
            staffedAgents: agents.filter((a) => a.state.workStatus === 1 && a.state.regStatus === 1).length,
            ringingAttempts: ringing.length,
            waitingCustomers: waiting,
            rate: task.rate,
            capacity,
            ringingSince: ringing.map((a) => a.startedAt),
            busySince: agents.flatMap((a) => (a.state.talkingSince !== null ? [a.state.talkingSince] : [])),
          });
    if (wanted <= 0) return;
    const numbers = this.d.numbers.dispense(task.id, wanted, now);
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
    number: { id: number; phone: string },
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
      if (r.ok) {
        attempt.answered = true;
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
    if (!this.attempts.delete(a.callId)) return;
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
  ): void {
    const { d } = this;
    const free = d.agents.offerable(projectCode).length;
    for (const number of d.numbers.dispense(task.id, Math.min(free, capacity), now)) {
      const room = rooms.find((r) => r.room > 0);
      const callId = randomUUID();
      const agent = room && d.agents.reserveLongestIdle(projectCode, callId);
      if (!room || !agent) {
        this.returnNumber(number.id, now);
        continue;
      }
      room.room--;
      const call = { agent: agent.username, projectCode, nodeId, gateway: room.gateway, phone: number.phone };
      void this.originateAgentFirst({ ...call, task, numberId: number.id }, callId).then((r) => {
        if (!r.ok) this.returnNumber(number.id, d.clock.now());
      });
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
  async originateAgentFirst(c: AgentFirstCall, callId: string = randomUUID()): Promise<AgentFirstResult> {
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
    this.agentFirst.set(callId, { gatewayId: c.gateway.id, taskId: c.task?.id });
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
    return { ok: false, reason: `extension ${c.agent} did not take the call (${cause})` };
  }

  /** The runner stored an answered leg's outcome: free its gateway line and teach the pacer. */
  legEnded(callId: string, resultDetail: number): void {
    const first = this.agentFirst.get(callId);
    if (first) {
      this.agentFirst.delete(callId);
      this.d.gatewayUsage.release(first.gatewayId);
      return;
    }
    const a = this.answered.get(callId);
    if (!a) return;
    this.answered.delete(callId);
    this.d.gatewayUsage.release(a.gatewayId);
    const now = this.d.clock.now();
    const pacer = this.pacerFor(a.task);
    if (resultDetail === 50 || resultDetail === 55) pacer.observe({ kind: 'connected', at: now, waitMs: 0 });
    else if ([28, 30, 32, 35, 40].includes(resultDetail))
      pacer.observe({ kind: 'abandoned', at: now, waitMs: now - a.startedAt });
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
