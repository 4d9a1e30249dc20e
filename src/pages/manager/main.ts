/// <reference lib="dom" />
// The manager page (/manager): log in with the manager certificate as a manager extension (type 3), take a
// snapshot of the extensions and tasks (console endpoints, HTTP Basic), then follow /topic/callExtStatus and
// /topic/callTaskStatus live. Supervisor buttons send /app/eavesdrop, /app/conference... and the server's answer
// arrives on /topic/notify/{project}/{manager}. The softphone carries what the manager hears.
import { consoleGet, type Claim } from '../shared/console-api.js';
import { sipServer } from '../shared/links.js';
import { wireClaimPanel } from '../shared/claim.js';
import { byId, chip, h, logTo, onClick, show, showLabel } from '../shared/dom.js';
import {
  mergeExt,
  mergeTask,
  sortedExts,
  summarize,
  taskProgress,
  type ExtRow,
  type TaskRow,
} from '../shared/ext-table.js';
import { extWorkLabel, noticeOf, regLabel, sessionLabel, taskLabel, typeLabel } from '../shared/labels.js';
import { linkStatus } from '../shared/link-status.js';
import { startPhone, type SoftPhone } from '../shared/softphone.js';
import { openChannel, stompUrl, type Channel } from '../shared/stomp.js';
import type { WallboardSample } from '../shared/wallboard-data.js';
import { WallboardView, type AbandonReport } from './wallboard.js';

const SAVED = 'cc.manager';

interface Console {
  claim: Claim;
  channel: Channel;
  phone?: SoftPhone;
  exts: Map<string, ExtRow>;
  tasks: Map<string, TaskRow>;
  /** Rows changed live since the snapshot was asked for: the snapshot must not roll them back. */
  liveExts: Set<string>;
  liveTasks: Set<string>;
  wallboard?: WallboardView;
}

let desk: Console | undefined;
const say = (text: string, tone: Parameters<typeof logTo>[2] = 'muted') =>
  logTo(byId('messages'), text, tone);

const ACTIONS: ReadonlyArray<{ action: string; text: string; title: string }> = [
  { action: 'eavesdrop', text: '监听', title: '/app/eavesdrop: listen to the call' },
  { action: 'stopEavesdrop', text: '结束监听', title: '/app/stopEavesdrop' },
  {
    action: 'conferenceByUsername',
    text: '邀请会议',
    title: '/app/conferenceByUsername: invite to the conference',
  },
  { action: 'idle', text: '置闲', title: '/app/idle for this agent' },
  { action: 'busy', text: '置忙', title: '/app/busy for this agent' },
];

function extRow(r: ExtRow, changed: boolean): HTMLElement {
  const actions =
    r.type === 3
      ? h('td', { class: 'actions' })
      : h(
          'td',
          { class: 'actions' },
          ...ACTIONS.map((a) =>
            h('button', { type: 'button', 'data-action': a.action, title: a.title }, a.text),
          ),
        );
  return h(
    'tr',
    { 'data-username': r.username, class: changed ? 'changed' : '' },
    h('td', { class: 'ext' }, r.username),
    h('td', {}, typeLabel(r.type)),
    h('td', { class: 'reg' }, chip(regLabel(r.status))),
    h('td', { class: 'work' }, chip(extWorkLabel(r.workStatus, r.status))),
    h('td', { class: 'session' }, chip(sessionLabel(r.sessionStatus))),
    h('td', { class: 'number' }, r.destinationNumber ?? ''),
    actions,
  );
}

function renderExts(changed?: string): void {
  if (!desk) return;
  byId('extTable')
    .querySelector('tbody')
    ?.replaceChildren(...sortedExts(desk.exts).map((r) => extRow(r, r.username === changed)));
  const s = summarize(desk.exts);
  byId('sumAgents').textContent = String(s.agents);
  byId('sumRegistered').textContent = String(s.registered);
  byId('sumAvailable').textContent = String(s.available);
  byId('sumTalking').textContent = String(s.talking);
}

function renderTasks(): void {
  if (!desk) return;
  const rows = [...desk.tasks.values()].sort((a, b) => a.code.localeCompare(b.code));
  show(byId('taskHint'), rows.length === 0);
  byId('taskTable')
    .querySelector('tbody')
    ?.replaceChildren(
      ...rows.map((t) => {
        const pct = Math.round(taskProgress(t) * 100);
        const bar = h('div', { class: 'progress', title: `${pct}%` }, h('div', { class: 'fill' }));
        (bar.firstElementChild as HTMLElement).style.width = `${pct}%`;
        const cells = [t.totalCnt, t.successCnt, t.failCnt, t.rejectCnt, t.missCnt, t.runningCnt, t.rate];
        return h(
          'tr',
          { 'data-task': t.code },
          h('td', { class: 'ext' }, t.code),
          h(
            'td',
            {},
            chip(taskLabel(t.status)),
            // Issue 17.12: why a running task is not dialling, from callTaskStatus and /topic/task.
            t.notDialling && t.status === 2
              ? h('small', { class: 'why' }, ` 未拨号 not dialling: ${t.notDialling}`)
              : '',
          ),
          h('td', {}, bar, ` ${pct}%`),
          ...cells.map((n) => h('td', { class: 'num' }, String(n))),
        );
      }),
    );
}

function send(destination: string, body: Record<string, unknown>): void {
  if (!desk) return;
  if (desk.channel.send(destination, body)) say(`已发送 sent ${destination} ${String(body.username ?? '')}`);
  else say(`未连接, 未发送 not connected: ${destination}`, 'bad');
}

