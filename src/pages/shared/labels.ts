// What the pages show for the contract's codes (spec 一.9, 三.5, 三.13, 三.14). Pure: also used by Node tests.
import { RegStatus, SessionStatus, TaskStatus, WorkStatus } from '../../core/codes.js';

export interface Label {
  text: string;
  /** A CSS modifier: ok, warn, bad, busy, muted. */
  tone: 'ok' | 'warn' | 'bad' | 'busy' | 'muted';
}

export function workLabel(workStatus: number): Label {
  if (workStatus === WorkStatus.available) return { text: '空闲 available', tone: 'ok' };
  if (workStatus === WorkStatus.unavailable) return { text: '忙碌 busy', tone: 'warn' };
  if (workStatus === WorkStatus.disabled) return { text: '禁用 disabled', tone: 'bad' };
  return { text: `未知 ${workStatus}`, tone: 'muted' };
}

/**
 * The manager table's work cell: an agent's work status as the server counts it. An unregistered agent set
 * available is not offered calls (agents/state.ts needs a registration), so it must not read as available there.
 */
export function extWorkLabel(workStatus: number, regStatus: number): Label {
  if (regStatus !== RegStatus.registered && workStatus === WorkStatus.available)
    return { text: '离线 不可接 offline', tone: 'muted' };
  return workLabel(workStatus);
}

export function sessionLabel(sessionStatus: number): Label {
  if (sessionStatus === SessionStatus.idle) return { text: '未通话 idle', tone: 'muted' };
  if (sessionStatus === SessionStatus.talking) return { text: '通话中 talking', tone: 'busy' };
  if (sessionStatus === SessionStatus.conference) return { text: '会议中 conference', tone: 'busy' };
  return { text: `未知 ${sessionStatus}`, tone: 'muted' };
}

export function regLabel(status: number): Label {
  return status === RegStatus.registered
    ? { text: '已注册 registered', tone: 'ok' }
    : { text: '未注册 offline', tone: 'bad' };
}

export function taskLabel(status: number): Label {
  switch (status) {
    case TaskStatus.init:
      return { text: '初始化 init', tone: 'muted' };
    case TaskStatus.running:
      return { text: '运行中 running', tone: 'ok' };
    case TaskStatus.paused:
      return { text: '已暂停 paused', tone: 'warn' };
    case TaskStatus.ended:
      return { text: '已结束 ended', tone: 'muted' };
    default:
      return { text: `未知 ${status}`, tone: 'muted' };
  }
}

export const typeLabel = (type: number): string => (type === 3 ? '项目经理 manager' : '坐席 agent');

/** workType of /app/idle and /app/busy (spec 三.2). */
export const WORK_TYPES: ReadonlyArray<{ value: 10 | 20 | 30; text: string }> = [
  { value: 10, text: '直接转坐席 direct' },
  { value: 20, text: '坐席长连接 off-hook' },
  { value: 30, text: '呼入 inbound' },
];

/** A /topic/notify body (spec 三.9): {duration, msgType, data, type}. Tolerates a plain string. */
export interface Notice {
  text: string;
  tone: Label['tone'];
}

export function noticeOf(body: unknown): Notice {
  if (typeof body === 'string') return { text: body, tone: 'muted' };
  const b = (body ?? {}) as Record<string, unknown>;
  const text = typeof b.data === 'string' ? b.data : JSON.stringify(b.data ?? body);
  const tone =
    b.msgType === 'success'
      ? 'ok'
      : b.msgType === 'error'
        ? 'bad'
        : b.msgType === 'warning'
          ? 'warn'
          : 'muted';
  return { text, tone };
}

/** "12:03:05" in the browser's zone; pages stamp what they receive. */
export const clockText = (ms: number): string => {
  const d = new Date(ms);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
};

/** "1:05" or "1:02:03" for a call's duration. */
export function durationText(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}
