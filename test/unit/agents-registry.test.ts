import t from 'tap';
import { AgentRegistry } from '../../src/agents/registry.js';
import { FakeClock } from '../../src/core/clock.js';
import type { ExtensionsRepo } from '../../src/db/repos/projects.js';
import { isOfferable, type AgentEvent } from '../../src/agents/state.js';
import type { WorkStatus } from '../../src/core/codes.js';

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

t.test('the offerable index agrees with a scan of every extension after every kind of agent change', (t) => {
  const clock = new FakeClock();
  const r = registry(clock);
  // A small deterministic generator: the same sequence on every run.
  let seed = 21;
  const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n) | 0;
  const users = ['1001', '1002', '1003', '1004', '1005', '1006', '2001', '2002'];
  const projects = ['p1', 'p2'];
  const scan = (projectCode: string) =>
    r
      .all()
      .filter((a) => a.projectCode === projectCode && a.type === 2 && isOfferable(a.state))
      .map((a) => a.username)
      .sort();
  const longestIdle = (projectCode: string, skip: Set<string>) =>
    r
      .all()
      .filter(
        (a) => a.projectCode === projectCode && a.type === 2 && isOfferable(a.state) && !skip.has(a.username),
      )
      .sort((a, b) => a.state.idleSince - b.state.idleSince || Number(a.username) - Number(b.username))[0]
      ?.username;
  for (const u of users)
    r.add({ username: u, projectCode: 'p1', projectId: 1, nodeId: 1, type: 2, regStatus: 1, workStatus: 1 });
  const kinds = new Set<string>();
  let mismatches = 0;
  for (let i = 0; i < 4000; i++) {
    clock.advance(rnd(3) * 100);
    const u = users[rnd(users.length)]!;
    const callId = `c${rnd(4)}`;
    const step = rnd(13);
    const event: AgentEvent | undefined = [
      { kind: 'registered' },
      { kind: 'unregistered' },
      { kind: 'set-work', workStatus: rnd(2) === 0 ? 1 : ([0, 2, 3, 4][rnd(4)] as WorkStatus) },
      { kind: 'reserve', callId },
      { kind: 'release', callId },
      { kind: 'connected', callId, destinationNumber: '138', destinationUUID: callId },
      { kind: 'call-ended', callId },
      { kind: 'conference-joined' },
      { kind: 'conference-left' },
    ][step] as AgentEvent | undefined;
    if (event) {
      kinds.add(event.kind);
      r.apply(u, event);
    } else if (step === 9) {
      kinds.add('remove');
      r.remove(u);
    } else if (step === 10) {
      // Re-added (the store's view after a change elsewhere), maybe moved to the other project or type.
      kinds.add('add');
      r.add({
        username: u,
        projectCode: projects[rnd(2)]!,
        projectId: 1,
        nodeId: 1,
        type: rnd(4) === 0 ? 1 : 2,
        regStatus: rnd(3) === 0 ? 0 : 1,
        workStatus: rnd(3) === 0 ? 0 : 1,
      });
    } else {
      kinds.add('reserveLongestIdle');
      const p = projects[rnd(2)]!;
      const skip = new Set(users.filter(() => rnd(4) === 0));
      const want = longestIdle(p, skip);
      const got = r.reserveLongestIdle(p, callId, skip)?.username;
      if (got !== want) mismatches++;
    }
    for (const p of projects) {
      const index = r
        .offerable(p)
        .map((a) => a.username)
        .sort();
      if (JSON.stringify(index) !== JSON.stringify(scan(p))) mismatches++;
    }
  }
  t.equal(mismatches, 0, "the index, and the agent it picks, are the scan's at every step");
  t.equal(kinds.size, 12, 'every kind of change was exercised');
  t.end();
});

t.test('onCall names the agents whose state is on that call, and only them', (t) => {
  const r = registry(new FakeClock());
  for (const u of ['1001', '1002', '1003']) addAgent(r, u);
  t.equal(r.reserveLongestIdle('p1', 'c1')?.username, '1001');
  r.apply('1002', { kind: 'reserve', callId: 'c2' });
  r.apply('1002', { kind: 'connected', callId: 'c2', destinationNumber: '138', destinationUUID: 'u2' });
  t.same(
    r.onCall('c1').map((a) => a.username),
    ['1001'],
  );
  t.same(
    r.onCall('c2').map((a) => a.username),
    ['1002'],
  );
  t.same(r.onCall('c3'), []);
  r.apply('1002', { kind: 'call-ended', callId: 'c2' });
  t.same(r.onCall('c2'), [], 'a call that ended has no agent');
  t.end();
});
