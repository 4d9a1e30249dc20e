/// <reference lib="dom" />
// The agent workbench (/workbench): claim an extension with the project certificate, register the softphone,
// connect STOMP as that extension, and work: idle/busy, the offered call (invite → call → bye), hold, transfer,
// hang up, preview dialling, and the server's messages.
import {
  callControls,
  noCall,
  onCallTopic,
  phaseText,
  type CallTopic,
  type CallView,
} from '../shared/call-state.js';
import { consoleGet, type Claim } from '../shared/console-api.js';
import { sipServer } from '../shared/links.js';
import { wireClaimPanel } from '../shared/claim.js';
import { byId, enable, h, inputValue, logTo, onClick, show, showLabel } from '../shared/dom.js';
import { isLive } from '../shared/link-state.js';
import { linkStatus } from '../shared/link-status.js';
import { durationText, noticeOf, sessionLabel, workLabel, WORK_TYPES } from '../shared/labels.js';
import { currentLeg, startPhone, type SoftPhone } from '../shared/softphone.js';
import { openChannel, stompUrl, type Channel } from '../shared/stomp.js';

const SAVED = 'cc.workbench';

interface Desk {
  claim: Claim;
  channel: Channel;
  phone?: SoftPhone;
  call: CallView;
  /** Resolves the softphone's pending answerConfirmFn question. */
  answer?: (yes: boolean) => void;
}

let desk: Desk | undefined;
const messages = () => byId('messages');
const events = () => byId('events');
const say = (text: string, tone: Parameters<typeof logTo>[2] = 'muted') => logTo(messages(), text, tone);

function renderCall(): void {
  if (!desk) return;
  const c = desk.call;
  byId('callPanel').dataset.phase = c.phase;
  byId('callNumber').textContent = c.telNo || '—';
  const tone = c.phase === 'talking' ? 'busy' : c.phase === 'ringing' ? 'warn' : 'muted';
  showLabel(byId('callPhase'), {
    text: phaseText[c.phase] + (c.transferredBy ? ` (由 ${c.transferredBy} 转来)` : ''),
    tone,
  });
  byId('callTask').textContent = c.callTaskCode || '—';
  byId('callId').textContent = c.callId || '—';
  renderTimer();
  renderControls();
}

/** Hang up, hold and transfer only while there is a call for them to act on. */
function renderControls(): void {
  const can = callControls(desk?.call ?? noCall, currentLeg(desk?.phone) !== undefined);
  enable(byId<HTMLButtonElement>('hangup'), can.hangup);
  enable(byId<HTMLButtonElement>('hold'), can.hold);
  enable(byId<HTMLButtonElement>('unhold'), can.hold);
  enable(byId<HTMLButtonElement>('transfer'), can.transfer);
}

/** While the server is out of reach, its last word on the agent's state no longer holds. */
function showStale(): void {
  const unknown = { text: '未知 (已断开) unknown', tone: 'muted' } as const;
  showLabel(byId('workState'), unknown);
  showLabel(byId('sessionState'), unknown);
}

function renderTimer(): void {
  if (!desk) return;
  const c = desk.call;
  const ms = c.phase === 'talking' ? Date.now() - c.since : (c.talkedMs ?? 0);
  byId('callTimer').textContent = durationText(ms);
}

function onCall(topic: CallTopic, body: unknown): void {
  if (!desk) return;
  desk.call = onCallTopic(desk.call, topic, body, Date.now());
  const b = (body ?? {}) as Record<string, unknown>;
  const what = { invite: '来电 invite', call: '接通 call', bye: '挂断 bye', transfer: '转入 transfer' }[
    topic
  ];
  logTo(
    events(),
    `${what} ${String(b.telNo ?? '')} ${b.callTaskCode ? `任务 ${String(b.callTaskCode)}` : ''}`,
    topic === 'bye' ? 'muted' : 'ok',
  );
  renderCall();
}

function send(destination: string, body: Record<string, unknown>): void {
  if (!desk) return;
  if (!desk.channel.send(destination, body)) say(`未连接, 未发送 not connected: ${destination}`, 'bad');
}

function connect(claim: Claim): Channel {
  const u = claim.username;
  const p = claim.projectCode;
  const channel = openChannel({
    url: stompUrl(location),
    login: u,
    passcode: claim.password,
    onState: linkStatus({
      chip: byId('stompState'),
      banner: byId('linkBanner'),
      say,
      changed(view, change) {
        if (!isLive(view)) showStale();
        // Back: the agent's state may have changed meanwhile (the server does not replay /topic/status).
        if (change === 'restored') void firstPaint(claim);
      },
    }),
  });
  channel.subscribe(`/topic/status/${u}`, (body) => {
    const b = (body ?? {}) as Record<string, unknown>;
    showLabel(byId('workState'), workLabel(Number(b.workStatus)));
    showLabel(byId('sessionState'), sessionLabel(Number(b.sessionStatus ?? b.sessionSatus)));
  });
  for (const topic of ['invite', 'call', 'bye', 'transfer'] as const)
    channel.subscribe(`/topic/${topic}/${u}`, (body) => onCall(topic, body));
  channel.subscribe(`/topic/notify/${p}/${u}`, (body) => {
    const n = noticeOf(body);
    say(n.text, n.tone);
  });
  channel.subscribe(`/topic/task/${p}`, (body) => {
    const b = (body ?? {}) as Record<string, unknown>;
    logTo(events(), `任务 task ${String(b.callTaskCode)} → status ${String(b.status)}`);
  });
  return channel;
}

