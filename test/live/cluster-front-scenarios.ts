// The live `cluster-front` group (issue 20, item 5): agents' pages reconnect to a live instance by themselves and
// see their state. Three instances on one PostgreSQL and one RabbitMQ (cluster-lab.ts), HAProxy in front of them
// (cluster-front-lab.ts, from the shipped scripts/cluster/haproxy.cfg), the real workbench in Chromium logged in
// through the front only, on an instance X that does not own the agent's project. The page shows the state the owner
// holds, also right after a change made at the owner (X's own registry is stale); after kill -9 of X it reconnects
// through the front to another instance Y (not the owner either), says so, shows the agent's state again, and the
// call it is offered afterwards reaches it.
import { chromium, type Page } from 'playwright-core';
import { chromiumFlags, chromiumPath } from '../browser/namespace-run.js';
import { check } from './cluster-checks.js';
import { Cluster, type Instance } from './cluster-lab.js';
import { FRONT, startFront } from './cluster-front-lab.js';
import { GW, waitFor, type Lab } from './lab.js';
import { phonesRegistered, startCarrierGateway } from './world.js';

interface FrontWorld {
  cluster: Cluster;
  project: string;
  agent: { username: string; password: string };
  owner: Instance;
  /** The instance the page is on first (not the owner), and the one it lands on after X dies (not the owner). */
  x: Instance;
  y: Instance;
  page: Page;
}

interface Ctx {
  lab: Lab;
  front: FrontWorld;
}
type Step = [string, (c: Ctx) => Promise<string | void>];

/** Waits until `selector`'s text matches. */
async function shows(page: Page, selector: string, want: RegExp, timeoutMs = 15_000): Promise<string> {
  const probe = `(document.querySelector(${JSON.stringify(selector)})?.textContent ?? '')`;
  return waitFor(
    `${selector} to show ${want}`,
    async () => {
      const text = (await page.evaluate(probe)) as string;
      return want.test(text) ? text : undefined;
    },
    timeoutMs,
    100,
  ).catch(async (err: Error) => {
    throw new Error(`${err.message}; it shows ${JSON.stringify(await page.evaluate(probe))}`);
  });
}

/** STOMP sessions each instance holds now (/health's metrics), by instance id; a dead one is absent. */
async function sessions(c: Ctx): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const i of c.front.cluster.instances)
    if (c.front.cluster.running(i.index))
      out[i.id] = (await c.front.cluster.health(i.index))?.metrics?.['stomp.sessions'] ?? -1;
  return out;
}

const setWork = (c: Ctx, workStatus: 0 | 1) =>
  c.lab.ok(
    'POST',
    '/callcenter/callProject/api/setWorkStatus/v1',
    { username: c.front.agent.username, workStatus },
    c.front.owner.base,
  );

