// Retry rules by outcome (issue 14.8): per task, a failed attempt whose resultDetail has a rule goes back to the
// task's pending numbers, due `afterMinutes` later, at most `maxRetries` times. Only outcomes where nobody answered
// can have a rule: a person who answered (even one abandoned or hung up waiting) is never called again by a rule.
// A retry is dispensed like any number, so it waits for the calling window and is screened by the do-not-call lists.
import { ResultDetail } from '../core/codes.js';
import { invalid, type AppError } from '../core/errors.js';

export interface RetryRule {
  resultDetail: number[];
  afterMinutes: number;
  maxRetries: number;
}

/** Outcomes a rule may name: not connected, rejected, busy, no answer. */
const RETRYABLE: readonly number[] = [
  ResultDetail.notConnected,
  ResultDetail.rejected,
  ResultDetail.customerBusy,
  ResultDetail.noAnswer,
];

/** When the number is due again, or null: no rule for this outcome, or its retries are used up. */
export function retryAt(
  rules: readonly RetryRule[],
  resultDetail: number,
  retriesSoFar: number,
  now: number,
) {
  const rule = rules.find((r) => r.resultDetail.includes(resultDetail));
  if (!rule || retriesSoFar >= rule.maxRetries) return null;
  return now + rule.afterMinutes * 60_000;
}

/**
 * The API's `retryRules`: a JSON array (text in a form field, or an array) like
 * [{"resultDetail":[20],"afterMinutes":10,"maxRetries":3},{"resultDetail":[25],"afterMinutes":60,"maxRetries":2}].
 * An empty array removes the rules.
 */
export function parseRetryRules(raw: unknown): RetryRule[] | AppError {
  const F = 'retryRules';
  let v = raw;
  if (typeof raw === 'string') {
    try {
      v = JSON.parse(raw);
    } catch {
      return invalid(
        `${F} must be a JSON array like [{"resultDetail":[20],"afterMinutes":10,"maxRetries":3}]`,
      );
    }
  }
  if (!Array.isArray(v)) return invalid(`${F} must be a JSON array`);
  if (v.length > 20) return invalid(`${F} may hold at most 20 rules`);
  const out: RetryRule[] = [];
  const seen = new Set<number>();
  for (const [i, item] of v.entries()) {
    const e = (item ?? {}) as Record<string, unknown>;
    const codes = typeof e.resultDetail === 'number' ? [e.resultDetail] : e.resultDetail;
    if (!Array.isArray(codes) || codes.length === 0 || !codes.every((c) => Number.isInteger(c)))
      return invalid(`${F}[${i}].resultDetail must be a resultDetail code or an array of them`);
    for (const c of codes as number[]) {
      if (!RETRYABLE.includes(c))
        return invalid(
          `${F}[${i}].resultDetail ${c} cannot be retried (only ${RETRYABLE.join(', ')}: a person who answered is never called again by a rule)`,
        );
      if (seen.has(c)) return invalid(`${F}: resultDetail ${c} has two rules`);
      seen.add(c);
    }
    const after = e.afterMinutes;
    if (typeof after !== 'number' || !Number.isInteger(after) || after < 1 || after > 10_080)
      return invalid(`${F}[${i}].afterMinutes must be an integer from 1 to 10080 (7 days)`);
    const max = e.maxRetries;
    if (typeof max !== 'number' || !Number.isInteger(max) || max < 1 || max > 10)
      return invalid(`${F}[${i}].maxRetries must be an integer from 1 to 10`);
    out.push({ resultDetail: [...(codes as number[])], afterMinutes: after, maxRetries: max });
  }
  return out;
}
