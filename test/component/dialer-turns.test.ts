// The dialler's tick sliced across turns of the event loop (issue 21), in the whole app: a tick that launches more
// customers than one turn holds launches them all, in the order the numbers were dispensed, and the next tick starts
// only once the last of them has left.
import t from 'tap';
import { sql } from 'drizzle-orm';
import { ORIGINATES_PER_TURN } from '../../src/dialer/customer-calls.js';
import { startCallHarness } from '../support/calls.js';
import { insertGateway } from '../support/gateways.js';

t.test(
  'a tick with more customers than a turn holds dials them all, in order, before the next tick',
  async (t) => {
    const h = await startCallHarness({ emulator: { defaultPlaybackMs: 60_000 } }, { dialerTickMs: 5 });
    t.teardown(h.close);
    await h.exec(sql`update fs_nodes set sessions_per_second = 1000, max_sessions = 1000`);
    await h.project('pt', 1, { register: false });
    const n = 3 * ORIGINATES_PER_TURN + 4;
    const now = h.app.ctx.clock.now();
    const gw = await insertGateway(h.app.ctx.repos.gateways, { gwCode: 'gwT', expectCount: n }, now);
    // What the dialler does, in order: each tick starts by loading its view; then it originates each number.
    const seen: string[] = [];
    // Counts turns of the event loop (an immediate set from an immediate runs at the next turn) while the tick dials.
    let turn = 0;
    let spin = setImmediate(function next() {
      turn++;
      spin = setImmediate(next);
    });
    t.teardown(() => clearImmediate(spin));
    const { dialerView } = h.app.ctx.repos;
    const load = dialerView.load.bind(dialerView);
    dialerView.load = (at) => (seen.push('tick'), load(at));
    const { nodes } = h.app;
    const bgapi = nodes.bgapi.bind(nodes);
    const turnOf = new Map<number, number>();
    nodes.bgapi = (nodeId, command, opts) => {
      const id = /cc_number_id=(\d+)/.exec(command)?.[1];
      if (id !== undefined) {
        seen.push(`mark ${id}`);
        turnOf.set(Number(id), turn);
      }
      return bgapi(nodeId, command, opts);
    };
    const taskId = await h.task({
      code: 'tt',
      projectCode: 'pt',
      scheduleType: 5,
      voiceFile: '/var/voices/t.wav',
    });
    const { tasks } = h.app.ctx.repos;
    await tasks.setGateways(taskId, [{ gatewayId: gw.id, concurrency: n }]);
    const phones = Array.from({ length: n }, (_, i) => `1370000${String(i).padStart(4, '0')}`);
    await tasks.addNumbers(taskId, phones, now);
    await h.fs.waitFor(() => seen.filter((s) => s.startsWith('mark')).length === n, 10_000);
    clearImmediate(spin);
    const first = seen.findIndex((s) => s.startsWith('mark'));
    const marks = seen.slice(first, first + n);
    t.ok(
      marks.every((s) => s.startsWith('mark')),
      'no tick started while the first one was still dialling',
    );
    const ids = marks.map((s) => Number(s.split(' ')[1]));
    t.same(
      ids,
      [...ids].sort((a, b) => a - b),
      'dialled in the order the numbers were dispensed',
    );
    const turns = new Set(ids.map((id) => turnOf.get(id)));
    t.ok(
      turns.size >= Math.ceil(n / ORIGINATES_PER_TURN),
      `spread over ${turns.size} turns of the event loop`,
    );
    await h.fs.waitFor(() => h.fs.commands.filter((c) => c.line.includes('originate')).length === n);
  },
);
