// The dialing area: the number store, do-not-call lists, call lists, tasks and the predictive dialer, and the
// agents' call commands. The task service hears the dialer's ticks through its events; the runner (calls area) is
// given `port` for outcomes and agents dialling out; the call commands come once the runner exists.
import { randomUUID } from 'node:crypto';
import type { AgentRegistry } from '../agents/registry.js';
import type { AppCommand } from '../agents/commands.js';
import type { Config } from '../config.js';
import type { Clock } from '../core/clock.js';
import type { Metrics } from '../core/metrics.js';
import type { Publisher } from '../core/ports.js';
import type { Repos } from '../db/repos/index.js';
import type { CallSocket, DialingPort } from '../calls/area.js';
import type { FlowSettings } from '../calls/flows/types.js';
import type { NodeLinks } from '../switch/nodes.js';
import type { Ownership } from '../cluster/ownership.js';
import { agentCallRouter, callCommands } from './app-commands.js';
import { CallListService } from './call-lists.js';
import { Dialer, type DialerOwnership } from './dialer.js';
import { DncService } from './dnc.js';
import { GatewayUsage } from './gateway-usage.js';
import type { NumberSource } from './number-source.js';
import type { NumberStore } from '../db/repos/numbers.js';
import { screenFor } from './screening.js';
import { TaskService } from './tasks.js';

interface DialingAreaDeps {
  repos: Repos;
  clock: Clock;
  metrics: Metrics;
  log: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void };
  agents: AgentRegistry;
  publisher: Publisher;
  nodes: NodeLinks;
  /** The socket legs are sent to, and the calls in progress there (waiting customers, held legs). */
  socket: Pick<CallSocket, 'calls' | 'guard' | 'reachAt'>;
  flowSettings: Pick<FlowSettings, 'agentRingSeconds' | 'customerRingSeconds'>;
  config: Pick<Config, 'agentFirstMaxTries' | 'cluster'>;
  tickMs?: number;
  /** Which projects this instance dials (issue 20): a lone instance all of them. */
  ownership?: Ownership;
  /** This instance's part of the cluster-wide gateway and node limits (cluster/capacity-ledger.ts). */
  share?(resource: string, limit: number, inUse: () => number): number;
}

export interface DialingArea {
  numbers: NumberStore;
  gatewayUsage: GatewayUsage;
  dnc: DncService;
  tasks: TaskService;
  callLists: CallListService;
  dialer: Dialer;
  /** What the call runner reports to dialling. */
  port: DialingPort;
  /** The agents' call commands (/app/call, /app/bye, /app/previewCall...), once the runner can hang calls up. */
  commands(hangupByAgent: (callId: string) => Promise<boolean>): Record<string, AppCommand>;
}

export function composeDialing(d: DialingAreaDeps): DialingArea {
  const { repos, clock } = d;
  const { calls } = d.socket;
  const { numbers } = repos;
  const gatewayUsage = new GatewayUsage();
  const screen = (task: Parameters<typeof screenFor>[0], projectCode: string | null) =>
    screenFor(task, projectCode, () => clock.now());
  const dnc = new DncService({
    dnc: repos.dnc,
    projectExists: async (code) =>
      (await repos.callLogs.resolveCodes({ projectCode: code })).projectId !== null,
    clock,
  });
  const dialer = new Dialer({
    ...d,
    gatewayUsage,
    view: repos.dialerView,
    numbers: numberSourceOf(numbers),
    socket: d.socket.reachAt,
    socketLegs: d.socket.guard.legs,
    agentRingSeconds: d.flowSettings.agentRingSeconds,
    ringSeconds: d.flowSettings.customerRingSeconds,
    agentFirstMaxTries: d.config.agentFirstMaxTries,
    waitingCustomers: (taskCode) => calls.waitingInTask(taskCode),
    screenFor: screen,
    heldAgents: (projectCode) => calls.heldAgents(projectCode),
    ownership: d.ownership && fencing(d.ownership, d.config.cluster.amqpUrl !== undefined),
  });
  const tasks = new TaskService({
    repos,
    tasks: repos.tasks,
    callLists: repos.callLists,
    numbers,
    clock,
    publisher: d.publisher,
    runningCount: (taskId) => dialer.inFlight(taskId),
    screenFor: screen,
    dialState: (taskId) => dialer.dialState(taskId),
  });
  dialer.events.on('tick', async (now) => void (await tasks.expireDue(now)));
  dialer.events.on('paced', (running) => tasks.publishProgress(running));
  dialer.events.on('windowTurned', (task, open) => tasks.windowChanged(task, open));
  const callLists = new CallListService({ callLists: repos.callLists, clock });
  const routeAgentCall = agentCallRouter({
    repos,
    gatewayUsage,
    agents: d.agents,
    publisher: d.publisher,
    newCallId: randomUUID,
    acceptAgentCall: (c, callId) => dialer.acceptAgentCall(c, callId),
  });
  return {
    numbers,
    gatewayUsage,
    dnc,
    tasks,
    callLists,
    dialer,
    port: {
      legEnded: (callId, detail) => dialer.legEnded(callId, detail),
      answerVerdict: (callId, detail) => dialer.answerVerdict(callId, detail),
      amdVerdict: (callId, verdict) => dialer.amdVerdict(callId, verdict),
      routeAgentCall,
    },
    commands: (hangupByAgent) =>
      callCommands({
        repos,
        agents: d.agents,
        publisher: d.publisher,
        gatewayUsage,
        live: calls.live,
        hangup: hangupByAgent,
        originateAgentFirst: (call, callId) => dialer.originateAgentFirst(call, callId),
        newCallId: randomUUID,
      }),
  };
}

/**
 * What the dialer asks of ownership: whether to dial a project, and the fence its writes carry. A lone instance
 * (no CC_AMQP_URL) has no lease to fence with: its writes stay as they were.
 */
function fencing(o: Ownership, inCluster: boolean): DialerOwnership {
  return {
    mayAct: (projectCode) => o.mayAct(projectCode),
    fenceOf(projectCode) {
      // Not held: epoch -1 matches no lease, so even a write that slipped past mayAct is refused.
      return inCluster ? { instanceId: o.me, projectCode, epoch: o.epochOf(projectCode) ?? -1 } : undefined;
    },
  };
}

/** The dialer's number port over the number store. */
function numberSourceOf(store: NumberStore): NumberSource {
  return {
    dispense: (taskId, n, now, screen, fence) => store.dispenseNumbers(taskId, n, now, screen, fence),
    retryLater: (id, at, now) => store.retryLater(id, at, now),
    agentMissed: (id, cap, log, now) => store.agentMissed(id, cap, log, now),
    settle: (id, outcome, now) => store.settleNumber(id, outcome, now),
    giveBack: (id, now) => store.giveBack(id, now),
    releaseUnoriginated: (ids, now) => store.releaseUnoriginated(ids, now),
  };
}
