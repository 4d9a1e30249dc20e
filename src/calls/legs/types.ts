// What the call runtime's parts share: how a leg ended, the services the runner is given, the live-call registry
// entries other areas read (the supervisor, the agents' /app commands) and what every leg's run shares with the
// runner.
import type { Clock } from '../../core/clock.js';
import type { Metrics } from '../../core/metrics.js';
import type { Publisher } from '../../core/ports.js';
import type { AgentRegistry } from '../../agents/registry.js';
import type { OutboundSession } from '../../esl/index.js';
import type { OutcomeQueue } from '../outcomes.js';
import type { CallOutcome } from '../../db/repos/call-outcomes.js';
import type { AmdVerdictKind, FlowEvent, FlowFacts, FlowSettings, LegInfo } from '../flows/types.js';
import type { HangupCompletions } from './hangup-completions.js';
import type { LegProof } from '../leg-proof.js';
import type { AudioStreams } from '../amd/audio-streams.js';
import type { LegPlaces } from './handoff.js';

/** How the leg ended, as FreeSWITCH reported it. */
export interface LegEnd {
  answered: boolean;
  hangupCause: string;
  sipTermStatus?: string;
  hangupDisposition?: string;
  startedAt: number;
  answeredAt?: number;
  endedAt: number;
  recordFile?: string;
  /** FreeSWITCH deleted the recording because it held no audio (RECORD_DISCARDED). */
  recordDiscarded?: boolean;
}

/** A customer leg's outcome: the record to store, and what to do once it is stored. */
export interface StoredOutcome {
  record: CallOutcome;
  stored(): void;
}

export interface CallServices {
  /** The task's voice file and settings, if the leg belongs to a task. */
  taskInfo(
    taskCode: string,
  ): Promise<{ voiceFile?: string; evaluation: boolean; amd?: LegInfo['amd'] } | undefined>;
  /** The agent's SIP domain, known without the store (the answer → bridge path never waits on it). */
  agentDomain(username: string): string;
  recordPath(callId: string, now: number): string;
  /** What a customer leg's outcome stores (its call log, its number settled), and what follows once it is stored. */
  outcomeOf(leg: LegInfo, facts: FlowFacts, end: LegEnd): StoredOutcome;
  /** Stores a batch of outcomes in one transaction. */
  storeOutcomes(records: CallOutcome[]): Promise<{ callId: string; err: unknown }[]>;
  /**
   * An agent dialling a customer from the phone (cc_flow=agent_call): the gateway, dial string and call id, or why
   * not (told to the agent on /topic/notify by the router).
   */
  routeAgentCall?(
    username: string,
    number: string,
  ): Promise<
    | {
        ok: true;
        route: {
          callId: string;
          projectCode: string;
          gatewayCode: string;
          customerDial: string;
          customerCallerId?: string;
        };
      }
    | { ok: false; reason: string }
  >;
  /** The task an inbound call belongs to (calls/inbound-routing.ts); undefined: nobody takes this call. */
  routeInbound?(
    call: InboundCall,
  ): Promise<{ taskCode: string; projectCode: string; gatewayCode: string } | undefined>;
}

/** What an inbound leg tells about where it came from. */
export interface InboundCall {
  did: string;
  /** cc_gateway (sofia-conf's gateway variables) or sip_gateway_name: the gateway the call came in on. */
  gatewayCode: string;
  /** The carrier's address (sip_network_ip / sip_from_host), for carriers registered to us. */
  networkIp: string;
  fromHost: string;
}

/** An off-hook agent's held leg (cc_flow=fifo): customers of its project are bridged to it. */
export interface HeldLeg {
  uuid: string;
  projectCode: string;
  signal(event: FlowEvent): void;
}

export interface LiveCall {
  callId: string;
  uuid: string;
  projectCode: string;
  taskCode: string;
  destinationNumber: string;
  startedAt: number;
  session: OutboundSession;
  agent?: string;
  /** The leg bridged to this one (CHANNEL_BRIDGE's Other-Leg-Unique-ID): the agent's, on a customer leg. */
  otherLeg?: string;
  /** Under answering-machine detection, or found to be a machine (issue 23): nobody waiting for an agent. */
  amd?: 'analysing' | 'machine';
  /** The leg's role (cc_role): customer, agent or manager. */
  role: string;
  /** Hands an event to the leg's flow from outside (an agent's transfer request). */
  signal(event: FlowEvent): void;
}

export interface Logger {
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

export interface RunnerDeps {
  clock: Clock;
  metrics: Metrics;
  log: Logger;
  agents: AgentRegistry;
  publisher: Publisher;
  services: CallServices;
  settings: FlowSettings;
  /** The registry of calls in progress the runner fills (others read it); its own when not given. */
  calls?: { live: Map<string, LiveCall>; held: Map<string, HeldLeg> };
  /** Answering-machine detection (issue 23): where the legs' audio arrives; absent, no leg is analysed. */
  amd?: AmdRuntime;
  /** Whether a connected leg is ours (calls/socket-guard.ts); refusals are counted and logged there. */
  proveLeg(headers: Readonly<Record<string, string>>, peer: string): LegProof;
  /** Several instances (issue 20): which one runs a project's dialplan legs (legs/handoff.ts); absent, this one. */
  places?: LegPlaces;
}

interface AmdRuntime {
  streams: AudioStreams;
  /** Wall-clock ms past the task's analysis time after which a leg that sent no audio goes on as "not sure". */
  guardMarginMs: number;
  /** Each analysed call's verdict, as it falls (the dialer's pacer learns the machine rate from it). */
  onVerdict?(callId: string, verdict: AmdVerdictKind): void;
}

/** A finished customer leg waiting for its outcome to be stored. */
export interface SettlingRun {
  stopWaitingForCompletion(): void;
  /** Settles once the outcome is queued for writing. */
  readonly queued: Promise<void>;
}

/** What every leg's run shares with the runner. */
export interface RunnerState {
  readonly live: Map<string, LiveCall>;
  readonly held: Map<string, HeldLeg>;
  readonly settling: Set<string>;
  /** The runs in `settling`, so a clean stop can store their outcomes at once. */
  readonly settlingRuns: Set<SettlingRun>;
  readonly completions: HangupCompletions;
  readonly outcomes: OutcomeQueue;
}
