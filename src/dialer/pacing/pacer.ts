// How many new customer attempts a running task launches now (architecture §6). Pure: the task runner feeds it
// a snapshot and what happened to earlier attempts; it returns a number. Limits (gateway concurrency,
// sessions-per-second, numbers left) are applied by the caller through `capacity`, so no mode can exceed them.

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
}

/** What the runner tells the pacer about each attempt, so adaptive modes can learn. */
export type PacingObservation =
  | { kind: 'attempt-ended'; at: number; answered: boolean; ringMs: number }
  | { kind: 'connected'; at: number; waitMs: number }
  | { kind: 'abandoned'; at: number; waitMs: number }
  | { kind: 'agent-freed'; at: number; talkMs: number };

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