function onRowAction(e: Event): void {
  const button = (e.target as HTMLElement).closest('button[data-action]') as HTMLButtonElement | null;
  const username = button?.closest('tr')?.dataset.username;
  if (!desk || !button || !username) return;
  const { projectCode, username: manager } = desk.claim;
  const action = button.dataset.action;
  if (action === 'idle' || action === 'busy')
    return send(`/app/${action}`, { username, projectCode, workType: 10 });
  send(`/app/${action}`, { username, listenerExt: manager, projectCode });
}

/** The wallboard's last hour and the abandon-rate report from the server (at (re)connection, then every minute). */
async function wallboardSnapshot(claim: Claim): Promise<void> {
  const query = { projectCode: claim.projectCode };
  const [samples, report] = await Promise.all([
    consoleGet<{ samples: WallboardSample[] }>('wallboard', query, claim),
    consoleGet<AbandonReport>('abandonRate', query, claim),
  ]);
  if (!desk?.wallboard) return;
  if (samples.ok) desk.wallboard.reset(samples.data.samples);
  else say(`大屏 wallboard: ${samples.message}`, 'warn');
  if (report.ok) desk.wallboard.report(report.data);
  else say(`放弃率 abandon rate: ${report.message}`, 'warn');
}

async function snapshot(claim: Claim): Promise<void> {
  void wallboardSnapshot(claim);
  const query = { projectCode: claim.projectCode };
  desk?.liveExts.clear();
  desk?.liveTasks.clear();
  const [exts, tasks] = await Promise.all([
    consoleGet<ExtRow[]>('extensions', query, claim),
    consoleGet<TaskRow[]>('tasks', query, claim),
  ]);
  if (!desk) return;
  if (exts.ok) {
    for (const r of exts.data) if (!desk.liveExts.has(r.username)) desk.exts = mergeExt(desk.exts, r);
    renderExts();
  } else say(`分机快照 extensions: ${exts.message}`, 'bad');
  if (tasks.ok) {
    for (const t of tasks.data) {
      const code = String((t as { code?: unknown }).code ?? '');
      if (!desk.liveTasks.has(code)) desk.tasks = mergeTask(desk.tasks, t);
    }
    renderTasks();
  } else say(`任务快照 tasks: ${tasks.message} (实时更新仍有效 live updates still arrive)`, 'warn');
}

function connect(claim: Claim): Channel {
  const p = claim.projectCode;
  const channel = openChannel({
    url: stompUrl(location),
    login: claim.username,
    passcode: claim.password,
    onState: linkStatus({
      chip: byId('stompState'),
      banner: byId('linkBanner'),
      say,
      // (Re)connected: anything may have changed meanwhile.
      changed: (view) => void (view.state === 'connected' && snapshot(claim)),
    }),
  });
  channel.subscribe(`/topic/callExtStatus/${p}`, (body) => {
    if (!desk) return;
    const username = String((body as { username?: unknown } | null)?.username ?? '');
    desk.liveExts.add(username);
    desk.exts = mergeExt(desk.exts, body);
    renderExts(username);
  });
  const onTask = (body: unknown) => {
    if (!desk) return;
    const b = (body ?? {}) as { code?: unknown; callTaskCode?: unknown };
    desk.liveTasks.add(String(b.code ?? b.callTaskCode ?? ''));
    desk.tasks = mergeTask(desk.tasks, body);
    renderTasks();
  };
  channel.subscribe(`/topic/callTaskStatus/${p}`, onTask);
  channel.subscribe(`/topic/task/${p}`, onTask);
  channel.subscribe(`/topic/wallboard/${p}`, (body) => {
    if (body && typeof body === 'object' && 'at' in body) desk?.wallboard?.push(body as WallboardSample);
  });
  channel.subscribe(`/topic/notify/${p}/${claim.username}`, (body) => {
    const n = noticeOf(body);
    say(`服务器 server: ${n.text}`, n.tone);
  });
  return channel;
}

function claimed(claim: Claim): void {
  byId('me').textContent = claim.username;
  byId('project').textContent = claim.projectCode;
  desk = {
    claim,
    channel: connect(claim),
    exts: new Map(),
    tasks: new Map(),
    liveExts: new Set(),
    liveTasks: new Set(),
  };
  try {
    desk.wallboard = new WallboardView();
  } catch (err) {
    say(`大屏 wallboard: ${err instanceof Error ? err.message : String(err)}`, 'bad');
  }
  setInterval(() => void (desk && wallboardSnapshot(desk.claim)), 60_000);
  const ws = sipServer(location.search, claim.servers);
  if (!ws) return showLabel(byId('phoneState'), { text: '未启用 off', tone: 'muted' });
  const started = startPhone(claim, ws, {
    onState: (label) => showLabel(byId('phoneState'), label),
    onNotice: say,
    // Eavesdrop and conference legs are the server calling the manager: take them.
    confirm: () => true,
    onChange: () => undefined,
  });
  if (started.ok) desk.phone = started.phone;
  else {
    showLabel(byId('phoneState'), { text: '未启动 not started', tone: 'bad' });
    say(`软电话 softphone: ${started.reason}`, 'bad');
  }
}

function init(): void {
  byId('extTable').addEventListener('click', onRowAction);
  onClick('conference', () => {
    if (desk)
      send('/app/conference', { projectCode: desk.claim.projectCode, listenerExt: desk.claim.username });
  });
  onClick('stopConference', () => {
    if (desk)
      send('/app/stopConference', { projectCode: desk.claim.projectCode, listenerExt: desk.claim.username });
  });
  wireClaimPanel({ savedKey: SAVED, type: 3, failure: '登录失败 log-in failed', claimed });
}

init();
