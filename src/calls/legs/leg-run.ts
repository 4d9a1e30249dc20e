// One leg's loop: feeds its flow ESL events and timer firings one at a time, has the effect handlers carry out
// what each step returns, and stores a customer leg's outcome once FreeSWITCH has said how it ended. Executes are
// not awaited inline: their completion comes back as an event, so a hangup during a playback reaches the flow at
// once.
import type { TimerHandle } from '../../core/clock.js';
import type { EslEvent, OutboundSession } from '../../esl/index.js';
import type { Effect, Flow, FlowEvent, FlowFacts, LegInfo } from '../flows/types.js';
import type { LegContext, LegScratch } from './effects/context.js';
import { perform } from './effects/index.js';
import { HANGUP_COMPLETE_WAIT_MS, hangupHeadersOf, type HangupHeaders } from './hangup-completions.js';
import type { LegEnd, RunnerDeps, RunnerState, SettlingRun, StoredOutcome } from './types.js';

export class LegRun implements LegContext, SettlingRun {
  private state: unknown;
  private readonly queue: FlowEvent[] = [];
  private busy = false;
  readonly timers = new Map<string, TimerHandle>();
  readonly scratch: LegScratch = {};
  private ended = false;
  private readonly startedAt: number;
  private answeredAt: number | undefined;
  private hangupHeaders: HangupHeaders = {};
  private done!: () => void;
  private readonly finished = new Promise<void>((r) => (this.done = r));
  private hangupCompleted!: () => void;
  private readonly completed = new Promise<void>((r) => (this.hangupCompleted = r));
  /** Settles once the outcome is queued for writing (customer legs only). */
  queued: Promise<void> = Promise.resolve();

  constructor(
    readonly deps: RunnerDeps,
    private readonly shared: RunnerState,
    readonly session: OutboundSession,
    readonly leg: LegInfo,
    private readonly flow: Flow<unknown>,
  ) {
    this.startedAt = deps.clock.now();
    if (leg.answered) this.answeredAt = this.startedAt;
  }

  get live() {
    return this.shared.live;
  }

  get held() {
    return this.shared.held;
  }

  stopWaitingForCompletion(): void {
    this.hangupCompleted();
  }

  /** `prelude` writes what must precede the flow's first commands (myevents, linger), in the same write. */
  async start(prelude?: () => void): Promise<void> {
    const { leg } = this;
    const { completions } = this.shared;
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
    completions.track(leg.uuid);
    completions.wait(leg.uuid, (h) => {
      this.hangupHeaders = { ...this.hangupHeaders, ...hangupHeadersOf(h) };
      this.hangupCompleted();
    });
    this.session.onEvent((e) => this.onEslEvent(e));
    void this.session.closed.then(() =>
      this.push({ kind: 'hangup', cause: this.hangupHeaders['Hangup-Cause'] ?? 'NORMAL_CLEARING' }),
    );
    const first = this.flow.start(leg, this.deps.clock.now());
    this.state = first.state;
    this.drain(first.effects, prelude);
    await this.finished;
  }

  private onEslEvent(e: EslEvent): void {
    const h = e.headers;
    if (h['Unique-ID'] && h['Unique-ID'] !== this.leg.uuid) return;
    switch (e.name) {
      case 'CHANNEL_ANSWER':
        this.answeredAt ??= this.deps.clock.now();
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
          this.shared.completions.forget(this.leg.uuid);
          this.hangupCompleted();
        }
        return this.push({ kind: 'hangup', cause: h['Hangup-Cause'] ?? 'NORMAL_CLEARING' });
      case 'DTMF':
        return this.push({ kind: 'dtmf', digit: h['DTMF-Digit'] ?? '' });
      default:
        return;
    }
  }

  push(e: FlowEvent): void {
    if (this.ended) return;
    // One hangup is enough: CHANNEL_HANGUP, CHANNEL_HANGUP_COMPLETE and the socket closing all say the same.
    if (e.kind === 'hangup' && this.queue.some((q) => q.kind === 'hangup')) return;
    this.queue.push(e);
    this.drain();
  }

  followUp(e: FlowEvent): void {
    this.queue.push(e);
  }

  /**
   * Carries out `effects` (the flow's first step), then the queued events one at a time. The steps' FreeSWITCH
   * commands leave together, in one write, when they are done; STOMP messages published meanwhile, the flow's and
   * the agent registry's, leave after them.
   */
  private drain(effects?: Effect[], prelude?: () => void): void {
    if (this.busy) return;
    this.busy = true;
    const steps = (): void =>
      this.session.batch(() => {
        prelude?.();
        if (effects) this.performAll(effects);
        while (this.queue.length && !this.ended) {
          const event = this.queue.shift() as FlowEvent;
          const step = this.flow.on(this.state, event, this.deps.clock.now());
          this.state = step.state;
          this.performAll(step.effects);
          if (event.kind === 'hangup' || this.flow.finished(this.state)) this.finish(event);
        }
      });
    try {
      if (this.deps.publisher.deferWhile) this.deps.publisher.deferWhile(steps);
      else steps();
    } finally {
      this.busy = false;
    }
  }

  private performAll(effects: Effect[]): void {
    for (const e of effects) perform(this, e);
  }

  private finish(last: FlowEvent): void {
    if (this.ended) return;
    this.ended = true;
    for (const t of this.timers.values()) t.cancel();
    this.scratch.stopWaiting?.();
    // FreeSWITCH unbinds the leg's unicast port only now (no nounicast in 1.11.1): the port may serve another call.
    this.scratch.amd?.stream.release();
    const facts = this.flow.facts(this.state);
    const { agents } = this.deps;
    // Safety net: no agent stays reserved or talking for a call that is over.
    for (const a of agents.onCall(this.leg.callId))
      agents.apply(a.username, { kind: 'call-ended', callId: this.leg.callId });
    this.deps.metrics.inc('calls.ended');
    const { settling, settlingRuns, outcomes, completions } = this.shared;
    if (!facts.isCustomerCall) {
      completions.forget(this.leg.uuid);
      this.live.delete(this.leg.callId);
      return this.done();
    }
    settling.add(this.leg.callId);
    settlingRuns.add(this);
    this.live.delete(this.leg.callId);
    // Wait (briefly) for CHANNEL_HANGUP_COMPLETE: it alone says who hung up.
    const timer = this.deps.clock.setTimer(HANGUP_COMPLETE_WAIT_MS, () => this.hangupCompleted());
    this.queued = this.completed.then(() => {
      timer.cancel();
      completions.forget(this.leg.uuid);
      settlingRuns.delete(this);
      // Written with the other outcomes of this turn, outside the event that ended the leg.
      const endedAt = this.deps.clock.now();
      const outcome = this.outcome(facts, last, endedAt);
      outcomes.add(outcome.record, outcome.stored, () => {
        settling.delete(this.leg.callId);
        this.done();
      });
    });
  }

  private outcome(facts: FlowFacts, last: FlowEvent, endedAt: number): StoredOutcome {
    const h = this.hangupHeaders;
    const end: LegEnd = {
      answered: this.answeredAt !== undefined,
      hangupCause: h['Hangup-Cause'] ?? (last.kind === 'hangup' ? last.cause : 'NORMAL_CLEARING'),
      sipTermStatus: h['variable_sip_term_status'],
      hangupDisposition: h['variable_sip_hangup_disposition'],
      startedAt: this.startedAt,
      answeredAt: this.answeredAt,
      endedAt,
      recordFile: this.scratch.recordFile,
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
    return this.deps.services.outcomeOf(this.leg, facts, customerEnd ?? end);
  }

  execute(
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
}
