// The pure parts of the page fixes of issue #17 item 17, in Node: which call buttons work, the link's status line,
// the manager table's work cell for an offline agent, and the chart's time ticks.
import t from 'tap';
import { callControls, noCall, onCallTopic } from '../../src/pages/shared/call-state.js';
import { summarize, mergeExt } from '../../src/pages/shared/ext-table.js';
import { extWorkLabel } from '../../src/pages/shared/labels.js';
import {
  linkBanner,
  linkLabel,
  linkStart,
  onLinkState,
  type LinkState,
  type LinkView,
} from '../../src/pages/shared/link-state.js';
import { axisTicks, axisTimeText } from '../../src/pages/shared/wallboard-data.js';

const call = { callId: 'c1', telNo: '13900000001', callTaskCode: 't1' };

t.test('with no call, hang up, hold and transfer do nothing, so they are off', async (t) => {
  t.same(callControls(noCall, false), { hangup: false, hold: false, transfer: false });
  const ended = onCallTopic(onCallTopic(noCall, 'invite', call, 0), 'bye', call, 1);
  t.same(callControls(ended, false), { hangup: false, hold: false, transfer: false }, 'after bye');
});

t.test(
  'an offered call can be hung up; a connected one transferred; hold needs the softphone’s leg',
  async (t) => {
    const ringing = onCallTopic(noCall, 'invite', call, 0);
    t.same(callControls(ringing, false), { hangup: true, hold: false, transfer: false });
    const talking = onCallTopic(ringing, 'call', call, 1);
    t.same(callControls(talking, false), { hangup: true, hold: false, transfer: true });
    t.same(callControls(talking, true), { hangup: true, hold: true, transfer: true });
    t.same(
      callControls(noCall, true),
      { hangup: true, hold: true, transfer: false },
      'a leg the server did not offer',
    );
  },
);

t.test(
  'an agent set available but not registered reads as offline, as the available card counts it',
  async (t) => {
    t.match(extWorkLabel(1, 0), { text: /离线/, tone: 'muted' });
    t.notMatch(extWorkLabel(1, 0).text, /空闲|available/);
    t.match(extWorkLabel(1, 1), { text: /空闲/, tone: 'ok' });
    t.match(extWorkLabel(0, 0), { text: /忙碌/ });
    const rows = mergeExt(
      mergeExt(new Map(), { username: '1001', status: 0, workStatus: 1, sessionStatus: 0, type: 2 }),
      { username: '1002', status: 0, workStatus: 1, sessionStatus: 0, type: 2 },
    );
    t.equal(summarize(rows).available, 0);
    const cells = [...rows.values()].map((r) => extWorkLabel(r.workStatus, r.status).text);
    t.equal(
      cells.filter((c) => /available/.test(c)).length,
      summarize(rows).available,
      'table and card agree',
    );
  },
);

function drive(states: LinkState[], start = linkStart): { view: LinkView; changes: string[] } {
  let view = start;
  const changes: string[] = [];
  states.forEach((s, i) => {
    const next = onLinkState(view, s, 1000 * (i + 1));
    view = next.view;
    if (next.change) changes.push(next.change);
  });
  return { view, changes };
}

t.test('an outage is one lost line, one status line counting attempts, and one restored line', async (t) => {
  const up = drive(['connecting', 'connected']);
  t.same(up.changes, [], 'the first connection is not a "restored"');
  t.equal(linkBanner(up.view, String), null, 'nothing to say while connected');
  t.match(linkLabel(up.view), { tone: 'ok' });

  const down = drive(['connecting', 'connecting', 'connecting', 'connecting'], up.view);
  t.same(down.changes, ['lost'], 'one message for the whole outage, however many attempts');
  t.equal(down.view.attempts, 3);
  t.equal(down.view.lostAt, 1000, 'since the first loss');
  t.match(linkLabel(down.view), { text: /已断开 disconnected/, tone: 'bad' });
  t.match(
    linkBanner(down.view, (ms) => `@${ms}`),
    /已断开 \(@1000 起\).*已重试 3 次/,
  );

  const back = drive(['connected'], down.view);
  t.same(back.changes, ['restored']);
  t.equal(linkBanner(back.view, String), null);
});

t.test('a server never reached says so after the first failed attempt; a refused login stops', async (t) => {
  const never = drive(['connecting', 'connecting']);
  t.match(linkBanner(never.view, String), /无法连接服务器.*1/);
  t.match(linkLabel(never.view), { text: /连接中/ });
  const refused = drive(['connecting', 'refused']);
  t.match(linkBanner(refused.view, String), /拒绝/);
  t.match(linkLabel(refused.view), { tone: 'bad' });
});

t.test('chart times are 24-hour, with 月日 only when the ticks span days', async (t) => {
  const at = (h: number, m: number, day = 23) => new Date(2026, 10, day, h, m).getTime() / 1000;
  t.equal(axisTimeText(at(14, 5), false), '14:05');
  t.equal(axisTimeText(at(9, 0), true), '11月23日 09:00');
  t.same(axisTicks([at(13, 50), at(14, 0), at(14, 10)]), ['13:50', '14:00', '14:10']);
  t.same(axisTicks([at(23, 50), at(0, 0, 24)]), ['11月23日 23:50', '11月24日 00:00']);
});
