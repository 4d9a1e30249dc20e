// The live `cluster-front` group (issue 20, item 5): agents' and managers' pages reconnect to a live instance by
// themselves and see their state. Three instances on one PostgreSQL and one RabbitMQ (cluster-lab.ts), HAProxy in
// front of them terminating TLS (cluster-front-lab.ts, from the shipped scripts/cluster/haproxy.cfg, a certificate
// made for the test that Chromium accepts for its key only), the real workbench and manager page in Chromium over
// https/wss through the front only, on an instance X that does not own the agent's project. The workbench shows the
// state the owner holds, also right after a change made at the owner (X's own registry is stale); after kill -9 of X
// both pages reconnect through the front (TLS again) to another instance Y (not the owner either), say so, show the
// owner's state again, and follow it: a status change and a call made afterwards reach them.
import { chromium, type Browser, type Page } from 'playwright-core';
import { chromiumFlags, chromiumPath } from '../browser/namespace-run.js';
import { check } from './cluster-checks.js';
import { Cluster, type Instance } from './cluster-lab.js';
import { FRONT, FRONT_PLAIN, startFront, type Front } from './cluster-front-lab.js';
import { clientAddressStep, consoleRead, logged, sockjsSticky, tlsOnly } from './cluster-front-tls.js';
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
  /** The workbench and the manager page, and the WebSocket URLs each opened. */
  page: Page;
  manager: Page;
  sockets: { page: string[]; manager: string[] };
  proxy: Front;
}

export interface Ctx {
  lab: Lab;
  front: FrontWorld;
}
export type Step = [string, (c: Ctx) => Promise<string | void>];

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

/** A page in its own browser context that records the WebSocket URLs it opens. */
async function openPage(browser: Browser, sockets: string[]): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  page.on('websocket', (ws) => void sockets.push(ws.url()));
  return page;
}

/** The agent's row on the manager page shows `want` in `cell` (td.work, td.session...). */
const managerShows = (c: Ctx, cell: string, want: RegExp, timeoutMs?: number) =>
  shows(
    c.front.manager,
    `#extTable tr[data-username="${c.front.agent.username}"] td.${cell}`,
    want,
    timeoutMs,
  );

const world: Step = [
  'lab: RabbitMQ, three instances on PostgreSQL, HAProxy in front terminating TLS (the shipped haproxy.cfg), FreeSWITCH, carrier, one project, its agent on a baresip phone, the workbench and the manager page in Chromium over https through the front',
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
    const { certificate, managerCertificate } = await lab.ok<{
      certificate: string;
      managerCertificate: string;
    }>('POST', '/callcenter/callProject/api/createProject/v1', { projectCode: project, seats: 1 });
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
    const proxy = await startFront(lab, [x, y, owner]);

    const browser = await chromium.launch({
      executablePath: chromiumPath,
      // The lab's certificate is accepted for its key only (no CA installed, no blanket ignore of TLS errors).
      args: [...chromiumFlags, `--ignore-certificate-errors-spki-list=${proxy.spki}`],
      headless: true,
      handleSIGTERM: false,
    });
    lab.onClose(() => browser.close());
    const sockets = { page: [] as string[], manager: [] as string[] };
    const page = await openPage(browser, sockets.page);
    // The desk only: the agent's calls ring its baresip phone (?sip=off: no softphone in the page).
    await page.goto(`${FRONT}/workbench?sip=off#certificate=${certificate}&username=${agent.username}`);
    await page.click('#claimButton');
    await shows(page, '#me', new RegExp(`^${agent.username}$`));
    await shows(page, '#stompState', /已连接 connected/);
    await shows(page, '#workState', /忙碌 busy/);
    // The manager opens the plain http address: the front sends the browser to https (the fragment stays).
    const manager = await openPage(browser, sockets.manager);
    await manager.goto(`${FRONT_PLAIN}/manager?sip=off#certificate=${managerCertificate}`);
    check(
      manager.url().startsWith(`${FRONT}/manager?sip=off#`),
      'http:// is redirected to https://',
      manager.url(),
    );
    await manager.click('#claimButton');
    await shows(manager, '#stompState', /已连接 connected/);
    c.front = { cluster, project, agent, owner, x, y, page, manager, sockets, proxy };
    await managerShows(c, 'work', /忙碌 busy/);
    for (const [name, p] of [
      ['workbench', page],
      ['manager page', manager],
    ] as const) {
      const protocol = await p.evaluate('location.protocol');
      check(protocol === 'https:', `the ${name} is on https`, protocol);
    }
    const on = await sessions(c);
    check(
      on[x.id] === 2 && on[y.id] === 0 && on[owner.id] === 0,
      `both pages' STOMP sessions are on ${x.id}`,
      on,
    );
    return `owner ${owner.id}; the pages on ${x.id} through ${FRONT}; then ${y.id}`;
  },
];

const staleRegistry: Step = [
  "the page on a non-owner shows the owner's state: set available at the owner, the page opened again through the front reads it (X's own registry still says busy)",
  async (c) => {
    const { page, x } = c.front;
    await setWork(c, 1);
    await shows(page, '#workState', /空闲 available/); // the owner's frame, through the fan-out
    await managerShows(c, 'work', /空闲 available/);
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
    check(on[x.id] === 2, `the reloaded page is on ${x.id} again, beside the manager page`, on);
  },
];

const killX: Step = [
  'kill -9 of the instance the pages are on: the workbench reconnects through the front (TLS) to a live instance by itself, says so, and shows the agent as available',
  async (c) => {
    const { page, cluster, x } = c.front;
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
    return `reconnected ${back} ms after the kill`;
  },
];

const managerBack: Step = [
  "the manager page after the kill: it reconnects through the front by itself, shows the owner's state of the agent again, and a status change made at the owner reaches it",
  async (c) => {
    const { manager, x, y } = c.front;
    await shows(manager, '#stompState', /已连接 connected/, 30_000);
    await shows(manager, '#messages', /已重新连接 reconnected to the server/);
    check(!(await manager.isVisible('#linkBanner')), "the manager page's outage line is gone");
    await managerShows(c, 'work', /空闲 available/, 5000);
    // It read its snapshot again after the reconnect, through the front at Y (which asks the owner).
    await logged(c.front.proxy, consoleRead(y.id, 'extensions'), 1, `console/extensions read at ${y.id}`);
    const on = await sessions(c);
    check(on[y.id] === 2 && on[x.id] === undefined, `both pages' sessions are on ${y.id} now`, on);
    // Made at the owner after the kill: its frame reaches Y's manager session through RabbitMQ.
    await setWork(c, 0);
    await managerShows(c, 'work', /忙碌 busy/);
    await shows(c.front.page, '#workState', /忙碌 busy/);
    await setWork(c, 1);
    await managerShows(c, 'work', /空闲 available/);
    await shows(manager, '#sumAvailable', /^1$/);
  },
];

const callAfter: Step = [
  'after the reconnect: a customer call bridged to the agent reaches the workbench (talking, then ended) and the manager page, and a status change at the owner reaches both',
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
    await managerShows(c, 'session', /通话中 talking/);
    await shows(page, '#callPhase', /已挂断 ended/, 30_000); // the carrier hangs up 8 s after answering
    await setWork(c, 0);
    await shows(page, '#workState', /忙碌 busy/);
    await managerShows(c, 'work', /忙碌 busy/);
  },
];

export const clusterFrontGroup: Step[] = [
  world,
  staleRegistry,
  killX,
  managerBack,
  tlsOnly,
  callAfter,
  sockjsSticky,
  clientAddressStep,
];
