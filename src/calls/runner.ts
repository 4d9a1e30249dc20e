// Runs one flow per call leg that FreeSWITCH hands to our outbound socket: feeds it ESL events and timer firings
// one at a time and carries out its effects (style.md §2). Executes are not awaited inline: their completion comes
// back as an event, so a hangup during a playback reaches the flow at once.
import type { Clock, TimerHandle } from '../core/clock.js';
import type { Metrics } from '../core/metrics.js';
import type { Publisher } from '../core/ports.js';
import type { AgentRegistry } from '../agents/registry.js';
import { isOfferable } from '../agents/state.js';
import type { EslEvent, OutboundSession } from '../esl/index.js';
import { HOLD_FALLBACK, HOLD_MUSIC } from '../core/freeswitch.js';
import { FsApp, FsCommand, varsBlock } from './fs-commands.js';
import { agentCodeFlow } from './flows/agent-code.js';
import { agentFirstFlow } from './flows/agent-first.js';
import { heldLegFlow, offHookCustomerFlow } from './flows/off-hook.js';
import { playOnlyFlow } from './flows/play-only.js';
import { OutcomeQueue } from './outcomes.js';
import { DIALPLAN_FLOWS, type LegProof } from './leg-proof.js';
import { toAgentFlow } from './flows/to-agent.js';
import type { Effect, Flow, FlowEvent, FlowFacts, FlowSettings, LegInfo } from './flows/types.js';

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

export interface CallServices {
  /** The task's voice file and settings, if the leg belongs to a task. */
  taskInfo(taskCode: string): { voiceFile?: string; evaluation: boolean } | undefined;
  agentDomain(username: string): string;
  recordPath(callId: string, now: number): string;
  /** Persist the outcome (call log) of a customer leg. */
  legEnded(leg: LegInfo, facts: FlowFacts, end: LegEnd): void;
  /** Runs several legEnded in one transaction (without it, each writes on its own). */
  inTransaction?(writes: () => void): void;
  /**
   * An agent dialling a customer from the phone (cc_flow=agent_call): the gateway, dial string and call id, or why
   * not (told to the agent on /topic/notify by the router).
   */
  routeAgentCall?(
    username: string,
    number: string,
  ):
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
    | { ok: false; reason: string };
  /** The task an inbound call belongs to (calls/inbound-routing.ts); undefined: nobody takes this call. */
  routeInbound?(
    call: InboundCall,
  ): { taskCode: string; projectCode: string; gatewayCode: string } | undefined;
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
  /** The leg's role (cc_role): customer, agent or manager. */
  role: string;
  /** Hands an event to the leg's flow from outside (an agent's transfer request). */
  signal(event: FlowEvent): void;
}

interface Logger {
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
  /** Whether a connected leg is ours (calls/socket-guard.ts); refusals are counted and logged there. */
  proveLeg(headers: Readonly<Record<string, string>>, peer: string): LegProof;
}

/** The connect-reply headers the runner reads (legInfo, route): the leg's socket keeps only these (issue 13). */
export function isChannelHeaderRead(name: string): boolean {
  return name.startsWith('variable_cc_') || CHANNEL_HEADERS_READ.has(name);
}
const CHANNEL_HEADERS_READ = new Set([
  'Unique-ID',
  'Caller-Destination-Number',
  'Caller-Caller-ID-Number',
  'Answer-State',
  'Channel-Call-State',
  'variable_sip_gateway_name',
  'variable_sip_network_ip',
  'variable_sip_from_host',
  'variable_user_name',
]);

/** What every leg's run shares with the runner. */
interface RunnerState {
  readonly live: Map<string, LiveCall>;
  readonly held: Map<string, HeldLeg>;
  readonly settling: Set<string>;
  /** The runs in `settling`, so a clean stop can store their outcomes at once. */
  readonly settlingRuns: Set<LegRun>;
  readonly completions: HangupCompletions;
  readonly outcomes: OutcomeQueue;
}

export class CallRunner {
  readonly live = new Map<string, LiveCall>();
  /** Off-hook agents' held legs by username. */
  readonly held = new Map<string, HeldLeg>();
  /** Calls that ended and whose outcome is not stored yet (waiting for CHANNEL_HANGUP_COMPLETE, or queued). */
  readonly settling = new Set<string>();
  private readonly completions = new HangupCompletions();
  private readonly shared: RunnerState;

