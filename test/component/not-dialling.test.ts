// Issue 17.12: a running task that dials nothing says why, in callTaskStatus (`notDialling`, an extension), on
// /topic/task/{projectCode} when the reason changes, and in its /topic/callTaskStatus body (the manager page).
import t from 'tap';
import { ACCOUNT, form, FORM, SECRET } from '../support/app.js';
import { startCallHarness, type CallHarness } from '../support/calls.js';
import { connectStomp } from '../support/stomp-client.js';
import { addNumber, gatewayFor } from './flows-support.js';

const status = async (h: CallHarness, code: string) =>
  (
    await h.app.http.inject({
      method: 'POST',
      url: '/callcenter/callTask/api/callTaskStatus/v1',
      headers: { ...h.signed(), ...FORM },
      payload: form({ callTaskCode: code }),
    })
  ).json().data as { status: number; notDialling: { reason: string; detail: string } | null };

t.test('a running task that dials nothing says why, and says it again when the reason changes', async (t) => {
  const h = await startCallHarness({}, { dialerTickMs: 50 });
  t.teardown(h.close);
  await h.project('pn', 1, { register: false });
  const stomp = await connectStomp(h.baseUrl, ACCOUNT, SECRET);
  t.teardown(() => stomp.close());
  stomp.subscribe('/topic/task/pn');
  // A round trip, so the subscription is in place before the task runs.
  await new Promise((r) => setTimeout(r, 50));
  const taskId = await h.task({ code: 'tn', projectCode: 'pn', scheduleType: 1 });
  const gw = await gatewayFor(h, taskId, 'gwN', { lines: 2 });
  await addNumber(h, taskId, '13900000001');
  const until = async (reason: string) => {
    for (let i = 0; i < 200; i++) {
      const s = await status(h, 'tn');
      if (s.notDialling?.reason === reason) return s;
      await new Promise((r) => setTimeout(r, 25));
    }
    return status(h, 'tn');
  };

  let s = await until('no-agent');
  t.match(s, {
    status: 2,
    notDialling: { reason: 'no-agent', detail: /no agent of its project is available/ },
  });

  await h.app.ctx.repos.gateways.update(gw.id, { expectCount: 0 }, h.app.ctx.clock.now());
  s = await until('gateways-full');
  t.match(s.notDialling, { reason: 'gateways-full', detail: /gwN/ });
  await h.app.ctx.repos.gateways.update(gw.id, { expectCount: 2 }, h.app.ctx.clock.now());

  const today = ((new Date().getUTCDay() + 6) % 7) + 1;
  await h.app.http.inject({
    method: 'POST',
    url: '/callcenter/callTask/api/setTaskRules/v1',
    headers: { ...h.signed(), ...FORM },
    payload: form({
      callTaskCode: 'tn',
      callingWindow: JSON.stringify({
        timeZone: 'UTC',
        days: [(today % 7) + 1],
        hours: [['00:00', '24:00']],
      }),
    }),
  });
  s = await until('outside-calling-window');
  t.match(s.notDialling, { reason: 'outside-calling-window', detail: /until \d{4}-/ });

  await h.fs.close();
  s = await until('freeswitch-unreachable');
  t.match(s.notDialling, { reason: 'freeswitch-unreachable', detail: /FreeSWITCH node .* is not connected/ });

  const told = (stomp.messages.get('/topic/task/pn') ?? []) as { notDialling?: { reason: string } | null }[];
  const reasons = told.filter((m) => m.notDialling).map((m) => m.notDialling?.reason);
  const order = ['no-agent', 'gateways-full', 'outside-calling-window', 'freeswitch-unreachable'];
  t.same(
    reasons.filter((r) => order.includes(r ?? '') && r !== 'no-agent').concat(),
    order.slice(1),
    `/topic/task told each reason, in order: ${reasons.join(' ')}`,
  );
  t.equal(reasons[0], 'no-agent');
  t.equal(reasons.filter((r, i) => i > 0 && r === reasons[i - 1]).length, 0, 'and only when it changed');
});
