/// <reference lib="dom" />
// Small DOM helpers of the two pages (no framework: the pages are a handful of panels).
import { clockText, type Label } from './labels.js';

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`the page has no #${id}`);
  return el as T;
}

export const inputValue = (id: string): string => byId<HTMLInputElement>(id).value.trim();

type Child = Node | string | null | undefined;

/** An element with attributes (`data-*`, `class`, ...) and children; text is escaped by construction. */
export function h(tag: string, attrs: Record<string, string> = {}, ...children: Child[]): HTMLElement {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  for (const c of children) if (c !== null && c !== undefined) el.append(c);
  return el;
}

/** Shows a label as a coloured chip: `<span class="chip ok">`. */
export function showLabel(el: HTMLElement, label: Label): void {
  el.textContent = label.text;
  el.className = `chip ${label.tone}`;
}

export function chip(label: Label): HTMLElement {
  return h('span', { class: `chip ${label.tone}` }, label.text);
}

/** Prepends a stamped line to a list, keeping the newest `max`. */
export function logTo(list: HTMLElement, text: string, tone: Label['tone'] = 'muted', max = 100): void {
  list.prepend(h('li', { class: tone }, h('time', {}, clockText(Date.now())), ' ', text));
  while (list.children.length > max) list.lastElementChild?.remove();
}

export function show(el: HTMLElement, visible: boolean): void {
  el.hidden = !visible;
}

/** Enables a button or not; what `onClick` restores once its pending action settles. */
export function enable(button: HTMLButtonElement, on: boolean): void {
  button.dataset.off = String(!on);
  button.disabled = !on;
}

/** Runs `fn` on click; the button is disabled while a returned promise is pending. */
export function onClick(id: string, fn: () => void | Promise<void>): void {
  const button = byId<HTMLButtonElement>(id);
  button.addEventListener('click', () => {
    const r = fn();
    if (r instanceof Promise) {
      button.disabled = true;
      void r.finally(() => (button.disabled = button.dataset.off === 'true'));
    }
  });
}