  /** Events from the nodes' inbound links (the runner needs CHANNEL_HANGUP_COMPLETE of its legs). */
  onNodeEvent(e: EslEvent): void {
    const uuid = e.headers['Unique-ID'];
    if (e.name === 'CHANNEL_HANGUP_COMPLETE' && uuid) this.completions.deliver(uuid, e.headers);
  }
  private readonly flows: Record<string, Flow<unknown>>;

  constructor(private readonly d: RunnerDeps) {
    const outcomes = new OutcomeQueue(
      { inTransaction: (writes) => (d.services.inTransaction ? d.services.inTransaction(writes) : writes()) },
      (err) => {
        d.metrics.inc('calls.record_failures');
        d.log.warn({ err }, 'could not commit call outcomes');
      },
    );
    this.shared = {
      live: this.live,
      held: this.held,
      settling: this.settling,
      settlingRuns: new Set(),
      completions: this.completions,
      outcomes,
    };
    const toAgent = toAgentFlow(d.settings) as Flow<unknown>;
    const code = agentCodeFlow(d.settings.confirmTone) as Flow<unknown>;
    this.flows = {
      play: playOnlyFlow as Flow<unknown>,
      direct: toAgent,
      'play-agent': toAgent,
      inbound: toAgent,
      agent_login: code,
      agent_logoff: code,
      'agent-first': agentFirstFlow(d.settings) as Flow<unknown>,
      fifo: heldLegFlow() as Flow<unknown>,
      'off-hook': offHookCustomerFlow(d.settings) as Flow<unknown>,
    };
  }

  /** OutboundServer's onSession. */
  handle = (session: OutboundSession): void => {
    void this.run(session).catch((err: unknown) => {
      this.d.log.warn({ err }, 'call runner failed; leg handed back to the dialplan');
      void session.resume();
    });
  };

  private legInfo(h: Record<string, string>): LegInfo {
    const v = (name: string) => h[`variable_${name}`] ?? '';
    const uuid = h['Unique-ID'] ?? '';
    const taskCode = v('cc_task');
    const task = taskCode ? this.d.services.taskInfo(taskCode) : undefined;
    const role = v('cc_role') || 'customer';
    const flow = v('cc_flow');
    const callerId = h['Caller-Caller-ID-Number'] ?? '';
    return {
      uuid,
      callId: v('cc_call_id') || uuid,
      role,
      flow,
      projectCode: v('cc_project'),
      taskCode,
      destinationNumber: v('cc_number') || h['Caller-Destination-Number'] || '',
      // An agent's own call is the agent who authenticated (sofia sets user_name from the directory entry), not the
      // caller id its phone chose to send: one agent cannot log another off by sending the other's number.
      callerIdNumber: role === 'agent' && DIALPLAN_FLOWS.has(flow) ? v('user_name') || callerId : callerId,
      answered: h['Answer-State'] === 'answered' || h['Channel-Call-State'] === 'ACTIVE',
      voiceFile: task?.voiceFile,
      evaluation: task?.evaluation ?? false,
      gatewayCode: v('cc_gw'),
      numberId: v('cc_number_id') ? Number(v('cc_number_id')) : null,
      agent: v('cc_agent') || undefined,
      customerDial: v('cc_dial') || undefined,
      customerCallerId: v('cc_caller_id') || undefined,
    };
  }

  /** An inbound leg gets the task and project its DID belongs to (issue 5: routing), or is refused. */
  private async route(
    session: OutboundSession,
    leg: LegInfo,
    h: Record<string, string>,
  ): Promise<LegInfo | null> {
    if (leg.flow === 'agent_call') return this.routeAgentCall(session, leg, h);
    if (leg.flow !== 'inbound' || leg.taskCode || !this.d.services.routeInbound) return leg;
    const v = (name: string) => h[`variable_${name}`] ?? '';
    const route = this.d.services.routeInbound({
      did: h['Caller-Destination-Number'] ?? '',
      gatewayCode: v('cc_gateway') || v('sip_gateway_name'),
      networkIp: v('sip_network_ip'),
      fromHost: v('sip_from_host'),
    });
    if (!route) {
      this.d.metrics.inc('calls.inbound_unrouted');
      this.d.log.warn(
        { did: h['Caller-Destination-Number'], uuid: leg.uuid },
        'inbound call for no running task',
      );
      await session.hangup('NO_ROUTE_DESTINATION');
      return null;
    }
    // On the channel too, so the CDR names the task (cdr.ts reads cc_* variables).
    await session.api(FsCommand.setvar(leg.uuid, 'cc_task', route.taskCode));
    await session.api(FsCommand.setvar(leg.uuid, 'cc_project', route.projectCode));
    const task = this.d.services.taskInfo(route.taskCode);
    return {
      ...leg,
      taskCode: route.taskCode,
      projectCode: route.projectCode,
      gatewayCode: leg.gatewayCode || route.gatewayCode,
      evaluation: task?.evaluation ?? false,
      voiceFile: task?.voiceFile,
    };
  }

