// What every live scenario starts from: FreeSWITCH, our server, the carrier gateway, one project whose agents are
// baresip phones (registered, auto-answering) and STOMP clients for each agent and the manager.
import { connectStomp, type AppStompClient } from '../support/stomp-client.js';
import { CARRIER_PORT, GW, waitFor, type Lab, type Phone } from './lab.js';

export interface Ext {
  username: string;
  password: string;
  type: number;
}

export interface World {
  lab: Lab;
  project: string;
  agents: Ext[];
  /** Agents whose phones answer by themselves (the others ring until told what to do). */
  autoAgents: Ext[];
  manager: Ext;
  phones: Map<string, Phone>;
  stomp: Map<string, AppStompClient>;
  /** A call list with these numbers; returns its id. */
  list(numbers: string[]): Promise<number>;
  /** Submits and starts a task; returns its code. */
  task(fields: Record<string, string | number>): Promise<string>;
  /** Call logs of a task as the API returns them. */
  logs(task: string): Promise<Record<string, unknown>[]>;
}

let taskSeq = 0;

/** The tone the manager's phone sends (the agents' phones send 440 Hz). */
export const MANAGER_HZ = 1200;

/**
 * sipp as the carrier, and the gateway GW to it added over our API; it reaches sofia through mod_xml_curl (our
 * sofia.conf) and a rescan.
 */
export async function startCarrierGateway(lab: Lab): Promise<void> {
  lab.startCarrier();
  await lab.ok('POST', '/freeswitch/gateway/api/add/v1', {
    gwCode: GW,
    gwName: 'live carrier',
    registerType: 1,
    realm: `127.0.0.1:${CARRIER_PORT}`,
    status: 1,
    returnVisit: 0,
    expectCount: 30,
    billType: 2,
    billsec: 6,
    price: 0.1,
  });
  await waitFor('gateway in sofia', () => lab.fsCli('sofia status gateway').includes(GW), 15_000, 250);
}

export async function buildWorld(
  lab: Lab,
  opts: { agents: number; phones?: number; manual?: number[] },
): Promise<World> {
  await lab.startServer();
  await lab.startFreeswitch();
  await startCarrierGateway(lab);

  const project = `live${process.pid}`;
  await lab.ok('POST', '/callcenter/callProject/api/createProject/v1', {
    projectCode: project,
    seats: opts.agents,
  });
  const exts = lab.sql<Ext>(
    `SELECT e.username, e.password, e.type FROM extensions e JOIN projects p ON p.id = e.project_id
     WHERE p.project_code = ? ORDER BY e.username`,
    project,
  );
  const agents = exts.filter((e) => e.type === 2);
  const manager = exts.find((e) => e.type === 3)!;
  const phones = new Map<string, Phone>();
  const stomp = new Map<string, AppStompClient>();
  const withPhones = [...agents.slice(0, opts.phones ?? agents.length), manager];
  for (const [i, e] of withPhones.entries()) {
    const answer = opts.manual?.includes(i) ? 'manual' : 'auto';
    // The manager's phone sends a tone of its own, so that whisper and barge can be heard (scenarios.ts).
    const tone = e === manager ? MANAGER_HZ : undefined;
    phones.set(e.username, await lab.startPhone(e.username, e.password, 5200 + i * 10, answer, tone));
    const c = await connectStomp('http://127.0.0.1:8080', e.username, e.password);
    for (const topic of ['status', 'call', 'bye', 'register', 'invite', 'transfer'])
      c.subscribe(`/topic/${topic}/${e.username}`);
    c.subscribe(`/topic/notify/${project}/${e.username}`);
    stomp.set(e.username, c);
  }
  await phonesRegistered(
    lab,
    withPhones.map((e) => e.username),
  );
  return {
    lab,
    project,
    agents,
    autoAgents: agents.filter((_, i) => !opts.manual?.includes(i)),
    manager,
    phones,
    stomp,
    async list(numbers) {
      const { callListId } = await lab.ok<{ callListId: number }>(
        'POST',
        '/callcenter/callList/api/create/v1',
        { name: 'live' },
      );
      await lab.ok('POST', '/callcenter/callList/api/append/v1', {
        callListId,
        numbers: JSON.stringify(numbers),
      });
      return callListId as number;
    },
    async task(fields) {
      const code = `t${process.pid}x${++taskSeq}`;
      await lab.ok('POST', '/callcenter/callTask/api/submitCallTask/v1', {
        callTaskCode: code,
        callType: 1,
        scheduleType: 1,
        callGWs: JSON.stringify([{ code: GW, concurrency: 10 }]),
        expiredTime: String(Date.now() + 3600_000),
        projectCode: project,
        rate: 1,
        ...fields,
      });
      await lab.ok('POST', '/callcenter/callTask/api/callTaskStart/v1', { callTaskCode: code });
      return code;
    },
    async logs(task) {
      const data = await lab.ok<{ items: Record<string, unknown>[] }>(
        'GET',
        '/callcenter/callLog/api/getList/v1',
        {
          callTaskCode: task,
          queryTimeType: 1,
          pageSize: 100,
          pageNum: 1,
        },
      );
      return data.items;
    },
  };
}

/** Makes every agent with a phone available (as `agent_login` from the phone would). */
/** Waits until every one of these extensions is registered, as the store has it. */
export async function phonesRegistered(lab: Lab, usernames: string[]): Promise<void> {
  await waitFor(
    'every phone registered',
    () =>
      lab.sql<{ n: number }>(
        `SELECT count(*) n FROM extensions WHERE reg_status = 1 AND username IN (${usernames.map(() => '?').join(',')})`,
        ...usernames,
      )[0]!.n === usernames.length,
    20_000,
    200,
  );
}

export async function allAvailable(
  w: World,
  usernames = [...w.phones.keys()].filter((u) => u !== w.manager.username),
) {
  for (const u of usernames)
    await w.lab.ok('POST', '/callcenter/callProject/api/setWorkStatus/v1', { username: u, workStatus: 1 });
}

export async function setWork(w: World, usernames: string[], workStatus: 0 | 1) {
  for (const username of usernames)
    await w.lab.ok('POST', '/callcenter/callProject/api/setWorkStatus/v1', { username, workStatus });
}
