// Issue 20: when another instance announces a project changed in the store, this instance reloads the project's
// extensions from it. The stored registration may lag what this instance heard itself from FreeSWITCH (the other
// instance's write of the same REGISTER may not have landed yet): seen once in cluster-agents as an agent
// registered on both instances and then unregistered at one after a work-status change at the owner. A registration
// heard here is kept; the stored work status is taken. With the node's link down, the store is all there is.
import { sql } from 'drizzle-orm';
import t from 'tap';
import { WorkStatus } from '../../src/core/codes.js';
import { startCallHarness } from '../support/calls.js';

t.test('a reload keeps the registration this instance heard and takes the stored work status', async (t) => {
  const h = await startCallHarness();
  t.teardown(h.close);
  const [a1] = await h.project('rr', 1);
  const agents = h.app.ctx.services.agents;
  t.equal(agents.get(a1!)?.state.regStatus, 1, 'registered, as the emulator told us');
  await agents.stored();
  // The store lags: another instance's write of the registration is not there yet; the owner set the agent busy.
  await h.exec(
    sql`update extensions set reg_status = 0, work_status = ${WorkStatus.unavailable} where username = ${a1!}`,
  );
  await h.app.ctx.services.projects.reloadProject('rr');
  t.equal(agents.get(a1!)?.state.regStatus, 1, 'still registered: heard here, fresher than the store');
  t.equal(
    agents.get(a1!)?.state.workStatus,
    WorkStatus.unavailable,
    "the owner's work status, from the store",
  );
});

t.test("with the node's link down, a reload takes the stored registration", async (t) => {
  const h = await startCallHarness();
  t.teardown(h.close);
  const [a1] = await h.project('rs', 1);
  const agents = h.app.ctx.services.agents;
  await agents.stored();
  await h.fs.close();
  await h.fs.waitFor(() => !h.app.nodes.isConnected(1), 5000).catch(() => undefined);
  t.notOk(h.app.nodes.isConnected(1), 'the link is down');
  await h.exec(sql`update extensions set reg_status = 0 where username = ${a1!}`);
  await h.app.ctx.services.projects.reloadProject('rs');
  t.equal(agents.get(a1!)?.state.regStatus, 0, 'unregistered, as the store says');
});
