import t from 'tap';
import { agentCounts, splitAgents } from '../../../src/dialer/pacing/share.js';

t.test('agents are counted out by weight; remainders go to the largest fractions', async (t) => {
  const tasks = [
    { id: 1, weight: 3 },
    { id: 2, weight: 1 },
  ];
  t.same(
    [...agentCounts(8, tasks, 0)],
    [
      [1, 6],
      [2, 2],
    ],
  );
  t.same(
    [...agentCounts(5, tasks, 0)],
    [
      [1, 4],
      [2, 1],
    ],
    '3.75 and 1.25: the larger fraction gets the odd agent',
  );
  t.same(
    [...agentCounts(0, tasks, 0)],
    [
      [1, 0],
      [2, 0],
    ],
  );
});

t.test('an odd agent between equal tasks rotates with the turn, so every task gets its turn', async (t) => {
  const tasks = [
    { id: 1, weight: 1 },
    { id: 2, weight: 1 },
    { id: 3, weight: 1 },
  ];
  const winners = [0, 1, 2, 3].map((turn) => [...agentCounts(1, tasks, turn)].find(([, n]) => n === 1)?.[0]);
  t.same(winners, [1, 2, 3, 1]);
  for (let turn = 0; turn < 5; turn++)
    t.equal(
      [...agentCounts(7, tasks, turn).values()].reduce((a, b) => a + b, 0),
      7,
      'every agent is given out',
    );
});

t.test('splitAgents gives each agent to exactly one task, in the counted numbers', async (t) => {
  const agents = ['1000', '1001', '1002', '1003', '1004', '1005', '1006'];
  const tasks = [
    { id: 7, weight: 2 },
    { id: 9, weight: 5 },
  ];
  for (let turn = 0; turn < 10; turn++) {
    const split = splitAgents(agents, tasks, turn);
    const all = [...(split.get(7) ?? []), ...(split.get(9) ?? [])];
    t.same([...all].sort(), agents, `turn ${turn}: everyone once`);
    t.equal(split.get(7)?.length, 2);
    t.equal(split.get(9)?.length, 5);
  }
  t.not(
    splitAgents(agents, tasks, 0).get(7)?.join(),
    splitAgents(agents, tasks, 1).get(7)?.join(),
    'subsets rotate',
  );
  t.same(splitAgents([], tasks, 3).get(7), []);
});
