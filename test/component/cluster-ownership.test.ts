// Issue 20, ownership by lease at the server level: two whole apps on ONE PostgreSQL database, one FreeSWITCH
// emulator and one RabbitMQ. Each project is dialled by its owner only, under its fencing epoch; a killed owner's
// projects are taken within the lease and nothing is dialled twice; a paused owner whose own clock stood still is
// stopped by the database's fencing, not by its good will.
import { sql } from 'drizzle-orm';
import t from 'tap';
import {
  bothLive,
  leaseCluster,
  originates,
  perPhone,
  playTask,
  settled,
  TEST_TIMINGS,
  until,
} from '../support/lease-cluster.js';

t.test(
  'two projects end up owned by different instances, and each is dialled by its owner only',
  async (t) => {
    const c = await leaseCluster(t, 2, { defaultPlaybackMs: 5000 });
    const [a, b] = c.members;
    await bothLive(c);
    await a!.app.ctx.services.projects.createProject('pa', 1);
    await a!.app.ctx.services.projects.createProject('pb', 1);
    const owners = await until('both projects owned', async () => {
      const o = [await c.ownerOf('pa'), await c.ownerOf('pb')];
      return o.every(Boolean) && o;
    });
    t.not(owners[0], owners[1], `owned by different instances (${owners.join(', ')})`);
    const pa = await playTask(c, 'pa', 10, 2);
    const pb = await playTask(c, 'pb', 10, 2);
    await until(
      'every number settled',
      async () => (await settled(c, 'pa', 10)) && (await settled(c, 'pb', 10)),
    );
    const os = originates(c);
    t.same(
      [...perPhone(os).entries()].filter(([, n]) => n !== 1),
      [],
      'every number dialled exactly once',
    );
    t.equal(os.length, pa.length + pb.length);
    for (const [project, owner] of [
      ['pa', owners[0]],
      ['pb', owners[1]],
    ] as const) {
      const mine = os.filter((o) => o.project === project);
      t.same(
        [...new Set(mine.map((o) => o.instance))],
        [owner],
        `${project}: only its owner ${owner} dialled`,
      );
      t.ok(
        mine.every((o) => o.epoch >= 1),
        `${project}: every leg carries the lease's epoch (cc_epoch)`,
      );
    }
    const epochs = await c.exec(sql`select distinct epoch from task_numbers`);
    t.ok(
      epochs.every((r) => Number(r.epoch) >= 1),
      'numbers record the epoch they were dispensed under',
    );
    // The manager page's API names the owner, whichever instance answers.
    for (const [project, owner] of [
      ['pa', owners[0]],
      ['pb', owners[1]],
    ] as const) {
      const manager = a!.app.ctx.services.agents.ofProject(project).find((x) => x.type === 3)!.username;
      const password = (await c.repos.extensions.byUsername(manager))!.password;
      const r = await a!.app.http.inject({
        method: 'GET',
        url: `/callcenter/console/owner?projectCode=${project}`,
        headers: { authorization: `Basic ${Buffer.from(`${manager}:${password}`).toString('base64')}` },
      });
      t.same(r.json().data, { instance: owner, servedBy: a!.id }, `${project}'s owner on the manager API`);
    }
    const metrics = (await a!.app.http.inject({ method: 'GET', url: '/metrics' })).body;
    t.match(
      metrics,
      new RegExp(
        `callcenter_lease_age_ms\\{project="${owners[0] === a!.id ? 'pa' : 'pb'}",epoch="\\d+"\\} \\d+`,
      ),
      '/metrics has the lease age of what it owns',
    );
    // /health of each instance names the projects it owns.
    for (const m of [a!, b!]) {
      const health = (await m.app.http.inject({ method: 'GET', url: '/health' })).json();
      t.same(
        health.data.leases.owned.map((l: { projectCode: string }) => l.projectCode),
        owners[0] === m.id ? ['pa'] : ['pb'],
        `${m.id}'s /health shows what it owns`,
      );
    }
  },
);

