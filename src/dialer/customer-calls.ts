// Customer legs of predictive tasks: how many to start (the task's pacer), originating them with our variables and
// the socket app, settling the ones that never answer from BACKGROUND_JOB and CHANNEL_HANGUP_COMPLETE, and judging
// answered ones against the abandon rule once their outcome is stored.
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { AgentEntry } from '../agents/registry.js';
import type { Clock } from '../core/clock.js';
import { ScheduleType } from '../core/codes.js';
import type { Metrics } from '../core/metrics.js';
import type { Repos } from '../db/repos/index.js';
import type { Gateway } from '../db/repos/gateways.js';
import type { EslEvent } from '../esl/index.js';
import { priceRuleOf } from '../switch/billing.js';
import { FsCommand, socketAppFor } from '../switch/fs-commands.js';
import type { NodeLinks } from '../switch/nodes.js';
import type { SocketLegs } from '../calls/socket-guard.js';
import { classifyCall } from '../switch/results.js';
import type { Attempt, AttemptBook, Task } from './attempts.js';
import { dialString, type DialCapacity, type GatewayRoom } from './capacity.js';
import type { GatewayUsage } from './gateway-usage.js';
import type { DialledNumber, Fence, NumberSource, Screen } from './number-source.js';
import { judgeLiveAnswer, MAX_AGENT_WAIT_MS } from './pacing/abandon.js';
import { retryIfRuled } from './retries.js';
import type { TaskPacers } from './task-pacers.js';

/** Tasks whose calls answering-machine detection analyses (dialer/amd-settings.ts allows no others). */
const AMD_SCHEDULES = new Set<number>([
  ScheduleType.directToAgent,
  ScheduleType.playThenAgent,
  ScheduleType.offHookAgent,
]);

interface CustomerCallDeps {
  repos: Pick<Repos, 'callLogs' | 'tasks' | 'gateways'>;
  log: { warn(obj: object, msg: string): void };
  clock: Clock;
  metrics: Metrics;
  nodes: NodeLinks;
  gatewayUsage: GatewayUsage;
  numbers: NumberSource;
  book: AttemptBook;
  capacity: DialCapacity;
  pacers: TaskPacers;
  /** Where FreeSWITCH reaches our outbound socket. */
  socket(): { host: string; port: number };
  /** Every leg sent to the socket is announced there and carries its node's token (issue 17.1). */
  socketLegs: SocketLegs;
  /** Answered customers of the task still waiting for an agent (no agent connected yet). */
  waitingCustomers(taskCode: string): number;
  /** How long to ring a customer (originate_timeout, seconds). */
  ringSeconds?: number;
  /** False once the dialer stopped: late originate results are left to the next start's recovery. */
  running(): boolean;
}

/**
 * Originates per turn of the event loop. One costs 0.2–0.4 ms of the main thread (its number marked, the bgapi
 * written, the socket guard told), so a tick that dials a whole team at once (the campaign's opening: ~240) held the
 * loop for 50–100 ms while every answered customer's `connect` reply waited behind it (issue 21). Ten keep a turn
 * under ~4 ms; the rest follow in later turns of the same tick, and the next tick is scheduled only once this one is
 * over (Dialer.schedule), so ticks still never interleave.
 */
export const ORIGINATES_PER_TURN = 10;

/** What settleFailed reads of an unanswered leg's CHANNEL_HANGUP_COMPLETE. */
const HANGUP_READ = ['Hangup-Cause', 'variable_sip_term_status', 'variable_sip_hangup_disposition'] as const;

/** What one predictive task may do this tick. */
interface DialTurn {
  task: Task;
  projectCode: string;
  nodeId: number;
  flow: string;
  rooms: GatewayRoom[];
  capacity: number;
  agents: AgentEntry[];
  idle: AgentEntry[];
  screen?: Screen;
  /** The lease the project is dialled under, in a cluster (issue 20). */
  fence?: Fence;
  /** In a cluster: whether this instance still holds the project by its grant's local deadline (no database). */
  mayAct?: () => boolean;
}

export class CustomerCalls {
  constructor(private readonly d: CustomerCallDeps) {}

