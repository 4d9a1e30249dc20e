// The pages' link to the server (their STOMP channel) as one status line: the page says at once when the server
// is gone and keeps one line that counts the reconnection attempts, instead of a new message every 3 s and a
// "connected, available" header that no longer holds. Pure, so Node tests cover it.
import type { Label } from './labels.js';

export type LinkState = 'connecting' | 'connected' | 'closed' | 'refused';

export interface LinkView {
  state: LinkState;
  /** When the link was last lost (the page's clock); 0 while it never was. */
  lostAt: number;
  /** Reconnection attempts that failed since the link was lost. */
  attempts: number;
  everConnected: boolean;
}

// Before openChannel reports anything: its first 'connecting' is the first attempt, not a retry.
export const linkStart: LinkView = { state: 'closed', lostAt: 0, attempts: 0, everConnected: false };

/** What changed, for the page's message log: one line when the link is lost and one when it is back. */
export type LinkChange = 'lost' | 'restored' | null;

export function onLinkState(
  view: LinkView,
  state: LinkState,
  now: number,
): { view: LinkView; change: LinkChange } {
  if (state === 'connected') {
    const change = view.everConnected && view.state !== 'connected' ? 'restored' : null;
    return { view: { state, lostAt: 0, attempts: 0, everConnected: true }, change };
  }
  if (view.state === 'connected')
    return { view: { ...view, state, lostAt: now, attempts: 0 }, change: 'lost' };
  // Still down: another attempt ended (stompjs reports each closed socket).
  const attempts = view.state === state && state !== 'refused' ? view.attempts + 1 : view.attempts;
  return { view: { ...view, state, attempts, lostAt: view.lostAt || now }, change: null };
}

/** Whether what the page shows of the server (work state, call state) is current. */
export const isLive = (view: LinkView): boolean => view.state === 'connected';

/** The header chip of the channel. */
export function linkLabel(view: LinkView): Label {
  switch (view.state) {
    case 'connected':
      return { text: '已连接 connected', tone: 'ok' };
    case 'refused':
      return { text: '被拒绝 refused', tone: 'bad' };
    case 'closed':
      return { text: '已断开 closed', tone: 'bad' };
    case 'connecting':
      return view.everConnected
        ? { text: '已断开 disconnected', tone: 'bad' }
        : { text: '连接中 connecting', tone: 'muted' };
  }
}

/** The status line under the header, or null when there is nothing to say (connected). */
export function linkBanner(view: LinkView, clock: (ms: number) => string): string | null {
  if (view.state === 'connected') return null;
  if (view.state === 'refused')
    return '服务器拒绝了登录, 不再重试 the server refused the login; not retrying';
  if (view.state === 'closed') return '与服务器的连接已关闭 the connection to the server is closed';
  if (!view.everConnected)
    return view.attempts > 0
      ? `无法连接服务器, 正在重试 (${view.attempts} 次) cannot reach the server, retrying (${view.attempts})`
      : null;
  const tries = view.attempts > 0 ? `, 已重试 ${view.attempts} 次 (${view.attempts} attempts)` : '';
  return `与服务器的连接已断开 (${clock(view.lostAt)} 起), 正在重连${tries} · disconnected from the server, reconnecting; what the page shows may be out of date`;
}