t.test(
  'a killed owner: the survivor takes its project within the lease; nothing dialled twice',
  async (t) => {
    const c = await leaseCluster(t, 2, { defaultPlaybackMs: 60_000 });
    await bothLive(c);
    await c.members[0]!.app.ctx.services.projects.createProject('pk', 1);
    const first = await until('owned', () => c.ownerOf('pk'));
    const victim = c.members.find((m) => m.id === first)!;
    const survivor = c.members.find((m) => m.id !== first)!;
    const phones = await playTask(c, 'pk', 16, 3);
    await until('calls in progress', () => originates(c).length >= 4);
    const killedAt = Date.now();
    await victim.kill();
    await until('the survivor took the project', async () => (await c.ownerOf('pk')) === survivor.id, 15_000);
    const takeoverMs = Date.now() - killedAt;
    t.ok(
      takeoverMs < TEST_TIMINGS.ttlMs + TEST_TIMINGS.instanceTtlMs + 2000,
      `taken within the lease and the instance's expiry (${takeoverMs} ms)`,
    );
    await until('every number settled', () => settled(c, 'pk', phones.length), 30_000);
    const os = originates(c);
    t.same(
      [...perPhone(os).entries()].filter(([, n]) => n > 1),
      [],
      'no number dialled twice',
    );
    t.ok(
      os.some((o) => o.instance === survivor.id),
      'the survivor dialled the rest',
    );
    t.ok(
      os.filter((o) => o.instance === victim.id).every((o) => o.at <= killedAt + 100),
      'the killed instance dialled nothing after it died',
    );
    const rows = await c.exec(
      sql`select state, count(*)::int as n from task_numbers group by state order by state`,
    );
    t.same(rows, [{ state: 'done', n: phones.length }], 'every number settled once, none left dialing');
  },
);

t.test(
  "a paused owner whose clock stood still: the database's fence refuses its dialling after the lease passed",
  async (t) => {
    const c = await leaseCluster(t, 2, { defaultPlaybackMs: 2000 });
    await bothLive(c);
    await c.members[0]!.app.ctx.services.projects.createProject('pf', 1);
    const first = await until('owned', () => c.ownerOf('pf'));
    const paused = c.members.find((m) => m.id === first)!;
    const other = c.members.find((m) => m.id !== first)!;
    const staleEpoch = paused.keeper.epochOf('pf')!;
    const phones = await playTask(c, 'pf', 40, 2);
    await until('dialling', () => originates(c).length >= 2);
    paused.freeze();
    t.ok(paused.keeper.mayDial('pf'), 'frozen, the paused owner still believes it may dial');
    await until('the other took the project', async () => (await c.ownerOf('pf')) === other.id, 15_000);
    const takenAt = Date.now();
    const [taken] = await c.exec(sql`select epoch from project_leases where project_code = 'pf'`);
    t.ok(Number(taken!.epoch) > staleEpoch, 'the take bumped the epoch');
    await until('every number settled', () => settled(c, 'pf', phones.length), 40_000);
    const os = originates(c);
    t.same(
      os.filter((o) => o.instance === paused.id && o.at > takenAt),
      [],
      'the paused owner, still believing itself the owner, originated nothing once the project was taken',
    );
    t.same(
      [...perPhone(os).entries()].filter(([, n]) => n > 1),
      [],
      'no number dialled twice',
    );
    // Its own stale fence is refused by the database, whatever it believes.
    const fence = { instanceId: paused.id, projectCode: 'pf', epoch: staleEpoch };
    const task = (await c.repos.tasks.byCode('t-pf'))!;
    await c.repos.tasks.addNumbers(task.id, ['13999999999'], Date.now());
    t.same(
      await paused.repos.numbers.dispenseNumbers(task.id, 1, Date.now(), undefined, fence),
      [],
      'dispensing under the old epoch is refused',
    );
    paused.thaw();
    t.notOk(paused.keeper.mayDial('pf'), 'resumed, its clock caught up: its grant no longer allows dialling');
    await until('a round dropped the lost grant', () => paused.keeper.epochOf('pf') === undefined);
    t.notOk(paused.keeper.mayDial('pf'), 'and it does not take it back');
  },
);
