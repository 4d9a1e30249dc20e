// Reconnect delays: exponential, capped, with jitter so many clients cut off together do not return together.

export interface BackoffPolicy {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly factor: number;
  /** 0.2 = each delay is drawn from ±20 % around the nominal value. */
  readonly jitter: number;
}

export const defaultBackoff: BackoffPolicy = { initialMs: 500, maxMs: 30_000, factor: 2, jitter: 0.2 };

/** Delay before attempt number `attempt` (0 = the first retry); `random` is in [0, 1). */
export function backoffDelay(policy: BackoffPolicy, attempt: number, random: number): number {
  const nominal = Math.min(policy.maxMs, policy.initialMs * policy.factor ** attempt);
  const spread = nominal * policy.jitter;
  return Math.min(policy.maxMs, Math.max(0, Math.round(nominal - spread + 2 * spread * random)));
}
