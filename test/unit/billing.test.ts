import t from 'tap';
import { parsePriceRule, priceCal, priceRuleOf } from '../../src/switch/billing.js';

t.test('a gateway tariff becomes the priceRule stored on its calls', async (t) => {
  const cases: [string, Parameters<typeof priceRuleOf>[0], string | null][] = [
    ['per 6 s at 10 fen (the spec example)', { billType: 2, billsec: 6, priceFen: 10 }, '6|10.0'],
    ['per 60 s at 7.5 fen', { billType: 2, billsec: 60, priceFen: 7.5 }, '60|7.5'],
    ['per call at 20 fen', { billType: 1, billsec: null, priceFen: 20 }, 'call|20.0'],
    ['per call ignores billsec', { billType: 1, billsec: 6, priceFen: 0.5 }, 'call|0.5'],
    ['no billing type', { billType: null, billsec: 6, priceFen: 10 }, null],
    ['no price', { billType: 2, billsec: 6, priceFen: null }, null],
    ['per seconds without a block size', { billType: 2, billsec: null, priceFen: 10 }, null],
    ['a zero block size', { billType: 2, billsec: 0, priceFen: 10 }, null],
  ];
  for (const [story, tariff, rule] of cases) t.equal(priceRuleOf(tariff), rule, story);
});

t.test('priceCal charges P per started block of N seconds of billsec', async (t) => {
  const cases: [string, string | null, number, number | null][] = [
    ['the spec example: 20 s at 6|10.0 is 4 blocks', '6|10.0', 20, 40],
    ['exactly one block', '6|10.0', 6, 10],
    ['one second into the second block', '6|10.0', 7, 20],
    ['one second is a whole block', '60|7.5', 1, 7.5],
    ['an unanswered call costs nothing', '6|10.0', 0, 0],
    ['fractions of a fen do not drift (3 × 0.1)', '1|0.1', 3, 0.3],
    ['a per-call rule charges once when answered', 'call|20.0', 95, 20],
    ['a per-call rule charges nothing when not answered', 'call|20.0', 0, 0],
    ['no rule, no price', null, 30, null],
    ['an unreadable rule prices nothing rather than guessing', 'minute|10', 30, null],
    ['a zero block size is unreadable', '0|10', 30, null],
    ['a negative price is unreadable', '6|-1', 30, null],
    ['spaces around the parts are tolerated', ' 6 | 10 ', 13, 30],
  ];
  for (const [story, rule, billsec, expected] of cases) t.equal(priceCal(rule, billsec), expected, story);
});

t.test('parsePriceRule reads both forms', async (t) => {
  t.same(parsePriceRule('6|10.0'), { kind: 'per-seconds', blockSeconds: 6, priceFen: 10 });
  t.same(parsePriceRule('call|3'), { kind: 'per-call', priceFen: 3 });
  t.equal(parsePriceRule('6'), null);
  t.equal(parsePriceRule('1.5|3'), null, 'a block is whole seconds');
});
