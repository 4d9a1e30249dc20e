// One node, one project 'p' and one task 'T' (scheduleType 1) in a store of either kind: the fixture the store-level
// suites (numbers, hot-path statements) start from.
import type { Repos } from '../../src/db/repos/index.js';
import { insertGateway } from './gateways.js';

export async function seedProjectTask(repos: Repos, now: number) {
  const node = await repos.nodes.seedIfEmpty(
    {
      name: 'n',
      eslHost: '127.0.0.1',
      eslPort: 8021,
      eslPassword: 'ClueCon',
      wssUrl: 'wss://x',
      nativeAddress: 'x:5060',
      sipDomain: 'x',
      maxSessions: 100,
      sessionsPerSecond: 10,
    },
    now,
  );
  const project = await repos.projects.insert(
    { projectCode: 'p', seats: 1, nodeId: node?.id ?? 1, certificate: 'C' },
    now,
  );
  const task = await repos.tasks.insert(
    {
      callTaskCode: 'T',
      projectId: project.id,
      scheduleType: 1,
      callType: 1,
      rate: 1,
      expiredTime: now + 86_400_000,
    },
    now,
  );
  return { project, task };
}

/**
 * The same, running, dialling through one gateway 'gw' (10 lines) with `phones` to call: what the statement-counting
 * suites (hot-path-statements, prepared-statements) dial from.
 */
export async function seedRunningTask(repos: Repos, now: number, phones: string[]) {
  const seeded = await seedProjectTask(repos, now);
  const gw = await insertGateway(repos.gateways, { gwCode: 'gw' }, now);
  await repos.tasks.setGateways(seeded.task.id, [{ gatewayId: gw.id, concurrency: 10 }]);
  await repos.tasks.addNumbers(seeded.task.id, phones, now);
  await repos.tasks.update(seeded.task.id, { status: 2 }, now);
  return { ...seeded, gw };
}
