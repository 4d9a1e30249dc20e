// A server restart in the middle of a campaign: numbers that were being dialled when it stopped are settled from
// FreeSWITCH, never dialled again; the rest of the list goes on.
// On both stores (restart-pg.test.ts): what the last run left is written before the server starts (the harness's
// beforeStart), so the start-up recovery reads it whatever the store's round trips cost.
import { sql } from 'drizzle-orm';
import t from 'tap';
import { eventually, type TestApp } from '../support/app.js';
import { startCallHarness } from '../support/calls.js';
import { insertGateway } from '../support/gateways.js';

t.test(
  'after a restart, numbers left dialing are closed with a note and only pending ones are dialled',
  async (t) => {
    let taskId = 0;
    // What the last run left, written before the server starts, so its start-up recovery finds it on either store.
    const beforeStart = async ({ app, exec }: TestApp) => {
      const now = app.ctx.clock.now();
      await app.ctx.services.projects.createProject('pr', 1);
      const project = await app.ctx.repos.projects.activeByCode('pr');
      const gw = await insertGateway(app.ctx.repos.gateways, { gwCode: 'gwR', expectCount: 5 }, now);
      await exec(
        sql`insert into voices (voice_code, file_path, created_at, updated_at) values ('v-tr', '/var/voices/r.wav', ${now}, ${now})`,
      );
      // A play-only task as the last run left it: two numbers in flight (their calls died with the process), two
      // done, two pending.
      const task = await app.ctx.repos.tasks.insert(
        {
          callTaskCode: 'tr',
          projectId: project!.id,
          scheduleType: 5,
          callType: 1,
          rate: 1,
          expiredTime: now + 86_400_000,
          voiceCode: 'v-tr',
          evaluation: 0,
          status: 2,
        },
        now,
      );
      taskId = task.id;
      await app.ctx.repos.tasks.setGateways(taskId, [{ gatewayId: gw.id, concurrency: 5 }]);
      const rows: [string, 'dialing' | 'done' | 'pending', string | null][] = [
        ['13700000001', 'dialing', '11111111-1111-4111-8111-111111111111'],
        ['13700000002', 'dialing', '22222222-2222-4222-8222-222222222222'],
        ['13700000003', 'done', null],
        ['13700000004', 'done', null],
        ['13700000005', 'pending', null],
        ['13700000006', 'pending', null],
      ];
      const values = rows.map(
        ([phone, state, callUuid]) =>
          sql`(${taskId}, ${phone}, ${state}, ${callUuid}, ${state === 'done' ? 50 : null}, ${now})`,
      );
      await exec(
        sql`insert into task_numbers (task_id, phone, state, call_uuid, result_detail, updated_at) values ${sql.join(values, sql`, `)}`,
      );
    };
    const h = await startCallHarness({ beforeStart }, { dialerTickMs: 50 });
    t.teardown(h.close);
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
