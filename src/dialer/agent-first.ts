// Agent-first calls (scheduleType 3, preview calls, and agents dialling from their phone): the agent is rung first
// and, once it answers, its flow bridges to the customer through the task's gateway. No prediction is needed:
// each free agent gets one number. A gateway line is held for the call until its outcome is stored.
import { randomUUID } from 'node:crypto';
import type { AgentEntry, AgentRegistry } from '../agents/registry.js';
import type { Clock } from '../core/clock.js';
import type { Metrics } from '../core/metrics.js';
import type { Publisher } from '../core/ports.js';
import { Topics } from '../core/topics.js';
import type { Repos } from '../db/repos/index.js';
import type { Gateway } from '../db/repos/gateways.js';
import { FsCommand, socketAppFor } from '../switch/fs-commands.js';
import type { NodeLinks } from '../switch/nodes.js';
import type { SocketLegs } from '../calls/socket-guard.js';
import type { AttemptBook, Task } from './attempts.js';
import { dialString, type GatewayRoom } from './capacity.js';
import type { GatewayUsage } from './gateway-usage.js';
import type { Fence, NumberSource, Screen } from './number-source.js';
import { retryIfRuled } from './retries.js';

/** What an agent-first call needs: who to ring first, and which number through which gateway afterwards. */
export interface AgentFirstCall {
  agent: string;
  projectCode: string;
  nodeId: number;
  gateway: Gateway;
  phone: string;
  task?: Task;
  numberId?: number;
  /** The lease the dialer dispensed the number under, in a cluster (issue 20): the leg carries it. */
  fence?: Fence;
}

export type AgentFirstResult = { ok: true; callId: string } | { ok: false; reason: string; cause: string };

interface AgentFirstDeps {
  repos: Pick<Repos, 'nodes' | 'tasks'>;
  log: { warn(obj: object, msg: string): void };
  clock: Clock;
  metrics: Metrics;
  agents: AgentRegistry;
  nodes: NodeLinks;
  gatewayUsage: GatewayUsage;
  publisher: Publisher;
  numbers: NumberSource;
  book: AttemptBook;
  socket(): { host: string; port: number };
  /** Every leg sent to the socket is announced there and carries its node's token (issue 17.1). */
  socketLegs: SocketLegs;
  /** How long to ring an agent's phone (seconds). */
  agentRingSeconds?: number;
  /** Attempts whose agent never takes the call before the number is settled as 32 (default 3). */
  agentFirstMaxTries?: number;
  /** Puts a dispensed number back to pending (no agent or line after all). */
  returnNumber(numberId: number, now: number): Promise<void>;
}

export class AgentFirstCalls {
  constructor(private readonly d: AgentFirstDeps) {}

  /**
   * One number for each idle agent of the task's share, as far as the lines allow. The agent is reserved first, so
   * the same agent is never rung twice; a number whose agent did not answer goes back to pending for another agent.
   */
  async dial(
    turn: {
      task: Task;
      projectCode: string;
      nodeId: number;
      rooms: GatewayRoom[];
      capacity: number;
      fence?: Fence;
      mayAct?: () => boolean;
    },
    idle: AgentEntry[],
    now: number,
    screen: Screen | undefined,
  ): Promise<void> {
    const { d } = this;
    const { task, projectCode, rooms } = turn;
    const mine = new Set(idle.map((a) => a.username));
    // The project's agents outside this task's share are not this task's to ring.
    const others = { has: (u: string) => !mine.has(u) };
    for (const number of await d.numbers.dispense(
      task.id,
      Math.min(idle.length, turn.capacity),
      now,
      screen,
      turn.fence,
    )) {
      // In a cluster, an owner that lost its grant since dispensing rings nobody (customer-calls.ts says why).
      if (turn.mayAct && !turn.mayAct()) return;
      const room = rooms.find((r) => r.room > 0);
      // The uuid dispensing wrote on the number's row.
      const { callId } = number;
      const agent = room && d.agents.reserveLongestIdle(projectCode, callId, others);
      if (!room || !agent) {
        await d.returnNumber(number.id, now);
        continue;
      }
      room.room--;
      const call = {
        agent: agent.username,
        projectCode,
        nodeId: turn.nodeId,
        gateway: room.gateway,
        fence: turn.fence,
      };
      void this.originate(
        { ...call, phone: number.phone, task, numberId: number.id },
        callId,
        number.retries,
      ).then(async (r) => {
        if (r.ok) return;
        const cap = d.agentFirstMaxTries ?? 3;
        const log = { callUuid: callId, agent: agent.username, cause: r.cause, projectId: task.projectId };
        const fate = await d.numbers.agentMissed(
          number.id,
          cap,
          { ...log, callTaskCode: task.callTaskCode },
          d.clock.now(),
        );
        d.metrics.inc(fate === 'settled' ? 'dialer.agent_first_gave_up' : 'dialer.agent_first_missed');
      });
    }
  }

