// The vocabulary between a leg's flow (pure) and the runner (effects). Flows import only core/ (style.md §2).

/** What the runner knows about the leg when the socket connects (from the channel data). */
export interface LegInfo {
  uuid: string;
  /** Our call id (cc_call_id; the customer leg's uuid for calls we originate). */
  callId: string;
  role: string;
  flow: string;
  projectCode: string;
  taskCode: string;
  /** The customer's number (or what an agent dialled). */
  destinationNumber: string;
  callerIdNumber: string;
  answered: boolean;
  /** The task's voice file (scheduleType 2, 5), resolved by the runner. */
  voiceFile?: string;
  evaluation: boolean;
  /** The gateway a customer leg went out on (cc_gw), for billing. */
  gatewayCode: string;
  /** The task number this leg dials (cc_number_id), settled when the leg ends. */
  numberId: number | null;
  /** Agent-first legs: the agent we called (cc_agent) and how to reach the customer (cc_dial, cc_caller_id). */
  agent?: string;
  customerDial?: string;
  customerCallerId?: string;
  /**
   * Answering-machine detection on this leg (issue 23): a machine gets `machineFile` after its beep (or a hang-up
   * without one); `thresholds` are the task's, over the defaults (calls/amd/settings.ts checks them).
   */
  amd?: { machineFile?: string; thresholds: Readonly<Record<string, number>> };
}

/** Answering-machine detection's verdict: "not sure" goes on as a human (nobody is dropped). */
export type AmdVerdictKind = 'human' | 'machine' | 'notsure';
/** What the detector decided and when (ms of audio after the answer); `message`: a machine's message started. */
export interface AmdOutcome {
  verdict: AmdVerdictKind;
  reason: string;
  atMs: number;
  message?: boolean;
}

export type AgentRef = { username: string; domain: string };

export type FlowEvent =
  | { kind: 'executed'; id: string; ok: boolean; response: string; cause?: string; digits?: string }
  | { kind: 'bridged' }
  | { kind: 'hangup'; cause: string }
  | { kind: 'timer'; name: string }
  | { kind: 'dtmf'; digit: string }
  | { kind: 'agent'; agent: AgentRef | null }
  | { kind: 'agent-available' }
  /** The leg's bridge partner left and FreeSWITCH parked the leg again (park_after_bridge). */
  | { kind: 'unbridged' }
  /** An off-hook agent's held leg is being bridged to the customer `callId`. */
  | { kind: 'seized'; callId: string }
  /** Whether the runner accepted this leg as an off-hook agent's held leg. */
  | { kind: 'held'; ok: boolean; reason?: string }
  /** An off-hook agent reserved for this customer, with the uuid of its held leg (null: nobody holds one). */
  | { kind: 'held-agent'; agent: { username: string; leg: string } | null }
  /**
   * Blind transfer asked by the agent `from` (supervisor/in-call.ts): `agent` is already reserved for this call,
   * `agentLeg` is the leg of `from` to drop. A flow that cannot transfer now must release `agent`.
   */
  | { kind: 'transfer'; agent: AgentRef; from: string; agentLeg: string }
  /** Answering-machine detection (calls/amd): the classifier's verdict, `atMs` of audio after the answer. */
  | { kind: 'amd-verdict'; verdict: AmdVerdictKind; reason: string; atMs: number }
  /** After a machine verdict with a message: its beep (or the greeting's end, or the wait's limit). */
  | { kind: 'amd-beep'; reason: 'beep' | 'silence' | 'timeout' };

