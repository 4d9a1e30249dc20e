import t from 'tap';
import { AppError } from '../../src/core/errors.js';
import { parseRetryRules, retryAt } from '../../src/dialer/retry-rules.js';

t.test('busy after 10 min up to 3 times, no answer after 1 h up to 2 times', async (t) => {
  const rules = parseRetryRules(
    '[{"resultDetail":[20],"afterMinutes":10,"maxRetries":3},{"resultDetail":25,"afterMinutes":60,"maxRetries":2}]',
  );
  if (rules instanceof AppError) throw rules;
  const now = 1_000_000;
  t.equal(retryAt(rules, 20, 0, now), now + 600_000);
  t.equal(retryAt(rules, 20, 2, now), now + 600_000, 'third retry');
  t.equal(retryAt(rules, 20, 3, now), null, 'no fourth');
  t.equal(retryAt(rules, 25, 1, now), now + 3_600_000);
  t.equal(retryAt(rules, 25, 2, now), null);
  t.equal(retryAt(rules, 10, 0, now), null, 'no rule for rejected');
  t.equal(retryAt(rules, 55, 0, now), null, 'never after a person answered');
});

t.test('rules naming an answered outcome, or malformed, are refused naming the field', async (t) => {
  const bad: [unknown, RegExp][] = [
    ['[', /retryRules must be a JSON array/],
    [{}, /retryRules must be a JSON array/],
    [
      [{ resultDetail: [55], afterMinutes: 10, maxRetries: 1 }],
      /retryRules\[0\].resultDetail 55 cannot be retried.*answered/,
    ],
    [[{ resultDetail: [28], afterMinutes: 10, maxRetries: 1 }], /28 cannot be retried/],
    [[{ resultDetail: [20], afterMinutes: 0, maxRetries: 1 }], /retryRules\[0\].afterMinutes/],
    [[{ resultDetail: [20], afterMinutes: 5, maxRetries: 11 }], /retryRules\[0\].maxRetries/],
    [
      [
        { resultDetail: [20], afterMinutes: 5, maxRetries: 1 },
        { resultDetail: [20, 25], afterMinutes: 5, maxRetries: 1 },
      ],
      /resultDetail 20 has two rules/,
    ],
  ];
  for (const [raw, msg] of bad) {
    const r = parseRetryRules(raw);
    t.ok(r instanceof AppError, JSON.stringify(raw));
    t.match((r as AppError).message, msg);
  }
  t.same(parseRetryRules([]), [], 'an empty array clears the rules');
});