  /** The agent's own leg becomes an agent-first call to the number it dialled, or hears the unavailable tone. */
  private async routeAgentCall(
    session: OutboundSession,
    leg: LegInfo,
    h: Record<string, string>,
  ): Promise<LegInfo | null> {
    const number = h['Caller-Destination-Number'] ?? '';
    const r = this.d.services.routeAgentCall?.(leg.callerIdNumber, number) ?? {
      ok: false as const,
      reason: 'agents cannot dial out here',
    };
    if (!r.ok) {
      this.d.metrics.inc('calls.agent_calls_refused');
      this.d.log.warn({ agent: leg.callerIdNumber, number, reason: r.reason }, 'agent call refused');
      // resume: the dialplan's fallback after the socket answers and plays cc_unavailable_media.
      await session.resume();
      await session.exit();
      return null;
    }
    const { route } = r;
    await session.api(FsCommand.setvar(leg.uuid, 'cc_call_id', route.callId));
    await session.api(FsCommand.setvar(leg.uuid, 'cc_project', route.projectCode));
    return {
      ...leg,
      flow: 'agent-first',
      // Not answered here: the bridge answers the agent's leg when the customer answers, and until then the agent
      // hears the carrier's ringback.
      answered: true,
      callId: route.callId,
      projectCode: route.projectCode,
      destinationNumber: number,
      agent: leg.callerIdNumber,
      gatewayCode: route.gatewayCode,
      customerDial: route.customerDial,
      customerCallerId: route.customerCallerId,
    };
  }

  private async run(session: OutboundSession): Promise<void> {
    const ready = await session.ready;
    if (!ready.ok) return;
    // Before anything reads the leg's variables: an unproven leg touches no number, call log, agent or topic.
    if (!this.d.proveLeg(ready.value.headers, session.remoteAddress).ok) {
      void session.hangup('CALL_REJECTED', { timeoutMs: 1000 }).then(() => session.destroy());
      return;
    }
    const leg = await this.route(session, this.legInfo(ready.value.headers), ready.value.headers);
    if (!leg) return;
    const flow = this.flows[leg.flow];
    if (!flow) {
      this.d.log.warn(
        { flow: leg.flow, uuid: leg.uuid },
        'no flow for this leg: handing it back to the dialplan',
      );
      await session.resume();
      await session.exit();
      return;
    }
    // Neither reply is waited for: FreeSWITCH handles one socket's commands in order, so the subscription and linger
    // are in force before the flow's first command runs and before any event it causes. No round trip stands
    // between the leg's connect and its first command (for a customer with an idle agent: the bridge).
    void session.myevents();
    void session.linger();
    this.d.metrics.inc(`calls.legs.${flow.name}`);
    await new LegRun(this.d, this.shared, session, leg, flow).start();
  }

  /**
   * A clean stop (after the outbound sockets are closed): legs still waiting for CHANNEL_HANGUP_COMPLETE stop
   * waiting, and every queued outcome is written now.
   */
  async close(): Promise<void> {
    const runs = [...this.shared.settlingRuns];
    for (const run of runs) run.stopWaitingForCompletion();
    await Promise.all(runs.map((run) => run.queued));
    this.shared.outcomes.flush();
  }

  /** A leg this process runs or bridged (a call's own leg, its agent leg, an off-hook agent's held leg). */
  knowsLeg(uuid: string): boolean {
    for (const c of this.live.values()) if (c.uuid === uuid || c.otherLeg === uuid) return true;
    for (const h of this.held.values()) if (h.uuid === uuid) return true;
    return false;
  }

  /** The call's outcome is (or is about to be) written by its flow, not by a CDR. */
  owns(callId: string): boolean {
    return this.live.has(callId) || this.settling.has(callId);
  }

