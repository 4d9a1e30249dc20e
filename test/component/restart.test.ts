// A server restart in the middle of a campaign: numbers that were being dialled when it stopped are settled from
// FreeSWITCH, never dialled again; the rest of the list goes on.
// The fixtures are SQL either store takes. (Not in the PostgreSQL set: the rows must be written before the
// start-up recovery reads them, a race PostgreSQL round trips lose; the live faults group proves the restart there.)
import { sql } from 'drizzle-orm';
import t from 'tap';
import { eventually } from '../support/app.js';
import { startCallHarness } from '../support/calls.js';
import { insertGateway } from '../support/gateways.js';

t.test(
  'after a restart, numbers left dialing are closed with a note and only pending ones are dialled',
  async (t) => {
    const h = await startCallHarness({}, { dialerTickMs: 50 });
    t.teardown(h.close);
    await h.project('pr', 1, { register: false });
    const now = h.app.ctx.clock.now();
    const gw = await insertGateway(h.app.ctx.repos.gateways, { gwCode: 'gwR', expectCount: 5 }, now);
    // A play-only task as the last run left it: two numbers in flight (their calls died with the process), two done, two pending.
    const taskId = await h.task({
      code: 'tr',
      projectCode: 'pr',
      scheduleType: 5,
      voiceFile: '/var/voices/r.wav',
    });
    await h.app.ctx.repos.tasks.setGateways(taskId, [{ gatewayId: gw.id, concurrency: 5 }]);
    const rows: [string, 'dialing' | 'done' | 'pending', string | null][] = [
      ['13700000001', 'dialing', '11111111-1111-4111-8111-111111111111'],
      ['13700000002', 'dialing', '22222222-2222-4222-8222-222222222222'],
      ['13700000003', 'done', null],
      ['13700000004', 'done', null],
      ['13700000005', 'pending', null],
      ['13700000006', 'pending', null],
    ];
    // One statement, so that no tick sees half of them.
    const values = rows.map(
      ([phone, state, callUuid]) =>
        sql`(${taskId}, ${phone}, ${state}, ${callUuid}, ${state === 'done' ? 50 : null}, ${now})`,
    );
    await h.exec(
      sql`insert into task_numbers (task_id, phone, state, call_uuid, result_detail, updated_at) values ${sql.join(values, sql`, `)}`,
    );
    type Row = { phone: string; state: string; result_detail: number | null; note: string | null };
    const settled = await eventually(async () => {
      const all = await h.exec<Row>(sql`select * from task_numbers where task_id = ${taskId}`);
      return all.every((n) => n.state === 'done') ? all : undefined;
    }, 10_000);
    const dialled = h.fs.commands
      .filter((c) => c.line.includes('originate'))
      .map((c) => /cc_number=(\d+)/.exec(c.line)?.[1]);
    t.same(dialled.sort(), ['13700000005', '13700000006'], 'only the pending numbers are dialled');
    t.match(
      settled.find((n) => n.phone === '13700000001'),
      { result_detail: 5, note: /in flight when the server stopped/ },
    );
    t.match(
      settled.find((n) => n.phone === '13700000003'),
      { result_detail: 50, note: null },
      'finished numbers are untouched',
    );
  },
);
