// One campaign on several instances, set up for the cluster benchmarks (issue 20): the FreeSWITCH emulator in its
// own process, `count` instances on a fresh database, P projects of A agents registered and available (through each
// project's owner), one predictive task per project submitted through its owner (started by the caller).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { forkEmulator, type RemoteEmulator } from './emulator-process.js';
import {
  api,
  freshDatabase,
  owners,
  query,
  sleep,
  startInstance,
  stopInstance,
  type Instance,
  type InstanceSettings,
  type Services,
} from './cluster-instances.js';

export interface CampaignOptions {
  projects: number;
  agents: number;
  numbersPerProject: number;
  answerMs: number;
  talkMs: number;
  rate: number;
}

export interface CampaignLab {
  databaseUrl: string;
  fs: RemoteEmulator;
  instances: Instance[];
  projects: string[];
  /** Project → the base URL of its owner when the lab was set up. */
  ownerOf: Map<string, string>;
  /** [owner base URL, task code] per project, in project order. */
  tasks: Array<[string, string]>;
  settings(index: number): InstanceSettings;
  close(): Promise<void>;
}

const TIME_SCALE = 0.05;

export const phoneOf = (p: number, i: number) =>
  `139${String(p).padStart(2, '0')}${String(i).padStart(6, '0')}`;

export async function waitUntil(what: string, ok: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  const probe = () =>
    ok().catch((err: unknown) => {
      last = err;
      return false;
    });
  while (!(await probe())) {
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await sleep(200);
  }
}

/** Every project's live owner, as base URLs (a lone instance owns them all without a lease). */
export async function projectOwners(lab: CampaignLab): Promise<Map<string, string>> {
  const live = lab.instances.filter((i) => i.child.exitCode === null && i.child.signalCode === null);
  if (lab.instances.length === 1) return new Map(lab.projects.map((p) => [p, live[0]!.base]));
  const baseOf = new Map(live.map((i) => [i.id, i.base]));
  const found = new Map<string, string>();
  for (const [p, id] of await owners(lab.databaseUrl)) if (baseOf.has(id)) found.set(p, baseOf.get(id)!);
  return found;
}

