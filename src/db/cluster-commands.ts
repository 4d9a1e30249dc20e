// `npm run cli -- cluster list` and `cluster move PROJECT INSTANCE` (issue 20): an operator sees which instance owns
// which project, and hands a project to another live instance. A move only asks (the lease row's move_to): the owner
// drains the project (dials nothing more, waits until no customer of it is rung or waiting for an agent at its
// socket, at most one lease) and releases it, and the named instance takes it in its next round.
import { DEFAULT_LEASE_TIMINGS } from '../cluster/lease-rules.js';
import { pgLeaseStore } from './pg/leases.js';
import { openPgStore } from './pg/open.js';

interface CommandResult {
  out: string;
  code: number;
}

export const CLUSTER_USAGE =
  'usage: cli cluster list | cluster move PROJECT INSTANCE | cluster move PROJECT --cancel (with CC_DATABASE_URL)';

const ago = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export async function runClusterCli(argv: string[], databaseUrl: string | undefined): Promise<CommandResult> {
  const [, verb, project, to, ...rest] = argv;
  const listing = verb === 'list' && project === undefined;
  const moving = verb === 'move' && project !== undefined && to !== undefined && rest.length === 0;
  if (!listing && !moving) return { out: CLUSTER_USAGE, code: 2 };
  if (!databaseUrl)
    return { out: 'the cluster lives in PostgreSQL: set CC_DATABASE_URL to its database', code: 2 };
  const store = await openPgStore(databaseUrl, { max: 1 });
  try {
    const leases = pgLeaseStore(store.db);
    const view = await leases.view();
    const live = view.instances.filter((i) => view.dbNow - i.seenAt < DEFAULT_LEASE_TIMINGS.instanceTtlMs);
    if (listing) {
      // What each instance carries: the projects it holds now and its calls in progress at its last heartbeat.
      const held = (id: string) =>
        view.leases.filter((l) => l.owner === id && l.expiresAt > view.dbNow).length;
      const instances = view.instances.map(
        (i) =>
          `instance ${i.id}\t${live.includes(i) ? 'live' : 'gone'}\tseen ${ago(view.dbNow - i.seenAt)} ago\tsocket=${i.socketAt || '-'}\tprojects=${held(i.id)}\tcalls=${i.load}`,
      );
      const projects = view.leases.map((l) => {
        const held = l.owner !== null && l.expiresAt > view.dbNow;
        const owner = held
          ? `owner=${l.owner}\tepoch=${l.epoch}\texpires in ${ago(l.expiresAt - view.dbNow)}`
          : 'no owner';
        return `project ${l.projectCode}\t${owner}${l.moveTo ? `\tmoving to ${l.moveTo}` : ''}`;
      });
      return { out: [...instances, ...projects].join('\n') || '(no instance, no project)', code: 0 };
    }
    if (!view.leases.some((l) => l.projectCode === project))
      return { out: `no active project ${project}`, code: 1 };
    if (to === '--cancel') {
      await leases.requestMove(project!, null);
      return { out: `project ${project}: move cancelled`, code: 0 };
    }
    if (!live.some((i) => i.id === to))
      return {
        out: `no live instance ${to} (live: ${live.map((i) => i.id).join(', ') || 'none'}); nothing was changed`,
        code: 1,
      };
    await leases.requestMove(project!, to!);
    return {
      out: `project ${project}: asked to move to ${to}; its owner drains it and hands it over (cluster list shows it)`,
      code: 0,
    };
  } finally {
    await store.close();
  }
}
