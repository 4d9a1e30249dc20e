// The calls area, built in two steps around the dialer: first the outbound socket FreeSWITCH hands every leg to,
// its guard and the registry of calls in progress (the dialer reads the socket's address and the waiting
// customers); then, once the dialer exists, the runner that runs each leg's flow and reports outcomes to it,
// recordings, and the recovery of calls a previous run left in FreeSWITCH.
import type { AgentRegistry } from '../agents/registry.js';
import type { Config } from '../config.js';
import type { Clock } from '../core/clock.js';
import type { Metrics } from '../core/metrics.js';
import type { Publisher } from '../core/ports.js';
import type { Repos } from '../db/repos/index.js';
import type { NodeDirectory } from '../switch/node-directory.js';
import { OutboundServer } from '../esl/index.js';
import { createQiniu } from '../storage/qiniu.js';
import { RecordingUploader } from '../storage/uploader.js';
import { defaultFlowSettings, type FlowSettings } from './flows/types.js';
import { inboundRouter } from './inbound-routing.js';
import { callRecovery, type ChannelRow } from './recovery.js';
import { recoverTakenProject } from './takeover.js';
import type { Ownership } from '../cluster/ownership.js';
import type { NodeReports } from '../switch/area.js';
import type { SupervisorRow } from '../supervisor/context.js';
import { isChannelHeaderRead } from './legs/routing.js';
import type { CallServices } from './legs/types.js';
import type { LegPlaces } from './legs/handoff.js';
import { LiveCalls } from './live-calls.js';
import { CallRunner } from './runner.js';
import { AudioStreams } from './amd/audio-streams.js';
import type { AmdVerdictKind } from './flows/types.js';
import { callServices } from './services.js';
import { socketGuard, type SocketGuard } from './socket-guard.js';

