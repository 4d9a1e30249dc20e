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
