// What an effect handler may use of the leg it runs for: the leg, the runner's deps and registries, its socket, and
// the few ways back into the leg's loop. One handler per effect kind (effects/index.ts); the flows stay pure.
import type { TimerHandle } from '../../../core/clock.js';
import type { OutboundSession } from '../../../esl/index.js';
import type { Effect, FlowEvent, LegInfo } from '../../flows/types.js';
import type { HeldLeg, LiveCall, RunnerDeps } from '../types.js';
import type { AudioStream } from '../../amd/audio-streams.js';

/** What the handlers keep per leg between effects. */
export interface LegScratch {
  /** The recording's path, once the flow asked for one. */
  recordFile?: string;
  /** When hold music last started (music that ends at once is replaced by silence). */
  holdStartedAt?: number;
  /** Stops listening for an agent becoming available. */
  stopWaiting?: () => void;
  /** continue_on_fail is set on this leg. */
  continuing?: boolean;
  /** The leg's audio stream under answering-machine detection (released when the leg is over). */
  amd?: { stream: AudioStream; waitBeep(): void };
}

export interface LegContext {
  readonly leg: LegInfo;
  readonly deps: RunnerDeps;
  readonly session: OutboundSession;
  readonly live: Map<string, LiveCall>;
  readonly held: Map<string, HeldLeg>;
  readonly timers: Map<string, TimerHandle>;
  readonly scratch: LegScratch;
  /**
   * Runs a dialplan application on the leg; its end comes back to the flow as an `executed` event with `id` (and
   * whatever `read` takes from the application's CHANNEL_EXECUTE_COMPLETE).
   */
  execute(
    id: string,
    app: { app: string; arg: string },
    read?: (h: Record<string, string>) => Partial<FlowEvent & { kind: 'executed' }>,
  ): void;
  /** Hands an event to the flow, after whatever is queued. */
  push(e: FlowEvent): void;
  /** An event the flow sees right after the current step, in the same turn (before its STOMP messages leave). */
  followUp(e: FlowEvent): void;
}

type EffectOf<K extends Effect['kind']> = Extract<Effect, { kind: K }>;
type EffectHandler<K extends Effect['kind']> = (ctx: LegContext, e: EffectOf<K>) => void;
/** A handler for each effect kind: the type makes a forgotten kind a compile error. */
export type EffectHandlers = { [K in Effect['kind']]: EffectHandler<K> };