  /** Hangs up a live call by id (the /app/bye and finishProject paths). */
  async hangup(callId: string, cause = 'NORMAL_CLEARING'): Promise<boolean> {
    const call = this.live.get(callId);
    if (!call) return false;
    const r = await call.session.hangup(cause);
    return r.ok;
  }

  /**
   * The agent hangs up (/app/bye): its own leg ends, so the customer's flow sees the agent leave (result 50, the
   * evaluation prompt) instead of being cut off itself. Without a known agent leg the call's own leg is hung up.
   */
  async hangupByAgent(callId: string): Promise<boolean> {
    const call = this.live.get(callId);
    if (!call) return false;
    if (call.role === 'customer' && call.otherLeg) {
      const r = await call.session.api(FsCommand.kill(call.otherLeg));
      return r.ok && !r.value.startsWith('-ERR');
    }
    return this.hangup(callId);
  }

  /** Kill a leg by uuid over its own socket (api works there too). */
  api(callId: string, command: string) {
    return this.live.get(callId)?.session.api(command);
  }
}

/** The hang-up headers the outcome reads (only these are kept: a hang-up event has ~200). */
type HangupHeaders = Partial<Record<(typeof HANGUP_HEADERS)[number], string>>;
const HANGUP_HEADERS = [
  'Hangup-Cause',
  'variable_sip_term_status',
  'variable_sip_hangup_disposition',
  'variable_RECORD_DISCARDED',
] as const;

