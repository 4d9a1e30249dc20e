// Issue 14.8: a failed attempt whose outcome has a retry rule goes back to pending, due later.
import type { Metrics } from '../core/metrics.js';
import type { Repos } from '../db/repos/index.js';
import { parseJsonOrUndefined } from './json.js';
import type { NumberSource } from './number-source.js';
import { retryAt, type RetryRule } from './retry-rules.js';

interface RetryDeps {
  repos: Pick<Repos, 'tasks'>;
  numbers: NumberSource;
  metrics: Metrics;
}

export async function retryIfRuled(
  d: RetryDeps,
  attempt: { taskId: number; numberId: number; retries: number },
  resultDetail: number,
  now: number,
): Promise<void> {
  const task = await d.repos.tasks.get(attempt.taskId);
  const rules = parseJsonOrUndefined<RetryRule[]>(task?.retryRules ?? null);
  if (!task || !rules) return;
  const at = retryAt(rules, resultDetail, attempt.retries, now);
  if (at !== null && (await d.numbers.retryLater(attempt.numberId, at, now))) d.metrics.inc('dialer.retries');
}
