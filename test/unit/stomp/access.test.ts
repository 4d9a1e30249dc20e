import t from 'tap';
import {
  authorizeSubscribe,
  mayActAs,
  projectAccessRules,
  type Principal,
} from '../../../src/stomp/access.js';
import { negotiateHeartbeat, negotiateVersion } from '../../../src/stomp/negotiate.js';
import { usernameOf } from '../../../src/stomp/commands.js';

const agents: Record<string, string> = { '1001': 'P1', '1002': 'P1', '2001': 'P2' };
const deps = { isUsernameInProject: (u: string, p: string) => agents[u] === p };
const agent: Principal = { username: '1001', projectCode: 'P1', role: 'agent' };
const manager: Principal = { username: 'boss', projectCode: 'P1', role: 'manager' };
const service: Principal = { username: 'svc', projectCode: '', role: 'service' };

const table: Array<[Principal, string, boolean]> = [
  [agent, '/topic/status/1001', true],
  [agent, '/topic/invite/1001', true],
  [agent, '/topic/notify/P1/1001', true],
  [agent, '/topic/task/P1', true],
  [agent, '/topic/status/1002', false],
  [agent, '/topic/notify/P1/1002', false],
  [agent, '/topic/notify/P2/1001', false],
  [agent, '/topic/task/P2', false],
  [agent, '/topic/callExtStatus/P1', false],
  [agent, '/topic/status/1001/extra', false],
  [agent, '/queue/x', false],
  [agent, '/topic//1001', false],
  [manager, '/topic/callExtStatus/P1', true],
  [manager, '/topic/callTaskStatus/P1', true],
  [manager, '/topic/task/P1', true],
  [manager, '/topic/notify/P1/boss', true],
  [manager, '/topic/status/boss', true],
  [manager, '/topic/status/1002', true],
  [manager, '/topic/notify/P1/1002', true],
  [manager, '/topic/status/2001', false],
  [manager, '/topic/callExtStatus/P2', false],
  [manager, '/topic/notify/P2/2001', false],
  [service, '/topic/callTaskStatus/P2', true],
  [service, '/topic/status/2001', true],
  [service, '/topic/notify/P2/2001', true],
  [service, '/topic/anything/at/all', false],
  [service, '/queue/x', false],
  // Project code 1001 equals agent 1001's extension number: the agent sees its own user topics only.
  [agent, '/topic/callExtStatus/1001', false],
  [agent, '/topic/callTaskStatus/1001', false],
  [agent, '/topic/task/1001', false],
  [agent, '/topic/notify/1001/1001', false],
  [manager, '/topic/callExtStatus/boss', false],
  [manager, '/topic/task/boss', false],
  [agent, '/topic/unknownTopic/1001', false],
];

t.test(
  'subscription rules: agents see their own and their project task topics, managers their project',
  async (t) => {
    for (const [who, destination, allowed] of table) {
      const verdict = authorizeSubscribe(deps, who, destination);
      if (allowed) t.equal(verdict, true, `${who.role} ${who.username} → ${destination}`);
      else t.match(verdict, /may not subscribe|only \/topic/, `${who.role} ${who.username} ✗ ${destination}`);
    }
  },
);

t.test('acting as another username: own always, manager for its agents, service for all', async (t) => {
  t.ok(mayActAs(deps, agent, '1001'));
  t.notOk(mayActAs(deps, agent, '1002'));
  t.ok(mayActAs(deps, manager, '1002'));
  t.notOk(mayActAs(deps, manager, '2001'));
  t.ok(mayActAs(deps, service, '2001'));
  const rules = projectAccessRules(deps);
  t.equal(rules.authorizeSubscribe(agent, '/topic/bye/1001'), true);
  t.notOk(rules.mayActAs(agent, '2001'));
});

t.test('the username of an /app body: JSON string or number, else none', async (t) => {
  t.equal(usernameOf('{"username":"1001","projectCode":"P1"}'), '1001');
  t.equal(usernameOf(' {"username":1001}'), '1001');
  t.equal(usernameOf('{"username":null}'), undefined);
  t.equal(usernameOf('{"telNo":"1"}'), undefined);
  t.equal(usernameOf('{broken'), undefined);
  t.equal(usernameOf('1001'), undefined);
  t.equal(usernameOf('[{"username":"x"}]'), undefined);
});

t.test('version negotiation picks the highest common version, no header meaning 1.0', async (t) => {
  t.equal(negotiateVersion(undefined), '1.0');
  t.equal(negotiateVersion('1.0,1.1,1.2'), '1.2');
  t.equal(negotiateVersion('1.1, 1.0'), '1.1');
  t.equal(negotiateVersion('2.0'), null);
  // Read in place now (no lists): entries trimmed as String.prototype.trim does, and nothing else matches.
  t.equal(negotiateVersion(' 1.1 ,\t1.2\u3000'), '1.2');
  t.equal(negotiateVersion('1.2x,x1.1,1. 0'), null);
  t.equal(negotiateVersion(',,1.0,'), '1.0');
  t.equal(negotiateVersion('  '), '1.0');
});

t.test(
  'the heart-beat header is two decimal numbers around a comma, spaces allowed; anything else is 0,0',
  async (t) => {
    const server = { sendMs: 1, receiveMs: 1 };
    const read = (h: string) => {
      const n = negotiateHeartbeat(h, server);
      return [n.incomingMs, n.outgoingMs];
    };
    t.same(read(' 7000 ,\t9000\u3000'), [7000, 9000]);
    t.same(read('0010,20'), [10, 20]);
    for (const bad of ['1e3,5', '-1,5', '5,+5', '1.5,5', '5,,5', '5', ',5', '5,', '5 5,5', 'x,5'])
      t.same(read(bad), [0, 0], bad);
  },
);

t.test('heart-beats: each direction on only if both sides agree, at the larger interval', async (t) => {
  const server = { sendMs: 10000, receiveMs: 10000 };
  t.same(negotiateHeartbeat('4000,20000', server), {
    outgoingMs: 20000,
    incomingMs: 10000,
    header: '10000,10000',
  });
  t.same(negotiateHeartbeat('0,0', server), { outgoingMs: 0, incomingMs: 0, header: '10000,10000' });
  t.same(negotiateHeartbeat(undefined, server).outgoingMs, 0);
  t.same(negotiateHeartbeat('garbage', server).incomingMs, 0);
  t.same(negotiateHeartbeat('5000,5000', { sendMs: 0, receiveMs: 0 }), {
    outgoingMs: 0,
    incomingMs: 0,
    header: '0,0',
  });
});

t.test(
  'heart-beats: no client value reaches a timer unchecked (5 min at most, never below our policy)',
  async (t) => {
    const server = { sendMs: 10000, receiveMs: 10000 };
    t.same(negotiateHeartbeat('4294967296,4294967296', server), {
      outgoingMs: 300000,
      incomingMs: 300000,
      header: '10000,10000',
    });
    t.same(negotiateHeartbeat('99999999999999999999999,1', server).incomingMs, 300000);
    const eager = negotiateHeartbeat('1,1', server);
    t.same([eager.outgoingMs, eager.incomingMs], [10000, 10000], 'a client cannot make us beat faster');
  },
);