  /** The pacer's number of customers for this tick, each originated on the least used gateway with room. */
  async dial(turn: DialTurn, now: number): Promise<void> {
    const { d } = this;
    const { task, rooms, capacity, agents, idle } = turn;
    // Answers still under answering-machine detection may yet be people who need an agent: for the pacer they
    // ring on until the verdict (issue 23), as attempts launched at their answer. Their age since the dial would
    // put them in the tail of the ring-time distribution, where the forecast takes a late answer as likely and
    // holds back as if each were a person about to need an agent.
    const ringing = [
      ...d.book.ringing(task.id),
      ...d.book.analysing(task.id).map((a) => ({ startedAt: a.answeredAt ?? a.startedAt })),
    ];
    const waiting = d.waitingCustomers(task.callTaskCode);
    // play-only tasks need no agents: their pace is the capacity itself, scaled by the rate.
    const wanted =
      task.scheduleType === ScheduleType.playOnly
        ? Math.min(capacity, Math.max(0, Math.floor(task.rate * capacity) - ringing.length))
        : d.pacers.of(task).decide({
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
    const numbers = await d.numbers.dispense(task.id, wanted, now, turn.screen, turn.fence);
    // Where FreeSWITCH reaches us, once per tick: the listening address is a system call (Server.address).
    const socketApp = socketAppFor(d.socket().host, d.socket().port);
    for (const [i, number] of numbers.entries()) {
      if (i > 0 && i % ORIGINATES_PER_TURN === 0) {
        await nextTurn();
        // Stopped in between (shutdown): the numbers not yet originated were never rung, so they go back to
        // pending rather than wait for the next start's recovery, which would close them unrung.
        if (!d.running()) return this.giveBack(numbers.slice(i), now);
      }
      // In a cluster the grant is checked again right before each originate, in the same turn as the command's
      // write (issue 20): an owner paused or cut off since it dispensed (its local deadline passed) makes no call.
      // What it dispensed is left to the new owner's take-over recovery, which closes it unrung: never dialled twice.
      if (turn.mayAct && !turn.mayAct()) {
        d.metrics.inc('dialer.fenced');
        return;
      }
      const room = rooms
        .filter((r) => r.room > 0)
        .sort((a, b) => d.gatewayUsage.inUse(a.gateway.id) - d.gatewayUsage.inUse(b.gateway.id))[0];
      if (!room) {
        // Cannot happen while capacity held; settle instead of leaving the number stuck in 'dialing'.
        await d.numbers.settle(number.id, { callUuid: '', resultDetail: 5 }, now);
        continue;
      }
      room.room--;
      await this.originate(turn, room.gateway, number, socketApp, now);
    }
  }

  private async giveBack(numbers: DialledNumber[], now: number): Promise<void> {
    for (const number of numbers) await this.d.numbers.giveBack(number.id, now);
  }

  private async originate(
    turn: DialTurn,
    gateway: Gateway,
    number: DialledNumber,
    socketApp: string,
    now: number,
  ): Promise<void> {
    const { d } = this;
    const { task } = turn;
    // The number's row got this uuid as it was dispensed: a restart asks FreeSWITCH about it.
    const { callId } = number;
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
    d.book.originated(attempt);
    d.gatewayUsage.acquire(gateway.id);
    d.capacity.originated(turn.nodeId, now);
    d.metrics.inc('dialer.originates');
    const ringSeconds = d.ringSeconds ?? 30;
    const proof = d.socketLegs.originating(
      turn.nodeId,
      callId,
      { flow: turn.flow, numberId: number.id },
      (ringSeconds + 60) * 1000,
    );
    const command = FsCommand.originate(
      {
        ...proof,
        origination_uuid: callId,
        origination_caller_id_number: gateway.originationCallId ?? undefined,
        originate_timeout: ringSeconds,
        ignore_early_media: 'true',
        cc_call_id: callId,
        cc_role: 'customer',
        cc_flow: turn.flow,
        cc_project: turn.projectCode,
        cc_task: task.callTaskCode,
        cc_number: number.phone,
        cc_number_id: number.id,
        cc_gw: gateway.gwCode,
        // Which owner started the leg, under which lease (issue 20): recovery and the CDR can tell stale legs.
        ...(turn.fence && { cc_instance: turn.fence.instanceId, cc_epoch: turn.fence.epoch }),
      },
      dialString(gateway, number.phone),
      socketApp,
    );
    void d.nodes.bgapi(turn.nodeId, command, { timeoutMs: (ringSeconds + 30) * 1000 }).then((r) => {
      // Stopped meanwhile (shutdown closes the node links, failing every pending originate): the store may be
      // closed; numbers left 'dialing' are settled from FreeSWITCH at the next start (recoverAtStartup).
      if (!d.running()) return;
      if (!r.ok) d.socketLegs.failed(callId);
      if (r.ok) {
        const at = d.clock.now();
        d.book.answer(attempt, at);
        d.metrics.inc('dialer.answers');
        // With AMD the pacer learns the answer once the detector says whether it needs an agent (amdVerdict).
        if (task.amd === 1 && AMD_SCHEDULES.has(task.scheduleType)) {
          attempt.analysing = true;
          return;
        }
        d.pacers
          .of(task)
          .observe({ kind: 'attempt-ended', at, answered: true, ringMs: at - attempt.startedAt });
        return;
      }
      attempt.jobError =
        r.error.kind === 'err'
          ? r.error.text.split(/\s/)[0]
          : r.error.kind === 'timeout'
            ? 'RECOVERY_ON_TIMER_EXPIRE'
            : 'NORMAL_TEMPORARY_FAILURE';
      // CHANNEL_HANGUP_COMPLETE may come before or after BACKGROUND_JOB (fixtures README): wait briefly for it.
      if (attempt.hangup) this.settleFailedLater(attempt);
      else attempt.settleTimer = d.clock.setTimer(1000, () => this.settleFailedLater(attempt));
    });
  }

  /** Hangup events of legs we originated (from the node link). */
  onNodeEvent(event: EslEvent): void {
    if (event.name !== 'CHANNEL_HANGUP_COMPLETE') return;
    const uuid = event.headers['Unique-ID'];
    const attempt = uuid ? this.d.book.ringingCall(uuid) : undefined;
    if (!attempt) return;
    // Only the headers settling a failed attempt reads: a spread parsed and copied all ~200 of the event, for every
    // unanswered call (issue 21).
    const hangup: Record<string, string> = {};
    for (const name of HANGUP_READ) {
      const value = event.headers[name];
      if (value !== undefined) hangup[name] = value;
    }
    attempt.hangup = hangup;
    if (attempt.jobError) {
      attempt.settleTimer?.cancel();
      this.settleFailedLater(attempt);
    }
  }

  private settleFailedLater(a: Attempt): void {
    this.settleFailed(a).catch((err: unknown) =>
      this.d.log.warn({ err, callId: a.callId }, 'could not store a failed attempt'),
    );
  }

  private async settleFailed(a: Attempt): Promise<void> {
    const { d } = this;
    if (!d.running() || !d.book.dropRinging(a.callId)) return;
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
    const gateway = await d.repos.gateways.get(a.gatewayId);
    await d.repos.callLogs.upsert(
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
    await d.numbers.settle(a.numberId, { callUuid: a.callId, resultDetail: outcome.resultDetail }, now);
    await retryIfRuled(
      d,
      { taskId: a.task.id, numberId: a.numberId, retries: a.retries },
      outcome.resultDetail,
      now,
    );
    d.metrics.inc('dialer.failed');
    d.pacers
      .of(a.task)
      .observe({ kind: 'attempt-ended', at: now, answered: false, ringMs: now - a.startedAt });
  }

  /**
   * Answering-machine detection's verdict (issue 23): a machine is not a live answer (it needs no agent), so the
   * pacer learns the task's machine rate within its live-answer rate; a person (or "not sure") is a live answer
   * from now on, and their wait still counts from the answer (the abandon rule).
   */
  amdVerdict(callId: string, verdict: 'human' | 'machine' | 'notsure', now: number): void {
    const a = this.d.book.answeredCall(callId);
    if (!a?.analysing) return;
    a.analysing = false;
    this.d.metrics.inc(verdict === 'machine' ? 'dialer.machines' : 'dialer.amd_live');
    this.d.pacers.of(a.task).observe({
      kind: 'attempt-ended',
      at: now,
      answered: verdict !== 'machine',
      ringMs: now - a.startedAt,
    });
  }

  /** An agent started talking on one of our answered calls: the end of the customer's wait. */
  agentConnected(callId: string, at: number): void {
    const a = this.d.book.answeredCall(callId);
    if (a && a.connectedAt === undefined) a.connectedAt = at;
  }

  /**
   * The abandon verdict of an answered live call whose leg just ended, for its outcome's call log: written with the
   * outcome, so storing it costs no statement of its own. Undefined when there is none to store (not ours, not a live
   * answer, a play-only task), or not yet (the originate's reply not in): then legEnded writes it.
   */
  answerVerdict(
    callId: string,
    resultDetail: number,
  ): { abandoned: number; agentWaitMs: number | null } | undefined {
    const a = this.d.book.answeredCall(callId);
    if (!a) return undefined;
    const verdict = this.judge(a, resultDetail);
    if (!verdict.live || a.task.scheduleType === ScheduleType.playOnly) return undefined;
    a.verdictInOutcome = true;
    return { abandoned: verdict.abandoned ? 1 : 0, agentWaitMs: verdict.waitMs };
  }

  /** One rule (pacing/abandon.ts) for the pacer and for the stored verdict the abandon-rate report counts. */
  private judge(a: Attempt, resultDetail: number) {
    const waitMs = a.connectedAt !== undefined ? a.connectedAt - (a.answeredAt ?? a.connectedAt) : null;
    return judgeLiveAnswer(resultDetail, waitMs, MAX_AGENT_WAIT_MS);
  }

  /** The runner stored an answered leg's outcome: free its gateway line, judge the wait and teach the pacer. */
  async legEnded(callId: string, resultDetail: number, now: number): Promise<void> {
    const { d } = this;
    const a = d.book.endAnswered(callId);
    if (!a) return;
    d.gatewayUsage.release(a.gatewayId);
    const verdict = this.judge(a, resultDetail);
    // Hung up before the detector's verdict: the pacer learns the answer now, live or not as the outcome says.
    if (a.analysing)
      d.pacers
        .of(a.task)
        .observe({ kind: 'attempt-ended', at: now, answered: verdict.live, ringMs: now - a.startedAt });
    if (!verdict.live || a.task.scheduleType === ScheduleType.playOnly) return;
    if (!a.verdictInOutcome)
      await d.repos.callLogs.upsert(
        callId,
        { abandoned: verdict.abandoned ? 1 : 0, agentWaitMs: verdict.waitMs },
        now,
      );
    d.metrics.inc(verdict.abandoned ? 'dialer.abandoned' : 'dialer.connected');
    d.pacers.of(a.task).observe({
      kind: verdict.abandoned ? 'abandoned' : 'connected',
      at: now,
      waitMs: verdict.waitMs ?? now - (a.answeredAt ?? a.startedAt),
    });
  }
}
