// Which legs the outbound socket believes (issue 17.1), as tables of connect-reply variables → verdicts.
import t from 'tap';
import { ExpectedLegs } from '../../src/calls/expected-legs.js';
import { peerCheck, proveLeg, socketToken } from '../../src/calls/leg-proof.js';
import { FakeClock } from '../../src/core/clock.js';

const SECRET = 'secret';
const nodes = [
  { id: 1, name: 'local' },
  { id: 2, name: 'fs2' },
];
const vars = (v: Record<string, string>) =>
  Object.fromEntries(Object.entries(v).map(([k, x]) => [`variable_${k}`, x]));

function setup() {
  const clock = new FakeClock(1_000_000);
  const expected = new ExpectedLegs(clock);
  const prove = (v: Record<string, string>) =>
    proveLeg(vars(v), { secret: SECRET, nodes: () => nodes, expected });
  return { clock, expected, prove };
}
const tok = (node: string) => socketToken(SECRET, node);

t.test(
  'dialplan legs: the node token alone proves them, and they may carry no originate variable',
  async (t) => {
    const { prove } = setup();
    t.match(prove({ cc_socket_token: tok('local'), cc_flow: 'agent_login' }), { ok: true, nodeId: 1 });
    t.match(prove({ cc_socket_token: tok('fs2'), cc_flow: 'inbound' }), { ok: true, nodeId: 2 });
    t.match(prove({ cc_flow: 'agent_login' }), { ok: false, why: 'token' });
    t.match(prove({ cc_socket_token: '', cc_flow: 'agent_login' }), { ok: false, why: 'token' });
    t.match(prove({ cc_socket_token: tok('gone'), cc_flow: 'agent_login' }), { ok: false, why: 'token' });
    t.match(prove({ cc_socket_token: socketToken('other', 'local'), cc_flow: 'fifo' }), {
      ok: false,
      why: 'token',
    });
    t.match(prove({ cc_socket_token: tok('local').slice(1), cc_flow: 'fifo' }), { ok: false, why: 'token' });
    for (const name of ['cc_call_id', 'cc_number_id', 'cc_task', 'cc_agent', 'cc_dial'])
      t.match(
        prove({ cc_socket_token: tok('local'), cc_flow: 'agent_logoff', [name]: '7' }),
        { ok: false, why: 'forged-variables' },
        name,
      );
    t.match(
      proveLeg(vars({ cc_socket_token: tok('local'), cc_flow: 'inbound' }), {
        secret: '',
        nodes: () => nodes,
        expected: new ExpectedLegs(new FakeClock()),
      }),
      { ok: false, why: 'token' },
      'no secret, no proof',
    );
  },
);

t.test(
  'originated legs: announced, by the node they went to, with their flow and number, once',
  async (t) => {
    const { prove, expected, clock } = setup();
    expected.expect('c1', { nodeId: 1, flow: 'direct', numberId: 5 }, 60_000);
    const leg = { cc_socket_token: tok('local'), cc_call_id: 'c1', cc_flow: 'direct', cc_number_id: '5' };
    t.match(prove(leg), { ok: true, nodeId: 1, originated: { numberId: 5 } });
    t.match(prove(leg), { ok: false, why: 'unexpected-leg' }, 'a second leg with the same call id');
    t.match(prove({ ...leg, cc_call_id: 'never' }), { ok: false, why: 'unexpected-leg' });
    t.match(prove({ cc_socket_token: tok('local'), cc_flow: 'direct' }), {
      ok: false,
      why: 'unexpected-leg',
    });

    const forged: [string, Record<string, string>][] = [
      ['another number', { ...leg, cc_number_id: '6' }],
      ['no number', { ...leg, cc_number_id: '' }],
      ['another flow', { ...leg, cc_flow: 'play' }],
      ["another node's token", { ...leg, cc_socket_token: tok('fs2') }],
    ];
    for (const [what, v] of forged) {
      expected.expect('c1', { nodeId: 1, flow: 'direct', numberId: 5 }, 60_000);
      t.match(prove(v), { ok: false, why: 'forged-variables' }, what);
      t.match(prove(leg), { ok: false, why: 'unexpected-leg' }, `${what}: the claim is spent`);
    }

    expected.expect('c2', { nodeId: 1, flow: 'agent-first' }, 1000);
    clock.advance(1001);
    t.match(prove({ cc_socket_token: tok('local'), cc_call_id: 'c2', cc_flow: 'agent-first' }), {
      ok: false,
      why: 'unexpected-leg',
    });
    expected.expect('c3', { nodeId: 2, flow: 'agent-first' }, 1000);
    expected.forget('c3');
    t.match(prove({ cc_socket_token: tok('fs2'), cc_call_id: 'c3', cc_flow: 'agent-first' }), {
      ok: false,
      why: 'unexpected-leg',
    });
  },
);

t.test('expected legs that never come are swept', async (t) => {
  const clock = new FakeClock(0);
  const expected = new ExpectedLegs(clock);
  for (let i = 0; i < 100; i++) expected.expect(`c${i}`, { nodeId: 1, flow: 'direct' }, 1000);
  clock.advance(2000);
  expected.expect('last', { nodeId: 1, flow: 'direct' }, 1000);
  t.equal(expected.size, 1);
});

t.test(
  'peers: the nodes\u2019 addresses, CC_SOCKET_ALLOW, or everyone where the address cannot be known',
  async (t) => {
    const check = (
      nodeList: { eslHost: string; nativeAddress: string }[],
      o: { allow?: string[]; behindProxy?: boolean } = {},
    ) =>
      peerCheck({
        allow: o.allow ?? [],
        behindProxy: o.behindProxy ?? false,
        nodes: () => nodeList,
        localAddresses: () => ['127.0.0.1', '192.168.1.5'],
      });
    const remote = check([{ eslHost: '10.0.0.5', nativeAddress: '10.0.1.5:5060' }]);
    t.ok(remote('10.0.0.5'), 'the ESL host');
    t.ok(remote('10.0.1.5'), 'the SIP address');
    t.notOk(remote('127.0.0.1'), 'not this host when the node is elsewhere');
    t.notOk(remote('10.0.0.6'));
    const local = check([{ eslHost: '127.0.0.1', nativeAddress: '127.0.0.1:5060' }]);
    t.ok(local('127.0.0.1'));
    t.ok(local('192.168.1.5'), "any of this host's addresses when the node is on this host");
    t.notOk(local('192.168.1.6'));
    t.ok(check([{ eslHost: '10.0.0.5', nativeAddress: '' }], { allow: ['10.9.9.9'] })('10.9.9.9'), 'allow');
    t.ok(
      check([{ eslHost: '10.0.0.5', nativeAddress: '' }], { behindProxy: true })('10.7.7.7'),
      'behind a proxy',
    );
    t.notOk(
      check([{ eslHost: '10.0.0.5', nativeAddress: '' }], { behindProxy: true, allow: ['10.9.9.9'] })(
        '10.7.7.7',
      ),
      'behind a proxy named in allow',
    );
    t.ok(check([{ eslHost: 'fs.example.com', nativeAddress: '' }])('10.7.7.7'), 'a node named by host name');
    t.notOk(
      check([{ eslHost: 'fs.example.com', nativeAddress: '' }], { allow: ['10.9.9.9'] })('10.7.7.7'),
      'unless allow names the addresses',
    );
  },
);