function hangupHeadersOf(h: Record<string, string>): HangupHeaders {
  const out: HangupHeaders = {};
  for (const name of HANGUP_HEADERS) {
    const value = h[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}

/** How long a finished customer leg waits for CHANNEL_HANGUP_COMPLETE before its outcome is stored anyway. */
const HANGUP_COMPLETE_WAIT_MS = 3000;

/**
 * CHANNEL_HANGUP_COMPLETE of the legs we run, as the node's inbound link sees it. A leg's own socket does not
 * always deliver it: a leg moved out of the socket app (uuid_bridge to an off-hook agent) loses its socket
 * before FreeSWITCH reports, and only that event says who hung up (sip_hangup_disposition).
 */
export class HangupCompletions {
  private readonly tracked = new Set<string>();
  private readonly seen = new Map<string, Record<string, string>>();
  private readonly waiters = new Map<string, (headers: Record<string, string>) => void>();

  track(uuid: string): void {
    this.tracked.add(uuid);
  }

  deliver(uuid: string, headers: Record<string, string>): void {
    const waiter = this.waiters.get(uuid);
    if (waiter) {
      this.forget(uuid);
      waiter(headers);
    } else if (this.tracked.has(uuid)) this.seen.set(uuid, headers);
  }

  /** Calls back with the event, at once if it already came. */
  wait(uuid: string, then: (headers: Record<string, string>) => void): void {
    const seen = this.seen.get(uuid);
    if (seen) {
      this.forget(uuid);
      then(seen);
    } else this.waiters.set(uuid, then);
  }

  forget(uuid: string): void {
    this.tracked.delete(uuid);
    this.seen.delete(uuid);
    this.waiters.delete(uuid);
  }
}

class LegRun {
  private state: unknown;
  private readonly queue: FlowEvent[] = [];
  private busy = false;
  private readonly timers = new Map<string, TimerHandle>();
  private stopWaiting: (() => void) | undefined;
  private ended = false;
  private readonly startedAt: number;
  private answeredAt: number | undefined;
  private recordFile: string | undefined;
  private holdStartedAt: number | undefined;
  private continuing = false;
  private hangupHeaders: HangupHeaders = {};
  private done!: () => void;
  private readonly finished = new Promise<void>((r) => (this.done = r));
  private hangupCompleted!: () => void;
  private readonly completed = new Promise<void>((r) => (this.hangupCompleted = r));
  /** Settles once the outcome is queued for writing (customer legs only). */
  queued: Promise<void> = Promise.resolve();
  private readonly live: Map<string, LiveCall>;
  private readonly held: Map<string, HeldLeg>;
  private readonly completions: HangupCompletions;

  constructor(
    private readonly d: RunnerDeps,
    private readonly shared: RunnerState,
    private readonly session: OutboundSession,
    private readonly leg: LegInfo,
    private readonly flow: Flow<unknown>,
  ) {
    this.live = shared.live;
    this.held = shared.held;
    this.completions = shared.completions;
    this.startedAt = d.clock.now();
    if (leg.answered) this.answeredAt = this.startedAt;
  }

  stopWaitingForCompletion(): void {
    this.hangupCompleted();
  }

  async start(): Promise<void> {
    const { leg } = this;
    this.live.set(leg.callId, {
      callId: leg.callId,
      uuid: leg.uuid,
      projectCode: leg.projectCode,
      taskCode: leg.taskCode,
      destinationNumber: leg.destinationNumber,
      startedAt: this.startedAt,
      session: this.session,
      role: leg.role,
      signal: (event) => this.push(event),
    });
    this.completions.track(leg.uuid);
    this.completions.wait(leg.uuid, (h) => {
      this.hangupHeaders = { ...this.hangupHeaders, ...hangupHeadersOf(h) };
      this.hangupCompleted();
    });
    this.session.onEvent((e) => this.onEslEvent(e));
    void this.session.closed.then(() =>
      this.push({ kind: 'hangup', cause: this.hangupHeaders['Hangup-Cause'] ?? 'NORMAL_CLEARING' }),
    );
    const first = this.flow.start(leg, this.d.clock.now());
    this.state = first.state;
    this.drain(first.effects);
    await this.finished;
  }

  private onEslEvent(e: EslEvent): void {
    const h = e.headers;
    if (h['Unique-ID'] && h['Unique-ID'] !== this.leg.uuid) return;
    switch (e.name) {
      case 'CHANNEL_ANSWER':
        this.answeredAt ??= this.d.clock.now();
        return;
      case 'CHANNEL_BRIDGE': {
        const call = this.live.get(this.leg.callId);
        if (call) call.otherLeg = h['Other-Leg-Unique-ID'];
        return this.push({ kind: 'bridged' });
      }
      case 'CHANNEL_UNBRIDGE':
        return this.push({ kind: 'unbridged' });
      case 'CHANNEL_HANGUP':
      case 'CHANNEL_HANGUP_COMPLETE':
        // CHANNEL_HANGUP carries no sip_hangup_disposition (who hung up) nor the final billing variables; only
        // CHANNEL_HANGUP_COMPLETE does, so its headers win and the outcome is stored once it has come.
        this.hangupHeaders = { ...this.hangupHeaders, ...hangupHeadersOf(h) };
        if (e.name === 'CHANNEL_HANGUP_COMPLETE') {
          this.completions.forget(this.leg.uuid);
          this.hangupCompleted();
        }
        return this.push({ kind: 'hangup', cause: h['Hangup-Cause'] ?? 'NORMAL_CLEARING' });
      case 'DTMF':
        return this.push({ kind: 'dtmf', digit: h['DTMF-Digit'] ?? '' });
      default:
        return;
    }
  }

  private push(e: FlowEvent): void {
    if (this.ended) return;
    // One hangup is enough: CHANNEL_HANGUP, CHANNEL_HANGUP_COMPLETE and the socket closing all say the same.
    if (e.kind === 'hangup' && this.queue.some((q) => q.kind === 'hangup')) return;
    this.queue.push(e);
    this.drain();
  }

  /**
   * Carries out `effects` (the flow's first step), then the queued events one at a time. STOMP messages published
   * meanwhile, the flow's and the agent registry's, leave after the steps' FreeSWITCH commands are written.
   */
  private drain(effects?: Effect[]): void {
    if (this.busy) return;
    this.busy = true;
    const steps = (): void => {
      if (effects) this.perform(effects);
      while (this.queue.length && !this.ended) {
        const event = this.queue.shift() as FlowEvent;
        const step = this.flow.on(this.state, event, this.d.clock.now());
        this.state = step.state;
        this.perform(step.effects);
        if (event.kind === 'hangup' || this.flow.finished(this.state)) this.finish(event);
      }
    };
    try {
      if (this.d.publisher.deferWhile) this.d.publisher.deferWhile(steps);
      else steps();
    } finally {
      this.busy = false;
    }
  }

  private finish(last: FlowEvent): void {
    if (this.ended) return;
    this.ended = true;
    for (const t of this.timers.values()) t.cancel();
    this.stopWaiting?.();
    const facts = this.flow.facts(this.state);
    const { agents } = this.d;
    // Safety net: no agent stays reserved or talking for a call that is over.
    for (const a of agents.all())
      if (a.state.callId === this.leg.callId)
        agents.apply(a.username, { kind: 'call-ended', callId: this.leg.callId });
    this.d.metrics.inc('calls.ended');
    if (!facts.isCustomerCall) {
      this.completions.forget(this.leg.uuid);
      this.live.delete(this.leg.callId);
      return this.done();
    }
    const { settling, settlingRuns, outcomes } = this.shared;
    settling.add(this.leg.callId);
    settlingRuns.add(this);
    this.live.delete(this.leg.callId);
    // Wait (briefly) for CHANNEL_HANGUP_COMPLETE: it alone says who hung up.
    const timer = this.d.clock.setTimer(HANGUP_COMPLETE_WAIT_MS, () => this.hangupCompleted());
    this.queued = this.completed.then(() => {
      timer.cancel();
      this.completions.forget(this.leg.uuid);
      settlingRuns.delete(this);
      // Written with the other outcomes of this turn, outside the event that ended the leg.
      const endedAt = this.d.clock.now();
      outcomes.add(
        () => this.record(facts, last, endedAt),
        () => {
          settling.delete(this.leg.callId);
          this.done();
        },
      );
    });
  }

  private record(facts: FlowFacts, last: FlowEvent, endedAt: number): void {
    const h = this.hangupHeaders;
    const end: LegEnd = {
      answered: this.answeredAt !== undefined,
      hangupCause: h['Hangup-Cause'] ?? (last.kind === 'hangup' ? last.cause : 'NORMAL_CLEARING'),
      sipTermStatus: h['variable_sip_term_status'],
      hangupDisposition: h['variable_sip_hangup_disposition'],
      startedAt: this.startedAt,
      answeredAt: this.answeredAt,
      endedAt,
      recordFile: this.recordFile,
      recordDiscarded: h['variable_RECORD_DISCARDED'] === 'true',
    };
    // Agent-first: this leg is the agent's; the customer's answer and cause come from the flow (the bridge).
    const c = facts.customer;
    const customerEnd: LegEnd | undefined = c && {
      ...end,
      answered: c.answered,
      answeredAt: c.answeredAt,
      hangupCause: c.hangupCause,
      sipTermStatus: undefined,
      hangupDisposition: undefined,
    };
    try {
      this.d.services.legEnded(this.leg, facts, customerEnd ?? end);
    } catch (err) {
      // The CDR will still bring the durable record; the flow's facts are lost, so say so loudly.
      this.d.metrics.inc('calls.record_failures');
      this.d.log.warn({ err, callId: this.leg.callId }, 'could not store the call outcome');
    }
  }

  private execute(
    id: string,
    app: { app: string; arg: string },
    read?: (h: Record<string, string>) => Partial<FlowEvent & { kind: 'executed' }>,
  ): void {
    void this.session.execute({ app: app.app, arg: app.arg }).then((r) => {
      if (r.ok) {
        const h = r.value.event.headers;
        // An application that ended because this leg hung up says so (Answer-State: hangup). The flow must see the
        // hangup first: a bridge that returns with the customer gone is the customer hanging up, not the agent.
        if (h['Answer-State'] === 'hangup')
          this.push({ kind: 'hangup', cause: h['Hangup-Cause'] ?? 'NORMAL_CLEARING' });
        this.push({ kind: 'executed', id, ok: true, response: r.value.response, ...read?.(h) } as FlowEvent);
      } else {
        // The channel is gone (its disconnect-notice or CHANNEL_HANGUP_COMPLETE) or the socket closed: this leg hung
        // up. FreeSWITCH writes the disconnect-notice itself as soon as the leg is down, while CHANNEL_HANGUP waits in
        // the event dispatch queue, so on a loaded machine the notice comes first; the flow must still see the hangup
        // before the application's end (a customer's BYE during a bridge is not the agent hanging up).
        if (r.error.kind === 'hangup' || r.error.kind === 'closed')
          this.push({ kind: 'hangup', cause: this.hangupHeaders['Hangup-Cause'] ?? 'NORMAL_CLEARING' });
        this.push({
          kind: 'executed',
          id,
          ok: false,
          response: '',
          cause: r.error.kind === 'hangup' ? 'hangup' : r.error.text,
        });
      }
    });
  }

  /**
   * Without continue_on_fail FreeSWITCH hangs up this leg when its bridge fails with anything but NO_ANSWER,
   * NO_USER_RESPONSE or ORIGINATOR_CANCEL (switch_channel_handle_cause): a busy agent would end the customer's
   * call. Sent on the same socket before the bridge, so FreeSWITCH has it set when the bridge runs.
   */
  private continueOnFail(): void {
    if (this.continuing) return;
    this.continuing = true;
    void this.session.api(FsCommand.setvar(this.leg.uuid, 'continue_on_fail', 'true'));
  }

  private perform(effects: Effect[]): void {
    for (const e of effects) this.performOne(e);
  }

  private performOne(e: Effect): void {
    const { leg, d } = this;
    switch (e.kind) {
      case 'answer':
        return this.execute(e.id, FsApp.answer());
      case 'playback':
        return this.execute(e.id, FsApp.playback(e.file));
      case 'hold-music': {
        // Music that ends at once (a local_stream source that is not installed) would be replayed in a tight loop.
        const now = d.clock.now();
        const quick = this.holdStartedAt !== undefined && now - this.holdStartedAt < 1000;
        this.holdStartedAt = now;
        if (quick) d.metrics.inc('calls.hold_music_fallbacks');
        return this.execute(e.id, FsApp.playback(quick ? HOLD_FALLBACK : HOLD_MUSIC));
      }
      case 'stop-media':
        void this.session.api(FsCommand.break(leg.uuid));
        return;
      case 'record': {
        this.recordFile = d.services.recordPath(leg.callId, d.clock.now());
        // On the channel too, so its CDR names the recording even if we are gone when the call ends.
        void this.session.api(FsCommand.setvar(leg.uuid, 'cc_record_file', this.recordFile));
        return this.execute('record', FsApp.recordSession(this.recordFile));
      }
      case 'bridge-agent': {
        const vars = varsBlock({
          leg_timeout: e.ringSeconds,
          'sip_h_X-CC-Auto-Answer': 'true',
          // The agent's phone shows the customer: the number we dialled, or the caller of an inbound call (whose
          // destination number is only our DID).
          origination_caller_id_number:
            leg.flow === 'inbound' ? leg.callerIdNumber : leg.destinationNumber || leg.callerIdNumber,
          origination_caller_id_name:
            leg.flow === 'inbound' ? leg.callerIdNumber : leg.destinationNumber || leg.callerIdNumber,
          cc_role: 'agent',
          cc_call_id: leg.callId,
          cc_project: leg.projectCode,
          cc_task: leg.taskCode,
        });
        this.continueOnFail();
        return this.execute(e.id, FsApp.bridge(`${vars}user/${e.agent.username}@${e.agent.domain}`), (h) => ({
          cause:
            h['variable_originate_disposition'] ??
            h['variable_bridge_hangup_cause'] ??
            h['variable_DIALSTATUS'],
        }));
      }
      case 'get-digits':
        return this.execute(
          e.id,
          FsApp.playAndGetDigits(1, 1, 1, e.timeoutMs, e.file, 'cc_rate', `[${e.validDigits}]`),
          (h) => ({
            digits: h['variable_cc_rate'] ?? '',
          }),
        );
      case 'hangup':
        void this.session.hangup(e.cause);
        return;
      case 'set-timer':
        this.timers.get(e.name)?.cancel();
        this.timers.set(
          e.name,
          d.clock.setTimer(e.ms, () => this.push({ kind: 'timer', name: e.name })),
        );
        return;
      case 'clear-timer':
        this.timers.get(e.name)?.cancel();
        this.timers.delete(e.name);
        return;
      case 'find-agent': {
        // Agents holding an off-hook leg take customers through it, not on their (busy) phone.
        const exclude = new Set([...e.exclude, ...this.held.keys()]);
        const found = d.agents.reserveLongestIdle(leg.projectCode, leg.callId, exclude);
        const agent = found
          ? { username: found.username, domain: d.services.agentDomain(found.username) }
          : null;
        // Queued, so the flow sees it as a new event right after the current step, in the same drain: the bridge
        // command is written before the reservation's STOMP messages leave.
        this.queue.push({ kind: 'agent', agent });
        return;
      }
      case 'wait-for-agent':
        this.stopWaiting?.();
        this.stopWaiting = d.agents.onChange((entry, before) => {
          if (entry.projectCode !== leg.projectCode || entry.type !== 2) return;
          // Only an agent who became offerable is news: waking every queued customer on each reserve and
          // connect as well made them cycle in lock-step behind a blocked event loop (issue 13).
          if (isOfferable(entry.state) && !isOfferable(before))
            queueMicrotask(() => this.push({ kind: 'agent-available' }));
        });
        // An agent freed between the failed search and this subscription (another leg's microtask) would
        // otherwise go unnoticed until some other agent frees up: look once more now that we listen.
        queueMicrotask(() => this.push({ kind: 'agent-available' }));
        return;
      case 'stop-waiting':
        this.stopWaiting?.();
        this.stopWaiting = undefined;
        return;
      case 'release-agent':
        d.agents.apply(e.username, { kind: 'release', callId: leg.callId });
        return;
      case 'agent-connected': {
        d.agents.apply(e.username, {
          kind: 'connected',
          callId: leg.callId,
          destinationNumber: leg.destinationNumber,
          destinationUUID: leg.uuid,
        });
        const call = this.live.get(leg.callId);
        if (call) call.agent = e.username;
        // The CDR then names the agent even when this process is gone by the time the call ends.
        void this.session.api(FsCommand.setvar(leg.uuid, 'cc_agent', e.username));
        return;
      }
      case 'agent-done':
        d.agents.apply(e.username, { kind: 'call-ended', callId: leg.callId });
        return;
      case 'set-work': {
        const r = d.agents.setWork(e.username, e.workStatus);
        if (!r.ok) d.log.warn({ username: e.username, reason: r.reason }, 'agent code refused');
        return;
      }
      case 'publish':
        d.publisher.publish(e.destination, e.body);
        return;
      case 'kill-leg':
        void this.session.api(FsCommand.kill(e.uuid));
        return;
      default:
        return this.performCallEffect(e);
    }
  }

  /** The effects of agent-first and off-hook calls. */
  private performCallEffect(e: Effect): void {
    const { leg, d } = this;
    switch (e.kind) {
      case 'bridge-customer': {
        const vars = varsBlock({
          origination_uuid: leg.callId,
          origination_caller_id_number: leg.customerCallerId,
          leg_timeout: e.ringSeconds,
          cc_role: 'customer',
          cc_call_id: leg.callId,
          cc_project: leg.projectCode,
          cc_task: leg.taskCode,
          cc_gw: leg.gatewayCode,
        });
        this.continueOnFail();
        return this.execute(e.id, FsApp.bridge(`${vars}${leg.customerDial ?? ''}`), (h) => ({
          cause:
            h['variable_originate_disposition'] ??
            h['variable_bridge_hangup_cause'] ??
            h['variable_DIALSTATUS'],
        }));
      }
      case 'set-var':
        return this.execute('set', FsApp.set(e.name, e.value));
      case 'offer-held-leg': {
        const agent = d.agents.get(leg.callerIdNumber);
        const ok = agent?.projectCode === leg.projectCode && agent.type === 2;
        if (ok)
          this.held.set(leg.callerIdNumber, {
            uuid: leg.uuid,
            projectCode: leg.projectCode,
            signal: (ev) => this.push(ev),
          });
        const reason = ok
          ? undefined
          : `extension ${leg.callerIdNumber} is not an agent of project ${leg.projectCode}`;
        queueMicrotask(() => this.push({ kind: 'held', ok, reason }));
        return;
      }
      case 'withdraw-held-leg':
        if (this.held.get(leg.callerIdNumber)?.uuid === leg.uuid) this.held.delete(leg.callerIdNumber);
        return;
      case 'find-held-agent': {
        const holders = [...this.held].filter(([, h]) => h.projectCode === leg.projectCode);
        const others = d.agents
          .ofProject(leg.projectCode)
          .map((a) => a.username)
          .filter((u) => !this.held.has(u));
        const found = d.agents.reserveLongestIdle(
          leg.projectCode,
          leg.callId,
          new Set([...e.exclude, ...others]),
        );
        const holder = found && holders.find(([u]) => u === found.username);
        const agent = holder ? { username: holder[0], leg: holder[1].uuid } : null;
        queueMicrotask(() => this.push({ kind: 'held-agent', agent }));
        return;
      }
      case 'bridge-held': {
        this.held.get(e.agent)?.signal({ kind: 'seized', callId: leg.callId });
        void this.session.api(FsCommand.bridge(leg.uuid, e.leg)).then((r) => {
          if (!r.ok || r.value.startsWith('-ERR')) {
            this.held.get(e.agent)?.signal({ kind: 'unbridged' });
            this.push({
              kind: 'executed',
              id: e.id,
              ok: false,
              response: '',
              cause: r.ok ? r.value : r.error.text,
            });
          }
        });
        return;
      }
      default:
        return;
    }
  }
}
