// Issue 20, ownership by lease at the server level: two whole apps on ONE PostgreSQL database, one FreeSWITCH
// emulator and one RabbitMQ. Each project is dialled by its owner only, under its fencing epoch; a killed owner's
// projects are taken within the lease and nothing is dialled twice; a paused owner whose own clock stood still is
// stopped by the database's fencing, not by its good will.
import { sql } from 'drizzle-orm';
import t from 'tap';
import { leaseCluster, TEST_TIMINGS, until, type LeaseCluster } from '../support/lease-cluster.js';
import { insertGateway } from '../support/gateways.js';

interface Originate {
  instance: string;
  epoch: number;
  project: string;
  phone: string;
  at: number;
}

/** The customer originates the emulator received, with the owner variables they carry. */
function originates(c: LeaseCluster): Originate[] {
  return c.fs.commands
    .filter((cmd) => cmd.line.includes('originate') && cmd.line.includes('cc_role=customer'))
    .map((cmd) => {
      const v = (name: string) => new RegExp(`[{,]${name}=([^,}]*)`).exec(cmd.line)?.[1] ?? '';
      return {
        instance: v('cc_instance'),
        epoch: Number(v('cc_epoch')),
        project: v('cc_project'),
        phone: v('cc_number'),
        at: cmd.at,
      };
    });
}

/** A running play-only task of `n` numbers in the project, on its own gateway of `lines` lines. */
async function playTask(c: LeaseCluster, project: string, n: number, lines: number): Promise<string[]> {
  const { repos } = c;
  const now = Date.now();
  const p = (await repos.projects.activeByCode(project))!;
  await c.exec(
    sql`insert into voices (voice_code, file_path, created_at, updated_at) values (${`v-${project}`}, '/var/voices/a.wav', ${now}, ${now})`,
  );
  const task = await repos.tasks.insert(
    {
      callTaskCode: `t-${project}`,
      projectId: p.id,
      scheduleType: 5,
      callType: 1,
      rate: 1,
      expiredTime: now + 86_400_000,
      voiceCode: `v-${project}`,
      status: 2,
    },
    now,
  );
  const gw = await insertGateway(repos.gateways, { gwCode: `gw-${project}`, expectCount: lines }, now);
  await repos.tasks.setGateways(task.id, [{ gatewayId: gw.id, concurrency: lines }]);
  const prefix = 100 + ([...project].reduce((sum, ch) => sum + ch.charCodeAt(0), 0) % 900);
  const phones = Array.from({ length: n }, (_, i) => `13${prefix}${String(i).padStart(6, '0')}`);
  await repos.tasks.addNumbers(task.id, phones, now);
  return phones;
}

const settled = async (c: LeaseCluster, project: string, n: number) => {
  const p = await c.repos.projects.activeByCode(project);
  const task = (await c.repos.tasks.byCode(`t-${project}`))!;
  return p && (await c.repos.tasks.countsByState(task.id)).done === n;
};

/** Both instances heartbeat, so projects created now are shared out between them. */
const bothLive = (c: LeaseCluster) =>
  until(
    'both instances live',
    async () => (await c.exec(sql`select id from cluster_instances`)).length === 2,
  );

const perPhone = (os: Originate[]) => {
  const n = new Map<string, number>();
  for (const o of os) n.set(o.phone, (n.get(o.phone) ?? 0) + 1);
  return n;
};

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