export type Effect =
  | { kind: 'answer'; id: string }
  | { kind: 'playback'; id: string; file: string }
  | { kind: 'hold-music'; id: string }
  | { kind: 'stop-media' }
  | { kind: 'record' }
  | { kind: 'bridge-agent'; id: string; agent: AgentRef; ringSeconds: number }
  | { kind: 'get-digits'; id: string; file: string; validDigits: string; timeoutMs: number }
  | { kind: 'hangup'; cause: string }
  | { kind: 'set-timer'; name: string; ms: number }
  | { kind: 'clear-timer'; name: string }
  | { kind: 'find-agent'; exclude: string[] }
  | { kind: 'wait-for-agent' }
  | { kind: 'stop-waiting' }
  | { kind: 'release-agent'; username: string }
  | { kind: 'agent-connected'; username: string }
  | { kind: 'agent-done'; username: string }
  | { kind: 'set-work'; username: string; workStatus: 0 | 1 }
  | { kind: 'publish'; destination: string; body: object }
  /** Agent-first: bridge this (agent) leg to the customer through the gateway named on the leg (cc_dial). */
  | { kind: 'bridge-customer'; id: string; ringSeconds: number }
  | { kind: 'set-var'; name: string; value: string }
  /** Off-hook: this leg is the caller's held leg (customers of its project may be bridged to it) / no longer. */
  | { kind: 'offer-held-leg' }
  | { kind: 'withdraw-held-leg' }
  /** Off-hook: reserve the longest-idle agent holding a leg in this leg's project (answered by `held-agent`). */
  | { kind: 'find-held-agent'; exclude: string[] }
  /** Off-hook: uuid_bridge this leg to the agent's held leg (a failure comes back as executed `id`, ok false). */
  | { kind: 'bridge-held'; id: string; agent: string; leg: string }
  /** Hang up another leg by uuid (the agent's leg being transferred away). */
  | { kind: 'kill-leg'; uuid: string }
  /** Start streaming this leg's audio to the answering-machine classifier. */
  | { kind: 'amd-listen' }
  /** Keep streaming, now to the beep detector (a machine gets its message after the beep). */
  | { kind: 'amd-wait-beep' }
  /** Stop feeding the detector (FreeSWITCH 1.11.1 has no nounicast: its next application or the hangup ends it). */
  | { kind: 'amd-stop' }
  /** The detector's verdict is final for this call: told to the dialer (pacing) and to the CDR (cc_amd). */
  | { kind: 'amd-decided'; outcome: AmdOutcome };

/** What the flow knows when the leg ends; the runner adds FreeSWITCH's hangup facts and classifies. */
export interface FlowFacts {
  agentConnected: boolean;
  waitingForAgent: boolean;
  agentOutcome?: 'busy' | 'no-answer' | 'none-available';
  queueTimedOut?: boolean;
  hungUpBy?: 'agent' | 'customer' | 'system';
  playOnly?: boolean;
  agent?: string;
  evaluation?: number;
  /** False for legs that are not customer calls (agent codes): no call log. */
  isCustomerCall: boolean;
  /**
   * Agent-first legs: the leg is the agent's, so the customer's side is told by the flow (the bridge's
   * outcome), not by this leg's own answer and hangup.
   */
  customer?: { answered: boolean; answeredAt?: number; hangupCause: string };
  /** Answering-machine detection's verdict, when the leg was analysed (issue 23). */
  amd?: AmdOutcome;
}

export interface Step<S> {
  state: S;
  effects: Effect[];
}

export interface Flow<S> {
  readonly name: string;
  start(leg: LegInfo, now: number): Step<S>;
  on(state: S, event: FlowEvent, now: number): Step<S>;
  facts(state: S): FlowFacts;
  /** True once the flow has nothing more to do on this leg. */
  finished(state: S): boolean;
}

/** Tunables every flow reads (config, with defaults documented in the README). */
export interface FlowSettings {
  /** How long a customer waits for a free agent (predictive flows) before the call is given up (35). */
  agentWaitMs: number;
  /** Inbound queue: how long a caller waits before resultDetail 40. */
  queueTimeoutMs: number;
  /** How long an agent's phone rings. */
  agentRingSeconds: number;
  /** Agent-first calls: how long the customer rings before the call is given up (no answer). */
  customerRingSeconds: number;
  /** Agents tried per call before giving up. */
  maxAgentAttempts: number;
  /** The satisfaction prompt (evaluation) and the tone confirming agent codes. */
  evaluationFile: string;
  confirmTone: string;
}

export const defaultFlowSettings: FlowSettings = {
  agentWaitMs: 15_000,
  queueTimeoutMs: 60_000,
  agentRingSeconds: 20,
  customerRingSeconds: 30,
  maxAgentAttempts: 3,
  evaluationFile: 'ivr/ivr-please_rate_our_service.wav',
  confirmTone: 'tone_stream://%(200,100,800);loops=2',
};
