// The call runtime's front door: every leg FreeSWITCH hands to our outbound socket is routed (legs/routing.ts)
// and run by its flow in a LegRun (legs/leg-run.ts), whose effects the handlers in legs/effects carry out
// (style.md §2). The runner keeps the live-call registry that the supervisor and the agents' commands read.
import type { EslEvent, OutboundSession } from '../esl/index.js';
import { FsCommand } from '../switch/fs-commands.js';
import { agentCodeFlow } from './flows/agent-code.js';
import { withAmd } from './flows/amd.js';
import { agentFirstFlow } from './flows/agent-first.js';
import { heldLegFlow, offHookCustomerFlow } from './flows/off-hook.js';
import { playOnlyFlow } from './flows/play-only.js';
import { toAgentFlow } from './flows/to-agent.js';
import type { Flow, LegInfo } from './flows/types.js';
import { OutcomeQueue } from './outcomes.js';
import { DEFAULT_AMD_THRESHOLDS, resolveThresholds } from './amd/settings.js';
import { HangupCompletions } from './legs/hangup-completions.js';
import { LegRun } from './legs/leg-run.js';
import { legInfo, routeLeg } from './legs/routing.js';
import type { HeldLeg, LiveCall, RunnerDeps, RunnerState } from './legs/types.js';

/** The flows answering-machine detection may stand in front of (scheduleType 1, 2 and 4). */
const AMD_FLOWS = new Set(['direct', 'play-agent', 'off-hook']);

/**
 * Of the events `myevents` subscribes a leg's socket to (a fixed list in mod_event_socket.c), those no part of a leg's
 * run reads. A leg's run reads CHANNEL_ANSWER, CHANNEL_BRIDGE, CHANNEL_UNBRIDGE, CHANNEL_HANGUP(_COMPLETE), DTMF and
 * CHANNEL_EXECUTE_COMPLETE (its executes' results); every other event was parsed, decoded and dropped: a CHANNEL_STATE
 * per state change and a CHANNEL_EXECUTE per application, a few KB each (issue 21: what a leg allocates).
 */
const UNREAD_LEG_EVENTS = [
  'CHANNEL_APPLICATION',
  'CHANNEL_CREATE',
  'CHANNEL_DATA',
  'CHANNEL_DESTROY',
  'CHANNEL_EXECUTE',
  'CHANNEL_ORIGINATE',
  'CHANNEL_UUID',
  'CHANNEL_OUTGOING',
  'CHANNEL_PARK',
  'CHANNEL_PROGRESS',
  'CHANNEL_PROGRESS_MEDIA',
  'CHANNEL_STATE',
  'CHANNEL_UNPARK',
  'DETECTED_SPEECH',
  'NOTALK',
  'TALK',
];

export class CallRunner {
  readonly live: Map<string, LiveCall>;
  /** Off-hook agents' held legs by username. */
  readonly held: Map<string, HeldLeg>;
  /** Calls that ended and whose outcome is not stored yet (waiting for CHANNEL_HANGUP_COMPLETE, or queued). */
  readonly settling = new Set<string>();
  private readonly completions = new HangupCompletions();
  private readonly shared: RunnerState;

  private readonly flows: Record<string, Flow<unknown>>;

  constructor(private readonly d: RunnerDeps) {
    this.live = d.calls?.live ?? new Map();
    this.held = d.calls?.held ?? new Map();
    const outcomes = new OutcomeQueue(
      { store: (records) => d.services.storeOutcomes(records) },
      (err, callId) => {
        // The CDR will still bring the durable record; the flow's facts are lost, so say so loudly.
        d.metrics.inc('calls.record_failures');
        d.log.warn(
          { err, callId },
          callId ? 'could not store the call outcome' : 'could not commit call outcomes',
        );
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

  /**
   * The leg's flow; a customer of a task with answering-machine detection (scheduleType 1, 2, 4) is analysed first
   * (flows/amd.ts), when this process has the audio listener.
   */
  private flowOf(leg: LegInfo): Flow<unknown> | undefined {
    const flow = this.flows[leg.flow];
    const amd = this.d.amd;
    if (!flow || !leg.amd || !amd || !AMD_FLOWS.has(leg.flow)) return flow;
    const thresholds = resolveThresholds(leg.amd.thresholds);
    const analysisMs = (thresholds.ok ? thresholds.value : DEFAULT_AMD_THRESHOLDS).totalAnalysisMs;
    const file = leg.amd.machineFile;
    return withAmd(flow, {
      machine: file ? { kind: 'message', file } : { kind: 'hangup' },
      guardMs: analysisMs + amd.guardMarginMs,
    }) as Flow<unknown>;
  }

  /** Events from the nodes' inbound links (the runner needs CHANNEL_HANGUP_COMPLETE of its legs). */
  onNodeEvent(e: EslEvent): void {
    const uuid = e.headers['Unique-ID'];
    if (e.name === 'CHANNEL_HANGUP_COMPLETE' && uuid) this.completions.deliver(uuid, e.headers);
  }

  /** OutboundServer's onSession. */
  handle = (session: OutboundSession): void => {
    void this.run(session).catch((err: unknown) => {
      this.d.log.warn({ err }, 'call runner failed; leg handed back to the dialplan');
      void session.resume();
    });
  };

  private async run(session: OutboundSession): Promise<void> {
    const ready = await session.ready;
    if (!ready.ok) return;
    // Before anything reads the leg's variables: an unproven leg touches no number, call log, agent or topic.
    if (!this.d.proveLeg(ready.value.headers, session.remoteAddress).ok) {
      void session.hangup('CALL_REJECTED', { timeoutMs: 1000 }).then(() => session.destroy());
      return;
    }
    const h = ready.value.headers;
    const leg = await routeLeg(this.d, session, await legInfo(this.d.services, h), h);
    if (!leg) return;
    const flow = this.flowOf(leg);
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
    // between the leg's connect and its first command (for a customer with an idle agent: the bridge), and the
    // three leave in one write.
    this.d.metrics.inc(`calls.legs.${flow.name}`);
    await new LegRun(this.d, this.shared, session, leg, flow).start(() => {
      void session.myevents();
      void session.nixevents(UNREAD_LEG_EVENTS);
      void session.linger();
    });
  }

  /**
   * A clean stop (after the outbound sockets are closed): legs still waiting for CHANNEL_HANGUP_COMPLETE stop
   * waiting, and every queued outcome is written now.
   */
  async close(): Promise<void> {
    const runs = [...this.shared.settlingRuns];
    for (const run of runs) run.stopWaitingForCompletion();
    await Promise.all(runs.map((run) => run.queued));
    await this.shared.outcomes.flush();
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