export async function campaignLab(
  services: Services,
  count: number,
  o: CampaignOptions,
): Promise<CampaignLab> {
  const databaseUrl = await freshDatabase(services.pgAdmin);
  const dataDir = mkdtempSync(join(tmpdir(), 'cc-cluster-campaign-'));
  const fs = await forkEmulator({
    timeScale: TIME_SCALE,
    sessionsPerSecond: 2000,
    maxSessions: 5000,
    defaultPeer: {
      kind: 'answer',
      answerAfterMs: o.answerMs / TIME_SCALE,
      hangupAfterMs: o.talkMs / TIME_SCALE,
    },
  });
  const lab: CampaignLab = {
    databaseUrl,
    fs,
    instances: [],
    projects: Array.from({ length: o.projects }, (_, p) => `bench${p}`),
    ownerOf: new Map(),
    tasks: [],
    settings: (index) => ({
      index,
      databaseUrl,
      amqpUrl: services.amqpUrl,
      exchange: `bench-${process.pid}-${count}`,
      eslPort: fs.port,
      dataDir,
    }),
    async close() {
      for (const i of lab.instances) await stopInstance(i);
      await fs.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  try {
    await setUp(lab, count, o);
    return lab;
  } catch (err) {
    await lab.close();
    throw err;
  }
}

async function setUp(lab: CampaignLab, count: number, o: CampaignOptions): Promise<void> {
  // The first instance migrates and seeds; the others start once it has.
  lab.instances.push(await startInstance(lab.settings(0)));
  const first = lab.instances[0]!.base;
  await api(first, 'POST', '/freeswitch/gateway/api/add/v1', {
    gwCode: 'bench',
    gwName: 'bench',
    registerType: 1,
    realm: '127.0.0.1',
    status: 1,
    returnVisit: 0,
    expectCount: 5000,
    billType: 2,
    billsec: 6,
    price: 0.1,
  });
  for (const projectCode of lab.projects)
    await api(first, 'POST', '/callcenter/callProject/api/createProject/v1', {
      projectCode,
      seats: o.agents,
    });
  for (let i = 1; i < count; i++) lab.instances.push(await startInstance(lab.settings(i)));
  await waitUntil('every project owned (project_leases)', async () => {
    lab.ownerOf = await projectOwners(lab);
    return lab.projects.every((p) => lab.ownerOf.has(p));
  });
  // The first instance, alone when the projects were made, took them all (nothing rebalances by itself): the
  // operator's hand-over (move_to) spreads them round-robin, the same load on every instance.
  if (count > 1) {
    const target = (p: number) => lab.instances[p % count]!;
    for (const [p, projectCode] of lab.projects.entries())
      if (lab.ownerOf.get(projectCode) !== target(p).base)
        await query(lab.databaseUrl, 'UPDATE project_leases SET move_to = $1 WHERE project_code = $2', [
          target(p).id,
          projectCode,
        ]);
    await waitUntil('the projects handed over round-robin', async () => {
      lab.ownerOf = await projectOwners(lab);
      return lab.projects.every((p, k) => lab.ownerOf.get(p) === target(k).base);
    });
  }
  const agents = await query<{ username: string; project: string }>(
    lab.databaseUrl,
    `SELECT e.username, p.project_code project FROM extensions e JOIN projects p ON p.id = e.project_id
     WHERE e.type = 2`,
  );
  await lab.fs.register(
    agents.map((a) => a.username),
    { mode: 'auto-answer', answerAfterMs: 200 },
  );
  await waitUntil('every agent registered', async () => {
    const [r] = await query<{ n: string }>(
      lab.databaseUrl,
      'SELECT count(*) n FROM extensions WHERE reg_status = 1',
    );
    return Number(r!.n) >= agents.length;
  });
  for (const a of agents)
    await api(lab.ownerOf.get(a.project)!, 'POST', '/callcenter/callProject/api/setWorkStatus/v1', {
      username: a.username,
      workStatus: 1,
    });
  for (const [p, projectCode] of lab.projects.entries()) {
    const base = lab.ownerOf.get(projectCode)!;
    const { callListId } = await api<{ callListId: number }>(
      base,
      'POST',
      '/callcenter/callList/api/create/v1',
      {
        name: projectCode,
      },
    );
    const numbers = Array.from({ length: o.numbersPerProject }, (_, i) => phoneOf(p, i));
    await api(base, 'POST', '/callcenter/callList/api/append/v1', {
      callListId,
      numbers: JSON.stringify(numbers),
    });
    const code = `bench${p}t`;
    await api(base, 'POST', '/callcenter/callTask/api/submitCallTask/v1', {
      callTaskCode: code,
      callType: 1,
      scheduleType: 1,
      callGWs: JSON.stringify([{ code: 'bench', concurrency: o.agents * 3 }]),
      expiredTime: String(Date.now() + 3600_000),
      projectCode,
      rate: o.rate,
      callListId,
    });
    lab.tasks.push([base, code]);
  }
}

/** Starts every task through its project's owner. */
export async function startTasks(lab: CampaignLab): Promise<void> {
  for (const [base, code] of lab.tasks)
    await api(base, 'POST', '/callcenter/callTask/api/callTaskStart/v1', { callTaskCode: code });
}

/** Numbers with more than one call log: dialled twice. */
export async function doubledNumbers(lab: CampaignLab): Promise<number> {
  const [d] = await query<{ n: string }>(
    lab.databaseUrl,
    `SELECT count(*) n FROM (SELECT destination_number FROM call_logs GROUP BY destination_number
     HAVING count(*) > 1) x`,
  );
  return Number(d!.n);
}