/** console/status asked of instance `at` directly, with the agent's credentials. */
async function statusAt(c: Ctx, at: Instance): Promise<{ workStatus?: number; stateFrom?: string }> {
  const { username, password } = c.front.agent;
  const res = await fetch(`${at.base}/callcenter/console/status`, {
    headers: { authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` },
  });
  return ((await res.json()) as { data?: { workStatus?: number; stateFrom?: string } }).data ?? {};
}

const world: Step = [
  'lab: RabbitMQ, three instances on PostgreSQL, HAProxy in front (the shipped haproxy.cfg), FreeSWITCH, carrier, one project, its agent on a baresip phone, the workbench in Chromium through the front',
  async (c) => {
    const { lab } = c;
    // Every instance believes the proxy about the client's address (README: CC_TRUSTED_PROXIES).
    const cluster = new Cluster(lab, 3, { CC_TRUSTED_PROXIES: '127.0.0.1' });
    await cluster.startBroker();
    await cluster.start(0);
    await lab.startFreeswitch([
      `cc_socket_targets=${cluster.instances.map((i) => `127.0.0.1:${i.socketPort}`).join('|')}`,
    ]);
    await startCarrierGateway(lab);
    const project = `fr${process.pid}`;
    const { certificate } = await lab.ok<{ certificate: string }>(
      'POST',
      '/callcenter/callProject/api/createProject/v1',
      { projectCode: project, seats: 1 },
    );
    await cluster.start(1);
    await cluster.start(2);
    await cluster.busUp();
    const ownerId = await waitFor(
      `a live owner of ${project} (project_leases)`,
      () =>
        lab.sql<{ owner: string | null }>(
          `SELECT owner FROM project_leases WHERE project_code = ? AND expires_at > (extract(epoch from now()) * 1000)::bigint`,
          project,
        )[0]?.owner,
      20_000,
      100,
    );
    const owner = cluster.instances.find((i) => i.id === ownerId)!;
    const [x, y] = cluster.instances.filter((i) => i !== owner) as [Instance, Instance];
    const agent = lab.sql<{ username: string; password: string }>(
      `SELECT e.username, e.password FROM extensions e JOIN projects p ON p.id = e.project_id
       WHERE p.project_code = ? AND e.type = 2`,
      project,
    )[0]!;
    await lab.startPhone(agent.username, agent.password, 5200, 'auto');
    await phonesRegistered(lab, [agent.username]);
    await startFront(lab, [x, y, owner]);

    const browser = await chromium.launch({
      executablePath: chromiumPath,
      args: chromiumFlags,
      headless: true,
      handleSIGTERM: false,
    });
    lab.onClose(() => browser.close());
    const page = await (await browser.newContext()).newPage();
    // The desk only: the agent's calls ring its baresip phone (?sip=off: no softphone in the page).
    await page.goto(`${FRONT}/workbench?sip=off#certificate=${certificate}&username=${agent.username}`);
    await page.click('#claimButton');
    await shows(page, '#me', new RegExp(`^${agent.username}$`));
    await shows(page, '#stompState', /已连接 connected/);
    await shows(page, '#workState', /忙碌 busy/);
    c.front = { cluster, project, agent, owner, x, y, page };
    const on = await sessions(c);
    check(
      on[x.id] === 1 && on[y.id] === 0 && on[owner.id] === 0,
      `the page's STOMP session is on ${x.id}`,
      on,
    );
    return `owner ${owner.id}; the page on ${x.id} through ${FRONT}; then ${y.id}`;
  },
];

const staleRegistry: Step = [
  "the page on a non-owner shows the owner's state: set available at the owner, the page opened again through the front reads it (X's own registry still says busy)",
  async (c) => {
    const { page, x } = c.front;
    await setWork(c, 1);
    await shows(page, '#workState', /空闲 available/); // the owner's frame, through the fan-out
    // Opened again without the link's fragment: the tab's saved claim logs the same extension in by itself.
    await page.goto(`${FRONT}/workbench?sip=off`);
    await shows(page, '#stompState', /已连接 connected/);
    // Nothing is published after the reload: what it shows is console/status's answer (first paint).
    await shows(page, '#workState', /空闲 available/, 5000);
    const direct = await statusAt(c, x);
    check(
      direct.workStatus === 1 && direct.stateFrom === 'owner',
      `console/status at ${x.id} is the owner's`,
      direct,
    );
    const on = await sessions(c);
    check(on[x.id] === 1, `the reloaded page is on ${x.id} again`, on);
  },
];

const sockjsSticky: Step = [
  "SockJS's HTTP transport through the front: every request of a session reaches the instance that holds it (the shipped `balance uri depth 4` backend; four xhr-polling sessions log in over STOMP)",
  async (c) => {
    const { username, password } = c.front.agent;
    const post = (url: string, body?: string) => fetch(url, { method: 'POST', body });
    const connect = `CONNECT\naccept-version:1.2\nhost:cc\nlogin:${username}\npasscode:${password}\nheart-beat:0,0\n\n\0`;
    for (let n = 0; n < 4; n++) {
      const url = `${FRONT}/callcenter/ws/${100 + n}/front${process.pid}s${n}`;
      const open = await (await post(`${url}/xhr`)).text();
      check(open === 'o\n', `session ${n} opens`, open);
      const sent = await post(`${url}/xhr_send`, JSON.stringify([connect]));
      check(sent.status === 204, `session ${n}: its CONNECT reaches the instance holding it`, sent.status);
      const polled = await (await post(`${url}/xhr`)).text();
      check(
        /CONNECTED/.test(polled),
        `session ${n}: the poll reaches it too and gets CONNECTED`,
        polled.slice(0, 200),
      );
      await post(`${url}/xhr_send`, JSON.stringify(['DISCONNECT\n\n\0']));
    }
  },
];

const killX: Step = [
  'kill -9 of the instance the page is on: the page reconnects through the front to a live instance by itself, says so, and shows the agent as available',
  async (c) => {
    const { page, cluster, x, y } = c.front;
    const started = Date.now();
    await cluster.signal(x.index, 'SIGKILL');
    await shows(page, '#stompState', /已断开 disconnected/, 10_000);
    await shows(page, '#workState', /未知/, 5000); // what it showed no longer holds while it is cut off
    await shows(page, '#stompState', /已连接 connected/, 30_000);
    const back = Date.now() - started;
    await shows(page, '#messages', /已重新连接 reconnected to the server/);
    check(!(await page.isVisible('#linkBanner')), 'the outage line is gone once reconnected');
    // Y's own registry never saw the change (it was made at the owner): the page shows the owner's answer.
    await shows(page, '#workState', /空闲 available/, 5000);
    const on = await sessions(c);
    check(on[y.id] === 1 && on[x.id] === undefined, `the page's session is on ${y.id} now`, on);
    return `reconnected ${back} ms after the kill`;
  },
];

const callAfter: Step = [
  'after the reconnect: a customer call bridged to the agent reaches the page (talking, then ended), and a status change at the owner reaches it',
  async (c) => {
    const { lab, front } = c;
    const { page, owner, project } = front;
    const { callListId } = await lab.ok<{ callListId: number }>(
      'POST',
      '/callcenter/callList/api/create/v1',
      { name: 'front' },
      owner.base,
    );
    const number = `1360${String(process.pid % 10_000).padStart(4, '0')}001`;
    await lab.ok(
      'POST',
      '/callcenter/callList/api/append/v1',
      { callListId, numbers: JSON.stringify([number]) },
      owner.base,
    );
    const task = `fr${process.pid}t`;
    await lab.ok(
      'POST',
      '/callcenter/callTask/api/submitCallTask/v1',
      {
        callTaskCode: task,
        callType: 1,
        scheduleType: 1,
        callListId,
        callGWs: JSON.stringify([{ code: GW, concurrency: 1 }]),
        expiredTime: String(Date.now() + 3600_000),
        projectCode: project,
        rate: 1,
      },
      owner.base,
    );
    await lab.ok('POST', '/callcenter/callTask/api/callTaskStart/v1', { callTaskCode: task }, owner.base);
    await shows(page, '#callPhase', /通话中 talking/, 30_000);
    await shows(page, '#callNumber', new RegExp(number));
    await shows(page, '#callPhase', /已挂断 ended/, 30_000); // the carrier hangs up 8 s after answering
    await setWork(c, 0);
    await shows(page, '#workState', /忙碌 busy/);
  },
];

export const clusterFrontGroup: Step[] = [world, staleRegistry, killX, callAfter, sockjsSticky];
