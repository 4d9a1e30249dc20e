// What the live `cluster` scenarios start from (issue 20): RabbitMQ and three instances of our server on one
// PostgreSQL database (cluster-lab.ts), one FreeSWITCH, the carrier gateway, two projects with two baresip agents
// each, and for every agent one STOMP session on EVERY instance, so each frame can be looked for everywhere.
import { randomBytes } from 'node:crypto';
import { connectStomp, type AppStompClient } from '../support/stomp-client.js';
import { Cluster } from './cluster-lab.js';
import { GW, type Lab, type Phone } from './lab.js';
import { phonesRegistered, startCarrierGateway } from './world.js';

export interface Agent {
  username: string;
  password: string;
  project: string;
}

export interface ClusterWorld {
  lab: Lab;
  cluster: Cluster;
  projects: [string, string];
  agents: Agent[];
  phones: Map<string, Phone>;
  /** sessions.get(agent)[i]: the agent's session on instance i. */
  sessions: Map<string, AppStompClient[]>;
}

export const AGENT_TOPICS = ['status', 'call', 'bye'];

/** Settings every instance of the group gets beyond cluster-lab.ts's own (the lease defaults hold: a 10 s TTL). */
export const LEASE_ENV: NodeJS.ProcessEnv = {};

/** One STOMP session of `a` on instance i, subscribed to the agent's topics (a receipt says the server has them). */
export async function session(w: ClusterWorld, a: Agent, i: number): Promise<AppStompClient> {
  const c = await connectStomp(w.cluster.instances[i]!.base, a.username, a.password);
  if (c.errors.length)
    throw new Error(
      `${a.username} cannot log in on ${w.cluster.instances[i]!.id}: ${c.errors.map((e) => e.headers.message).join(', ')}`,
    );
  for (const topic of AGENT_TOPICS) c.subscribe(`/topic/${topic}/${a.username}`);
  await new Promise<void>((resolve, reject) => {
    const receipt = randomBytes(4).toString('hex');
    const timer = setTimeout(() => reject(new Error(`no receipt from ${w.cluster.instances[i]!.id}`)), 5000);
    c.client.watchForReceipt(receipt, () => {
      clearTimeout(timer);
      resolve();
    });
    c.client.subscribe(`/topic/notify/${a.project}/${a.username}`, () => undefined, { receipt });
  });
  w.lab.onClose(() => c.close());
  return c;
}

/** Every agent's session on instance i, made again (after that instance was restarted). */
export async function reconnectAll(w: ClusterWorld, i: number): Promise<void> {
  for (const a of w.agents) w.sessions.get(a.username)![i] = await session(w, a, i);
}

export async function buildClusterWorld(lab: Lab, size: number): Promise<ClusterWorld> {
  const cluster = new Cluster(lab, size, LEASE_ENV);
  await cluster.startBroker();
  await cluster.start(0);
  // The dialplan's socket tries every instance in turn (issue 20.3): legs it starts never wait on a dead one.
  await lab.startFreeswitch([
    `cc_socket_targets=${cluster.instances.map((i) => `127.0.0.1:${i.socketPort}`).join('|')}`,
  ]);
  await startCarrierGateway(lab);
  const projects: [string, string] = [`cla${process.pid}`, `clb${process.pid}`];
  for (const projectCode of projects)
    await lab.ok('POST', '/callcenter/callProject/api/createProject/v1', { projectCode, seats: 2 });
  // The others start once the projects exist: each instance learns the projects' agents when it starts, and what
  // another instance creates later does not reach it yet (the last step of the group shows it).
  for (const inst of cluster.instances.slice(1)) await cluster.start(inst.index);
  await cluster.busUp();
  const agents = lab.sql<Agent>(
    `SELECT e.username, e.password, p.project_code project FROM extensions e JOIN projects p ON p.id = e.project_id
     WHERE p.project_code IN (?, ?) AND e.type = 2 ORDER BY p.project_code, e.username`,
    ...projects,
  );
  const w: ClusterWorld = { lab, cluster, projects, agents, phones: new Map(), sessions: new Map() };
  for (const [n, a] of agents.entries()) {
    w.phones.set(a.username, await lab.startPhone(a.username, a.password, 5200 + n * 10, 'auto'));
    const mine: AppStompClient[] = [];
    for (const inst of cluster.instances) mine.push(await session(w, a, inst.index));
    w.sessions.set(a.username, mine);
  }
  await phonesRegistered(
    lab,
    agents.map((a) => a.username),
  );
  return w;
}

let listSeq = 0;

/** A call list of `numbers` and a started task of `project` on it (through instance `via`); returns the task code. */
export async function startTask(
  w: ClusterWorld,
  project: string,
  numbers: string[],
  via = 0,
  fields: Record<string, string | number> = {},
): Promise<string> {
  const base = w.cluster.instances[via]!.base;
  const seq = ++listSeq; // before any await: tasks of two projects are started at once
  const { callListId } = await w.lab.ok<{ callListId: number }>(
    'POST',
    '/callcenter/callList/api/create/v1',
    { name: `cluster${seq}` },
    base,
  );
  await w.lab.ok(
    'POST',
    '/callcenter/callList/api/append/v1',
    { callListId, numbers: JSON.stringify(numbers) },
    base,
  );
  const code = `c${process.pid}x${seq}`;
  await w.lab.ok(
    'POST',
    '/callcenter/callTask/api/submitCallTask/v1',
    {
      callTaskCode: code,
      callType: 1,
      scheduleType: 1,
      callGWs: JSON.stringify([{ code: GW, concurrency: 10 }]),
      expiredTime: String(Date.now() + 3600_000),
      projectCode: project,
      rate: 1,
      callListId,
      ...fields,
    },
    base,
  );
  await w.lab.ok('POST', '/callcenter/callTask/api/callTaskStart/v1', { callTaskCode: code }, base);
  return code;
}

/** Sets the agents' work status through instance `via` (any instance: the API reaches the project's owner). */
export async function setWork(w: ClusterWorld, agents: Agent[], workStatus: 0 | 1, via = 0): Promise<void> {
  for (const a of agents)
    await w.lab.ok(
      'POST',
      '/callcenter/callProject/api/setWorkStatus/v1',
      { username: a.username, workStatus },
      w.cluster.instances[via]!.base,
    );
}

export const agentsOf = (w: ClusterWorld, project: string) => w.agents.filter((a) => a.project === project);
