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

t.test(
  'a registration change stores the registration only, a work change the work status only',
  async (t) => {
    const writes: object[] = [];
    const extensions = {
      setStatus: async (_u: string, fields: object) => void writes.push(fields),
    } as unknown as ExtensionsRepo;
    const r = new AgentRegistry({
      clock: new FakeClock(),
      publisher: { publish: () => undefined },
      extensions,
    });
    addAgent(r, '1001'); // registered, available
    r.apply('1001', { kind: 'unregistered' });
    r.apply('1001', { kind: 'set-work', workStatus: 0 });
    r.apply('1001', { kind: 'registered' });
    await r.stored();
    t.same(writes, [{ regStatus: 0 }, { workStatus: 0 }, { regStatus: 1 }], 'only what changed');
    t.ok(
      writes.every((w) => Object.keys(w).length === 1),
      "a stale work status never rides along with a registration (issue 20: it is the owner's to write)",
    );
  },
);
