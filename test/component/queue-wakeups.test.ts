// Issue 13: queued customers look for an agent only when one frees up. Waking all of them on every agent change
// (each reserve and each connect too) made a full queue block the event loop and cycle agents in lock-step.
import t from 'tap';
import { startCallHarness } from '../support/calls.js';

t.test(
  'given two queued customers, when one agent frees up, each looks once and only one gets the agent',
  async (t) => {
    const h = await startCallHarness({ flow: { agentWaitMs: 60_000 } });
    t.teardown(h.close);
    const [a1] = await h.project('pq', 1, { available: false });
    await h.task({ code: 'tq', projectCode: 'pq', scheduleType: 1 });
    const agents = h.app.ctx.services.agents;
    let searches = 0;
    const reserve = agents.reserveLongestIdle.bind(agents);
    agents.reserveLongestIdle = (...args) => {
      searches++;
      return reserve(...args);
    };
    const callIds: string[] = [];
    for (const number of ['13900000101', '13900000102']) {
      h.fs.setPeer(number, { kind: 'answer', answerAfterMs: 0, hangupAfterMs: 30_000 });
      const callId = `00000000-0000-4000-8000-${number.slice(1)}`;
      const token = h.socketLeg(callId, 'direct').cc_socket_token;
      const vars = `{origination_uuid=${callId},cc_call_id=${callId},cc_role=customer,cc_number=${number},cc_flow=direct,cc_task=tq,cc_project=pq,cc_socket_token=${token}}`;
      const r = await h.app.nodes.bgapi(1, `originate ${vars}sofia/gateway/gw1/${number} '&${h.socketApp}'`);
      t.ok(r.ok, 'customer answered');
      callIds.push(callId);
    }
    // Two searches each on arrival: the first finds nobody, the second once it listens for freed agents.
    await h.fs.waitFor(() => callIds.every((id) => h.app.runner.live.has(id)) && searches === 4);
    agents.setWork(a1, 1);
    await h.fs.waitFor(() => agents.get(a1)?.state.sessionStatus === 10);
    await new Promise((r) => setTimeout(r, 100));
    t.equal(searches - 4, 2, 'one search each when the agent became available, none on reserve or connect');
    t.equal(
      [...h.app.runner.live.values()].filter((c) => c.agent === a1).length,
      1,
      'one customer talks to the agent, the other still waits',
    );
  },
);
