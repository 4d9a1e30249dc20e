import t from 'tap';
import { whyNotDialling, type DialFacts } from '../../src/dialer/not-dialling.js';

const idle: DialFacts = {
  dialling: false,
  node: { name: 'fs1', connected: true },
  window: { open: true, changesAt: null },
  gateways: [{ gwCode: 'gw1', room: 2 }],
  nodeRoom: 10,
  numbersDue: () => true,
  agents: { staffed: 2, idle: 1 },
};

t.test('the first obstacle is the one reported, in the order an operator removes them', async (t) => {
  const cases: [Partial<DialFacts>, string | null][] = [
    [{ dialling: true, node: { name: 'fs1', connected: false } }, null],
    [
      { node: { name: 'fs1', connected: false }, window: { open: false, changesAt: 0 } },
      'freeswitch-unreachable',
    ],
    [
      { window: { open: false, changesAt: Date.UTC(2026, 11, 7, 1) }, gateways: [] },
      'outside-calling-window',
    ],
    [{ gateways: [], nodeRoom: 0 }, 'no-gateway'],
    [
      {
        gateways: [
          { gwCode: 'a', room: 0 },
          { gwCode: 'b', room: 0 },
        ],
        nodeRoom: 0,
      },
      'gateways-full',
    ],
    [{ nodeRoom: 0, numbersDue: () => false }, 'node-at-limit'],
    [{ numbersDue: () => false, agents: { staffed: 0, idle: 0 } }, 'no-numbers-due'],
    [{ agents: { staffed: 0, idle: 0 } }, 'no-agent'],
    [{ agents: { staffed: 3, idle: 0 } }, 'no-idle-agent'],
    [{ agents: undefined }, null],
    [{}, null],
  ];
  for (const [facts, reason] of cases)
    t.equal(whyNotDialling({ ...idle, ...facts })?.reason ?? null, reason, JSON.stringify(facts));
  t.match(
    whyNotDialling({ ...idle, window: { open: false, changesAt: Date.UTC(2026, 11, 7, 1) } })?.detail,
    /until 2026-12-07T01:00/,
  );
  t.match(
    whyNotDialling({
      ...idle,
      gateways: [
        { gwCode: 'a', room: 0 },
        { gwCode: 'b', room: 0 },
      ],
    })?.detail,
    /\(a, b\)/,
  );
});

t.test('whether numbers are due is asked only when everything before it is fine', async (t) => {
  let asked = 0;
  whyNotDialling({ ...idle, gateways: [], numbersDue: () => Boolean(++asked) });
  t.equal(asked, 0);
});