/** answerConfirmFn: the agent decides in the page (a blocking confirm() would freeze STOMP and the timers). */
function askToAnswer(target: string): Promise<boolean> {
  return new Promise((resolve) => {
    if (!desk) return resolve(false);
    desk.answer?.(false);
    byId('incomingNumber').textContent = target;
    show(byId('incoming'), true);
    desk.answer = (yes) => {
      show(byId('incoming'), false);
      if (desk) desk.answer = undefined;
      resolve(yes);
    };
  });
}

async function firstPaint(claim: Claim): Promise<void> {
  const r = await consoleGet<{
    workStatus: number;
    sessionStatus: number;
    workType: number;
    stateFrom?: 'owner' | 'store';
  }>('status', {}, claim);
  if (!r.ok) return say(`状态 status: ${r.message}`, 'bad');
  // In a cluster the project's owner answers; while nobody holds it (a take-over) the server says it read the store.
  if (r.data.stateFrom === 'store')
    say(
      '状态取自数据库 state read from the store: the project is being taken over, live updates follow',
      'warn',
    );
  showLabel(byId('workState'), workLabel(r.data.workStatus));
  showLabel(byId('sessionState'), sessionLabel(r.data.sessionStatus));
  byId<HTMLSelectElement>('workType').value = String(r.data.workType);
}

function claimed(claim: Claim): void {
  byId('me').textContent = claim.username;
  byId('project').textContent = `项目 project ${claim.projectCode} · SIP ${claim.uri}`;
  desk = { claim, channel: connect(claim), call: noCall };
  renderCall();
  void firstPaint(claim);
  const ws = sipServer(location.search, claim.servers);
  if (!ws) return showLabel(byId('phoneState'), { text: '未启用 off', tone: 'muted' });
  const started = startPhone(claim, ws, {
    onState: (label) => showLabel(byId('phoneState'), label),
    onNotice: say,
    confirm: (target) => askToAnswer(target),
    onChange: renderCall,
  });
  if (started.ok) desk.phone = started.phone;
  else {
    showLabel(byId('phoneState'), { text: '未启动 not started', tone: 'bad' });
    say(`软电话 softphone: ${started.reason}`, 'bad');
  }
}

function workBody(): Record<string, unknown> {
  if (!desk) return {};
  return {
    username: desk.claim.username,
    projectCode: desk.claim.projectCode,
    workType: Number(byId<HTMLSelectElement>('workType').value),
  };
}

function wireButtons(): void {
  onClick('idle', () => send('/app/idle', workBody()));
  onClick('busy', () => send('/app/busy', workBody()));
  onClick('agentLogin', () => void desk?.phone?.agentLogin());
  onClick('agentLogoff', () => void desk?.phone?.agentLogoff());
  onClick('fifo', () => void (desk && desk.phone?.enterFifo(desk.claim.projectCode)));
  onClick('accept', () => desk?.answer?.(true));
  onClick('decline', () => desk?.answer?.(false));
  onClick('hold', async () => {
    const leg = currentLeg(desk?.phone);
    if (!leg) return say('软电话上没有通话 no call on the softphone', 'warn');
    if (!(await leg.hold())) say('保持失败 hold failed', 'bad');
  });
  onClick('unhold', async () => {
    const leg = currentLeg(desk?.phone);
    if (leg && !(await leg.unhold())) say('取消保持失败 unhold failed', 'bad');
  });
  onClick('hangup', () => {
    if (!desk) return;
    const c = desk.call;
    const leg = currentLeg(desk.phone);
    // Hanging up the phone's own leg always works (the server sees the bridge end); without one, the server is
    // asked to end the call it offered (spec 三.12).
    if (leg) leg.hangup();
    else if (c.callId && (c.phase === 'ringing' || c.phase === 'talking'))
      send('/app/bye', { callId: c.callId, username: desk.claim.username });
    else say('没有通话 no call to hang up', 'warn');
  });
  onClick('transfer', () => {
    if (!desk) return;
    const to = inputValue('transferTo');
    if (!to) return say('请输入分机号 enter an extension', 'warn');
    send('/app/transfer', { username: desk.claim.username, callId: desk.call.callId, otherUsername: to });
  });
  onClick('getNumbers', async () => {
    if (!desk) return;
    const list = byId('previewList');
    const r = await consoleGet<{ items: { phone: string }[] }>(
      'callList',
      { callTaskCode: inputValue('previewTask'), count: Number(inputValue('previewCount') || 5) },
      desk.claim,
    );
    byId('previewAnswer').textContent = r.ok
      ? `${r.data.items.length} 个号码 numbers`
      : `取号失败 ${r.message}`;
    list.replaceChildren(
      ...(r.ok ? r.data.items : []).map((n) => {
        const button = h('button', { type: 'button' }, '拨打 Dial');
        button.addEventListener('click', () => previewCall(n.phone));
        return h('li', {}, h('span', { class: 'number' }, n.phone), ' ', button);
      }),
    );
  });
  onClick('previewCall', () => previewCall(inputValue('dialNumber')));
}

function previewCall(telNo: string): void {
  if (!desk || !telNo) return;
  byId<HTMLInputElement>('dialNumber').value = telNo;
  send('/app/previewCall', {
    username: desk.claim.username,
    telNo,
    callTaskCode: inputValue('previewTask'),
  });
}

function init(): void {
  const select = byId<HTMLSelectElement>('workType');
  select.replaceChildren(...WORK_TYPES.map((w) => h('option', { value: String(w.value) }, w.text)));
  wireButtons();
  wireClaimPanel({ savedKey: SAVED, type: 2, failure: '认领失败 claim failed', claimed });
  setInterval(renderTimer, 1000);
}

init();
