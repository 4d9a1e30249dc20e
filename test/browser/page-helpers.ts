// What the browser scenarios (Kamailio's and the live tier's) share about test/browser/page.js: running code in the
// page, waiting for a recorded phone event, and the audio a call has received.
import type { Page } from 'playwright-core';

export type Json = Record<string, unknown>;

/** Runs `expression` (a function's source) in the page with `arg`. Strings keep DOM types out of this Node file. */
export function inPage<T>(page: Page, fnSource: string, arg?: unknown): Promise<T> {
  return page.evaluate(`(${fnSource})(${JSON.stringify(arg ?? null)})`) as Promise<T>;
}

/** Waits until the page has recorded an event with all the given fields, and returns it. */
export async function eventOn(page: Page, match: Json, timeout: number): Promise<Json> {
  const find = `(m) => window.cc.events.find((e) => Object.entries(m).every(([k, v]) => e[k] === v))`;
  try {
    await page.waitForFunction(`(${find})(${JSON.stringify(match)}) !== undefined`, undefined, { timeout });
  } catch {
    const seen = await inPage<Json[]>(page, '() => window.cc.events.slice(-8)');
    throw new Error(
      `no event ${JSON.stringify(match)} on ${await page.title()}; last: ${JSON.stringify(seen)}`,
    );
  }
  return inPage<Json>(page, find, match);
}

/** Bytes of audio the page's newest peer connection has received. */
export const audioBytesIn = (page: Page) =>
  inPage<number>(
    page,
    `async () => {
      const pcs = window.testPeerConnections;
      const stats = await pcs[pcs.length - 1].getStats();
      let bytes = 0;
      stats.forEach((r) => { if (r.type === 'inbound-rtp' && r.kind === 'audio') bytes += r.bytesReceived; });
      return bytes;
    }`,
  );

/** How long a page step waits for what it expects. */
export const PAGE_STEP_TIMEOUT_MS = 10_000;

/**
 * Polls `expression` in the page until it is truthy. Not page.waitForFunction: that compiles its predicate with
 * eval inside the page, which the pages' Content-Security-Policy forbids (as it should); evaluate is not subject
 * to it, so the pages are tested under their real policy.
 */
export async function poll<T>(
  page: Page,
  expression: string,
  timeout = PAGE_STEP_TIMEOUT_MS,
): Promise<T | undefined> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const v = (await page.evaluate(expression)) as T;
    if (v) return v;
    if (Date.now() > deadline) return undefined;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Waits until the element's text matches; the error says what it showed instead. */
export async function textOf(
  page: Page,
  selector: string,
  want: RegExp,
  timeout = PAGE_STEP_TIMEOUT_MS,
): Promise<string> {
  const probe = `(document.querySelector(${JSON.stringify(selector)})?.textContent ?? '')`;
  const seen = await poll<{ text: string }>(
    page,
    `${want.toString()}.test(${probe}) && { text: ${probe} }`,
    timeout,
  );
  if (seen) return seen.text;
  const now = (await page.evaluate(probe)) as string;
  throw new Error(`${selector} on ${page.url()} shows ${JSON.stringify(now.slice(0, 400))}, not ${want}`);
}

/** A step's expectation: throws `what` when it does not hold. */
export function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(what);
}