  /**
   * Rings the agent (user/EXT, auto-answer) with the socket app; once the agent answers, the agent-first flow
   * bridges to the customer. The caller reserves the agent for `callId` if it can; on failure the reservation is
   * released here and the reason returned (the agent's phone is off, busy, or did not answer).
   */
  async originate(c: AgentFirstCall, callId: string = randomUUID(), retries = 0): Promise<AgentFirstResult> {
    const { d } = this;
    const domain = (await d.repos.nodes.get(c.nodeId))?.sipDomain ?? '';
    d.gatewayUsage.acquire(c.gateway.id);
    d.metrics.inc('dialer.agent_first_originates');
    const ring = d.agentRingSeconds ?? 20;
    const proof = d.socketLegs.originating(
      c.nodeId,
      callId,
      { flow: 'agent-first', numberId: c.numberId },
      (ring + 60) * 1000,
    );
    const command = FsCommand.originate(
      {
        ...proof,
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
        cc_dial: dialString(c.gateway, c.phone),
        cc_caller_id: c.gateway.originationCallId ?? undefined,
        ...(c.fence && { cc_instance: c.fence.instanceId, cc_epoch: c.fence.epoch }),
      },
      domain ? `user/${c.agent}@${domain}` : `user/${c.agent}`,
      socketAppFor(d.socket().host, d.socket().port),
    );
    d.book.holdLine(callId, { gatewayId: c.gateway.id, taskId: c.task?.id, numberId: c.numberId, retries });
    d.publisher.publish(Topics.invite(c.agent), {
      callId,
      callTaskCode: c.task?.callTaskCode ?? '',
      telNo: c.phone,
    });
    const r = await d.nodes.bgapi(c.nodeId, command, { timeoutMs: (ring + 30) * 1000 });
    if (r.ok) return { ok: true, callId };
    d.socketLegs.failed(callId);
    d.book.releaseLine(callId);
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
    this.d.book.holdLine(callId, { gatewayId: c.gateway.id });
    this.d.metrics.inc('dialer.agent_calls');
    return { dial: dialString(c.gateway, c.phone), callerId: c.gateway.originationCallId ?? undefined };
  }

  /** The call's outcome is stored: its line is free, and a ruled retry is scheduled. False if it is none of ours. */
  legEnded(callId: string, resultDetail: number, now: number): boolean {
    const hold = this.d.book.releaseLine(callId);
    if (!hold) return false;
    this.d.gatewayUsage.release(hold.gatewayId);
    if (hold.taskId !== undefined && hold.numberId !== undefined)
      retryIfRuled(
        this.d,
        { taskId: hold.taskId, numberId: hold.numberId, retries: hold.retries ?? 0 },
        resultDetail,
        now,
      ).catch((err: unknown) => this.d.log.warn({ err, callId }, 'could not schedule a retry'));
    return true;
  }
}
