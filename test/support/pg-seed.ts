// A PostgreSQL store with one node, one project and one task, for the pg repository and dispenser tests.
import { openPgStore, type PgStore } from '../../src/db/pg/open.js';
import { createPgRepos, type PgRepos } from '../../src/db/pg/repos/index.js';
import { freshPgDatabase } from './postgres.js';

export const SEED_NOW = Date.UTC(2026, 10, 23, 8);

export const seedNode = {
  name: 'n1',
  eslHost: '127.0.0.1',
  eslPort: 8021,
  eslPassword: 'ClueCon',
  wssUrl: 'wss://fs.example.com:7443',
  nativeAddress: '127.0.0.1:5060',
  sipDomain: 'fs.example.com',
  maxSessions: 100,
  sessionsPerSecond: 10,
};

export interface SeededPg {
  url: string;
  store: PgStore;
  repos: PgRepos;
  projectId: number;
  taskId: number;
}

/** A fresh database (dropped when `t` ends) with a project and task `T1`; the store is closed when `t` ends. */
export async function seededPg(t: { teardown(fn: () => unknown): void }): Promise<SeededPg> {
  const url = await freshPgDatabase(t);
  const store = await openPgStore(url);
  t.teardown(() => store.close());
  const repos = createPgRepos(store.db);
  const node = await repos.nodes.insert(seedNode, SEED_NOW);
  const project = await repos.projects.insert(
    { projectCode: 'P1', seats: 5, nodeId: node.id, certificate: 'cert-p1' },
    SEED_NOW,
  );
  const task = await repos.tasks.insert(
    {
      callTaskCode: 'T1',
      projectId: project.id,
      scheduleType: 1,
      callType: 1,
      rate: 1.5,
      expiredTime: SEED_NOW + 86_400_000,
    },
    SEED_NOW,
  );
  return { url, store, repos, projectId: project.id, taskId: task.id };
}