interface Logger {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

interface CallBase {
  config: Config;
  clock: Clock;
  metrics: Metrics;
  log: Logger;
  repos: Repos;
}

/** The call-flow tunables from the settings, with a test's overrides. */
export function flowSettingsOf(config: Config, overrides: Partial<FlowSettings> = {}): FlowSettings {
  return {
    ...defaultFlowSettings,
    agentWaitMs: config.calls.agentWaitSeconds * 1000,
    queueTimeoutMs: config.calls.queueTimeoutSeconds * 1000,
    agentRingSeconds: config.calls.agentRingSeconds,
    customerRingSeconds: config.calls.customerRingSeconds,
    ...overrides,
  };
}

export interface CallSocket {
  outbound: OutboundServer;
  guard: SocketGuard;
  calls: LiveCalls;
  /** Where FreeSWITCH reaches our socket: CC_SOCKET_REACH_AT, or where it listens. */
  reachAt(): { host: string; port: number };
}

export function composeCallSocket(d: CallBase & { directory: NodeDirectory }): CallSocket {
  const { config, metrics } = d;
  const guard = socketGuard({ config, nodes: d.directory, clock: d.clock, metrics, log: d.log });
  const outbound = new OutboundServer({
    host: config.outboundSocket.host,
    port: config.outboundSocket.port,
    clock: d.clock,
    keepChannelHeader: isChannelHeaderRead,
    connectTimeoutMs: config.outboundSocket.handshakeMs,
    maxConnections: config.outboundSocket.maxConnections,
    admit: guard.admit,
  });
  for (const name of Object.keys(outbound.counters) as (keyof typeof outbound.counters)[])
    metrics.gauge(`socket.${name}`, () => outbound.counters[name]);
  const calls = new LiveCalls();
  metrics.gauge('calls.live', () => calls.live.size);
  return {
    outbound,
    guard,
    calls,
    reachAt: () =>
      config.outboundSocket.reachAt ?? {
        host: config.outboundSocket.host,
        port: outbound.address()?.port ?? config.outboundSocket.port,
      },
  };
}

/** What the runner needs from dialling (the dialing area provides it). */
export interface DialingPort {
  /** A customer leg's outcome is stored: its line is free and its pacer learns. */
  legEnded(callId: string, resultDetail: number): void;
  /** The abandon verdict of a customer leg that just ended, stored with its outcome (none: not a live answer). */
  answerVerdict(
    callId: string,
    resultDetail: number,
  ): { abandoned: number; agentWaitMs: number | null } | undefined;
  /** Answering-machine detection's verdict on an answered customer (the pacer learns the machine rate). */
  amdVerdict(callId: string, verdict: AmdVerdictKind): void;
  /** An agent dials a customer from the phone: the gateway and dial string, or why not. */
  routeAgentCall: NonNullable<CallServices['routeAgentCall']>;
}

interface CallRuntimeDeps extends CallBase {
  socket: CallSocket;
  agents: AgentRegistry;
  publisher: Publisher;
  flowSettings: FlowSettings;
  dialing: DialingPort;
  /** Several instances (issue 20): which one runs a project's dialplan legs; absent, this one. */
  places?: LegPlaces;
}

export function composeCallRuntime(d: CallRuntimeDeps): {
  runner: CallRunner;
  recordings?: RecordingUploader;
  amdStreams: AudioStreams;
} {
  const { config, repos } = d;
  // Recordings go to Qiniu when it is configured; the local file is always kept.
  const recordings = config.qiniu
    ? new RecordingUploader({
        store: createQiniu(config.qiniu),
        uploads: repos.recordingUploads,
        onUploaded: (callUuid, ref, now) => repos.callLogs.setQiniuRef(callUuid, ref, now),
        onMissing: (callUuid, now) => repos.callLogs.clearRecording(callUuid, now),
        clock: d.clock,
        recordingsDir: config.recordingsDir,
        log: d.log,
      })
    : undefined;
  // Bound by main.ts (tests bind their own); until then no leg is analysed (they go on as "not sure").
  const amdStreams = new AudioStreams({
    fsIp: config.amd.fsIp,
    fsPorts: config.amd.fsPorts,
    ourIp: config.amd.host,
    ourPort: config.amd.port,
  });
  d.metrics.gauge('amd.streams_held', () => amdStreams.held);
  d.metrics.gauge('amd.stray_datagrams', () => amdStreams.strayDatagrams);
  const runner = new CallRunner({
    amd: {
      streams: amdStreams,
      guardMarginMs: 3000,
      onVerdict: (callId, verdict) => d.dialing.amdVerdict(callId, verdict),
    },
    clock: d.clock,
    metrics: d.metrics,
    log: d.log,
    calls: d.socket.calls,
    proveLeg: d.socket.guard.prove,
    places: d.places,
    agents: d.agents,
    publisher: d.publisher,
    settings: d.flowSettings,
    services: {
      routeInbound: inboundRouter(repos.inbound),
      routeAgentCall: d.dialing.routeAgentCall,
      ...callServices({
        repos,
        agents: d.agents,
        clock: d.clock,
        recordingsDir: config.recordingsDir,
        enqueueRecording: recordings ? (id, path, at) => recordings.enqueue(id, path, at) : undefined,
        onOutcome: (o) => d.dialing.legEnded(o.leg.callId, o.resultDetail),
        answerVerdict: (callId, resultDetail) => d.dialing.answerVerdict(callId, resultDetail),
      }),
    },
  });
  d.socket.outbound.serve(runner.handle);
  return { runner, recordings, amdStreams };
}

interface RecoveryAreaDeps {
  clock: Clock;
  log: Logger;
  directory: NodeDirectory;
  agents: AgentRegistry;
  nodes: Parameters<typeof callRecovery>[0]['nodes'] & Parameters<typeof recoverTakenProject>[0]['nodes'];
  reports: NodeReports;
  runner: CallRunner;
  socket: Pick<CallSocket, 'calls'>;
  /** The supervisor's legs (listeners, conference members, manager calls): recovered first, never customer calls. */
  supervisor: {
    knows(uuid: string): boolean;
    recover(nodeId: number, rows: readonly SupervisorRow[]): Promise<number>;
  };
  /** In a cluster on PostgreSQL (issue 20): numbers are recovered per project as it is taken. */
  ownership?: Ownership;
  /** The lease keeper: a project taken is dialled once its recovery is over (`recovered`). */
  keeper?: { recovered(projectCode: string, epoch: number): void };
  /**
   * Reloads a taken project's agents from the store (registration, work status): their changes were applied at
   * the previous owner, so what this instance loaded at its start is stale.
   */
  projects?: { reloadProject(projectCode: string): Promise<void> };
  dialing: {
    numbers: Parameters<typeof callRecovery>[0]['numbers'] &
      Parameters<typeof recoverTakenProject>[0]['numbers'];
    /** dials(numberId): the number is being dialled by this process. */
    dialer: { dials(numberId: number): boolean };
  };
}

const TAKEOVER_RETRY_MS = 2000;

/** Calls a previous run left in FreeSWITCH, read after each (re)connect of a node (calls/recovery.ts). */
export function composeRecovery(d: RecoveryAreaDeps): void {
  const recovery = callRecovery({
    agents: d.agents,
    numbers: d.dialing.numbers,
    nodes: d.nodes,
    log: d.log,
    clock: d.clock,
    activeNodes: () => d.directory.active().map((n) => n.id),
    knowsLeg: (uuid) => d.runner.knowsLeg(uuid) || d.supervisor.knows(uuid),
    isHeldLeg: (uuid) => d.socket.calls.isHeldLeg(uuid),
    dialerDials: (id) => d.dialing.dialer.dials(id),
    numbersAtStart: !d.keeper,
  });
  d.reports.onEvent((_nodeId, event) => recovery.onNodeEvent(event));
  d.reports.onChannels((nodeId, rows) => {
    // The supervisor's legs first, so that the call recovery does not take their agents for customer calls.
    void d.supervisor
      .recover(nodeId, rows as unknown as SupervisorRow[])
      .catch((err: unknown) => d.log.warn({ err, nodeId }, 'supervisor legs could not be recovered'))
      .then(() => recovery.channels(nodeId, rows as unknown as ChannelRow[]))
      .catch((err: unknown) =>
        d.log.warn({ err, nodeId }, 'calls left by the last run could not be recovered'),
      );
  });
  if (d.keeper && d.ownership) recoverTakeovers(d, d.ownership, d.keeper, recovery);
}

/** In a cluster: each project taken is recovered (calls/takeover.ts) before it is dialled. */
function recoverTakeovers(
  d: RecoveryAreaDeps,
  ownership: Ownership,
  keeper: NonNullable<RecoveryAreaDeps['keeper']>,
  recovery: ReturnType<typeof callRecovery>,
): void {
  const takeover = {
    numbers: d.dialing.numbers,
    nodes: d.nodes,
    activeNodes: () => d.directory.active().map((n) => n.id),
    agentsOnLegs: (nodeId: number, rows: ChannelRow[]) => recovery.channels(nodeId, rows),
    now: () => d.clock.now(),
    log: d.log,
  };
  const recover = (projectCode: string, epoch: number): void => {
    // Retried while the project is still ours at that epoch: until it succeeds the project is not dialled.
    Promise.resolve(d.projects?.reloadProject(projectCode))
      .then(() => recoverTakenProject(takeover, projectCode, epoch))
      .then(() => keeper.recovered(projectCode, epoch))
      .catch((err: unknown) => {
        d.log.warn({ err, project: projectCode }, 'a taken project could not be recovered: retrying');
        d.clock.setTimer(TAKEOVER_RETRY_MS, () => {
          if (ownership.epochOf(projectCode) === epoch) recover(projectCode, epoch);
        });
      });
  };
  ownership.onChange((projectCode, owned) => {
    const epoch = ownership.epochOf(projectCode);
    if (owned && epoch !== undefined) recover(projectCode, epoch);
  });
}
