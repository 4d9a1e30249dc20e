// What the live `cluster-front` group checks about the front itself (issue 20): TLS ends at HAProxy for everything
// the pages and clients send (pages, reads, the STOMP WebSocket upgrades, SockJS's HTTP sessions), read from
// HAProxy's own log (a frontend name followed by `~` marks a request that came over TLS); SockJS's sessions stay on
// one instance; and behind TLS the instances still see each client's own address (X-Forwarded-For from a proxy in
// CC_TRUSTED_PROXIES), which SockJS's session binding depends on.
import { check } from './cluster-checks.js';
import { frontRequest, type Answer, type Front } from './cluster-front-lab.js';
import type { Ctx, Step } from './cluster-front-scenarios.js';
import { waitFor } from './lab.js';

const WSS = /^wss:\/\/127\.0\.0\.1\/callcenter\/ws$/;
/** An httplog line of a request HAProxy passed to an instance: `client [date] frontend backend/server ...`. */
const REQUEST = /^[\d.]+:\d+ \[[^\]]+\] \S+ (instances|sockjs)\/cc-/;

/** HAProxy's log lines (raw httplog) that match `re`, waiting up to 5 s for at least `count` of them. */
/** HAProxy's log line of a page's console read answered 200 by instance `at`, over TLS. */
export const consoleRead = (at: string, read: string) =>
  new RegExp(`\\] callcenter~ instances/${at} \\S+ 200 .*"GET /callcenter/console/${read}\\?`);

export function logged(front: Front, re: RegExp, count: number, what: string): Promise<string[]> {
  return waitFor(
    `HAProxy's log to show ${what}`,
    () => {
      const lines = front
        .log()
        .split('\n')
        .filter((l) => re.test(l));
      return lines.length >= count ? lines : undefined;
    },
    5000,
    100,
  ).catch((err: Error) => {
    throw new Error(`${err.message}; its log ends with ${JSON.stringify(front.log().slice(-1500))}`);
  });
}

export const tlsOnly: Step = [
  "TLS ends at HAProxy: both pages' WebSockets were wss:// through the front before and after the kill, HAProxy logged the upgrades (101) and the pages' reads as TLS requests, and nothing reached an instance over plain HTTP",
  async (c) => {
    const { sockets, proxy, x, y } = c.front;
    for (const [name, urls] of Object.entries(sockets)) {
      check(urls.length >= 2, `the ${name} opened a WebSocket before and after the kill`, urls);
      check(
        urls.every((u) => WSS.test(u)),
        `the ${name}'s WebSockets are wss:// through the front`,
        urls,
      );
    }
    // A WebSocket is logged when it ends: the two X held ended with its kill.
    const ws = (at: string) =>
      new RegExp(`\\] callcenter~ instances/${at} \\S+ 101 .*"GET /callcenter/ws HTTP/1\\.1"$`);
    await logged(proxy, ws(x.id), 2, `the two wss upgrades that reached ${x.id}`);
    // The workbench read its state again after its reconnect, at Y over TLS (the manager's: managerBack).
    await logged(proxy, consoleRead(y.id, 'status'), 1, `console/status read at ${y.id} over TLS`);
    const served = proxy
      .log()
      .split('\n')
      .filter((l) => REQUEST.test(l));
    const plain = served.filter((l) => !/\] callcenter~ /.test(l));
    check(plain.length === 0, 'every request that reached an instance came over TLS', plain.slice(0, 5));
    // The one plain request (the manager page's first address) got the redirect only.
    const redirected = proxy
      .log()
      .split('\n')
      .filter((l) => /\] callcenter callcenter\/<NOSRV> \S+ 301 .*"GET \/manager\?sip=off HTTP/.test(l));
    check(redirected.length === 1, 'the plain http:// request was answered by the redirect', redirected);
    return `${served.length} requests through TLS`;
  },
];

export const sockjsSticky: Step = [
  "SockJS's HTTP transport through the front over https: every request of a session reaches the instance that holds it (the shipped `balance uri depth 4` backend; four xhr-polling sessions log in over STOMP)",
  async (c) => {
    const { username, password } = c.front.agent;
    const post = (path: string, body?: string) => frontRequest(c.front.proxy, 'POST', path, { body });
    const connect = `CONNECT\naccept-version:1.2\nhost:cc\nlogin:${username}\npasscode:${password}\nheart-beat:0,0\n\n\0`;
    for (let n = 0; n < 4; n++) {
      const url = `/callcenter/ws/${100 + n}/front${process.pid}s${n}`;
      const open = (await post(`${url}/xhr`)).text;
      check(open === 'o\n', `session ${n} opens`, open);
      const sent = await post(`${url}/xhr_send`, JSON.stringify([connect]));
      check(sent.status === 204, `session ${n}: its CONNECT reaches the instance holding it`, sent.status);
      const polled = (await post(`${url}/xhr`)).text;
      check(
        /CONNECTED/.test(polled),
        `session ${n}: the poll reaches it too and gets CONNECTED`,
        polled.slice(0, 200),
      );
      await post(`${url}/xhr_send`, JSON.stringify(['DISCONNECT\n\n\0']));
    }
    await logged(
      c.front.proxy,
      /\] callcenter~ sockjs\/cc-\S+ \S+ 204 .*"POST \/callcenter\/ws\/10[0-3]\/\S+\/xhr_send HTTP/,
      8,
      'the SockJS requests, over TLS',
    );
  },
];

export const clientAddressStep: Step = [
  "behind TLS the instances see each client's own address (HAProxy's X-Forwarded-For, CC_TRUSTED_PROXIES): a SockJS session opened from 127.0.0.2 refuses the same session's requests from 127.0.0.3 and serves its creator's",
  async (c: Ctx) => {
    const url = `/callcenter/ws/200/front${process.pid}ip`;
    const from = (address: string, path: string, body?: string): Promise<Answer> =>
      frontRequest(c.front.proxy, 'POST', `${url}/${path}`, { body, from: address });
    const open = await from('127.0.0.2', 'xhr');
    check(open.text === 'o\n', 'the session opens for 127.0.0.2', open);
    // HAProxy connects to every instance from 127.0.0.1: without the client's address both would look alike.
    const other = await from('127.0.0.3', 'xhr_send', JSON.stringify(['\n']));
    check(other.status === 404, "another client's request is refused as if the session did not exist", other);
    const own = await from('127.0.0.2', 'xhr_send', JSON.stringify(['\n']));
    check(own.status === 204, "its creator's request is served", own);
  },
];
