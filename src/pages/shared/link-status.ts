/// <reference lib="dom" />
// Shows the STOMP channel's state (link-state.ts) in a page: the header chip, one status line that updates in
// place during an outage, and one message when the link is lost and one when it is back.
import { showLabel, show } from './dom.js';
import { clockText, type Label } from './labels.js';
import {
  linkBanner,
  linkLabel,
  linkStart,
  onLinkState,
  type LinkChange,
  type LinkState,
  type LinkView,
} from './link-state.js';

export interface LinkStatusHooks {
  chip: HTMLElement;
  banner: HTMLElement;
  say(text: string, tone: Label['tone']): void;
  /** After every state change, with what changed (the page refreshes what it shows of the server). */
  changed?(view: LinkView, change: LinkChange): void;
}

/** An `onState` for openChannel. */
export function linkStatus(hooks: LinkStatusHooks): (state: LinkState, detail?: string) => void {
  let view = linkStart;
  return (state, detail) => {
    const next = onLinkState(view, state, Date.now());
    view = next.view;
    showLabel(hooks.chip, linkLabel(view));
    const banner = linkBanner(view, clockText);
    hooks.banner.textContent = banner ?? '';
    show(hooks.banner, banner !== null);
    if (detail) hooks.say(`消息通道 STOMP: ${detail}`, state === 'connected' ? 'ok' : 'bad');
    if (next.change === 'lost') hooks.say('与服务器的连接已断开 disconnected from the server', 'bad');
    if (next.change === 'restored') hooks.say('已重新连接 reconnected to the server', 'ok');
    hooks.changed?.(view, next.change);
  };
}
