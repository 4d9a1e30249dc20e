import t from 'tap';
import { AgentRegistry } from '../../src/agents/registry.js';
import { FakeClock } from '../../src/core/clock.js';
import type { ExtensionsRepo } from '../../src/db/repos/projects.js';

function registry(clock: FakeClock): AgentRegistry {
  const extensions = { setStatus: () => undefined } as unknown as ExtensionsRepo;
  return new AgentRegistry({ clock, publisher: { publish: () => undefined }, extensions });
}

function addAgent(r: AgentRegistry, username: string, projectCode = 'p1', type = 2): void {
  r.add({ username, projectCode, projectId: 1, nodeId: 1, type, regStatus: 1, workStatus: 1 });
}

t.test('reserveLongestIdle: the agent idle longest is reserved; a tie goes to the lowest extension', (t) => {
  const clock = new FakeClock();
  const r = registry(clock);
  for (const u of ['1010', '1002', '1001', '1003']) addAgent(r, u);
  addAgent(r, '1000', 'p2');
  addAgent(r, '0999', 'p1', 1);
  t.equal(r.reserveLongestIdle('p1', 'c1')?.username, '1001', 'equal idle times: lowest number first');
  clock.advance(1000);
  r.apply('1001', { kind: 'connected', callId: 'c1', destinationNumber: '138', destinationUUID: 'u1' });
  r.apply('1001', { kind: 'call-ended', callId: 'c1' });
  t.equal(r.reserveLongestIdle('p1', 'c3', new Set(['1002']))?.username, '1003', 'excluded ones are skipped');
  t.equal(r.reserveLongestIdle('p1', 'c4')?.username, '1002');
  t.equal(r.reserveLongestIdle('p1', 'c5')?.username, '1010');
  t.equal(
    r.reserveLongestIdle('p1', 'c6')?.username,
    '1001',
    'the agent who just finished a call comes last',
  );
  t.equal(
    r.reserveLongestIdle('p1', 'c7'),
    undefined,
    'managers (type 1) and other projects are never picked',
  );
  t.same(
    r.ofProject('p1').map((a) => a.username),
    ['0999', '1001', '1002', '1003', '1010'],
  );
  t.end();
});
