// How many new customer attempts a running task launches now (architecture §6). Pure: the task runner feeds it
// a snapshot and what happened to earlier attempts; it returns a number. Limits (gateway concurrency,
// sessions-per-second, numbers left) are applied by the caller through `capacity`, so no mode can exceed them.
//
// The runner calls `decide()` on every tick (every 250-1000 ms) and after every change of agents or attempts, and
// reports each outcome through `observe()` as it happens. src/dialer/simulation drives pacers exactly that way.

export interface PacingSnapshot {
  now: number;
  /** Agents of the project that could take a call right now: registered, available, idle, not reserved. */
  idleAgents: number;
  /** Agents logged in and available, whether idle, talking or in wrap-up. */
  staffedAgents: number;
  /** Customer attempts originated and not yet answered or ended (ringing). */
  ringingAttempts: number;
  /** Customers answered and waiting for an agent. */
  waitingCustomers: number;
  /** The task's dial rate (spec `rate`). */
  rate: number;
  /** The most the caller will accept now (concurrency, sessions-per-second and numbers left already applied). */
  capacity: number;
  /**
   * Optional, for adaptive modes: when each ringing attempt was originated (one entry per ringing attempt). Older
   * attempts are less likely to still be answered; without it every ringing attempt is taken as just originated.
   */
  ringingSince?: readonly number[];
  /**
   * Optional, for adaptive modes: when each staffed, non-idle agent's current call was connected (talk + wrap-up
   * in progress). Without it agents are assumed to free up at a constant rate.
   */
  busySince?: readonly number[];
}

/**
 * What the runner tells the pacer about each attempt, so adaptive modes can learn.
 * - `attempt-ended`: the attempt stopped ringing. `answered` means a live person who needs an agent (an answering
 *   machine, busy, failure or no-answer is `false`); `ringMs` runs from originate to answer or end.
 * - `connected` / `abandoned`: a live answer got an agent after `waitMs`, or got none in time.
 * - `agent-freed`: an agent is idle again; `talkMs` + `wrapMs` is how long the call kept them busy.
 */
export type PacingObservation =
  | { kind: 'attempt-ended'; at: number; answered: boolean; ringMs: number }
  | { kind: 'connected'; at: number; waitMs: number }
  | { kind: 'abandoned'; at: number; waitMs: number }
  | { kind: 'agent-freed'; at: number; talkMs: number; wrapMs?: number };

export interface Pacer {
  readonly mode: string;
  decide(snapshot: PacingSnapshot): number;
  observe(observation: PacingObservation): void;
}

export const clampToCapacity = (n: number, capacity: number): number =>
  Math.max(0, Math.min(Math.floor(n), Math.floor(capacity)));

/** The seed's rule: floor(idleAgents × rate) − attempts already in flight. */
export function fixedPacer(): Pacer {
  return {
    mode: 'fixed',
    decide: (s) => clampToCapacity(Math.floor(s.idleAgents * s.rate) - s.ringingAttempts, s.capacity),
    observe: () => {},
  };
}
