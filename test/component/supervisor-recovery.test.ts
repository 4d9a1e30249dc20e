// Issue 14.5: listeners, conferences and manager↔agent calls that a previous run left in FreeSWITCH are known again
// after the event link comes back (a restart): the managers' commands work on them, agents show the right state,
// and a room whose manager left meanwhile is closed. The legs are originated straight into the emulator with the
// cc_sup tag our originates carry, so the app has never seen them: exactly what a restarted server finds.
import t from 'tap';
import { SUP_VAR, supTag, type SupTag } from '../../src/supervisor/tags.js';
import { supervisorScene, type SupervisorScene } from './supervisor-scene.js';

type Notice = { msgType: string; data: string };
const isSuccess = (m: Notice) => m.msgType === 'success';

let n = 0;
const leg = () => `00000000-0000-4000-a000-${String(++n).padStart(12, '0')}`;

/** A leg "left by the previous run": originated by FreeSWITCH itself, tagged as our originates tag it. */
async function leftOver(s: SupervisorScene, uuid: string, tag: SupTag, dial: string, app: string) {
  const vars = `{origination_uuid=${uuid},${SUP_VAR}=${supTag(tag)},sip_h_X-CC-Auto-Answer=true}`;
  const r = await s.h.fs.api(`originate ${vars}${dial} '&${app}'`);
  if (!r.startsWith('+OK')) throw new Error(`originate: ${r}`);
}

/** A member of the project's room, as a conference of the previous run left it. */
function leftInRoom(s: SupervisorScene, uuid: string, member: string) {
  const room = `cc-${s.code}`;
  const tag = {
    kind: 'conference' as const,
    room,
    project: s.code,
    manager: s.manager,
    requester: s.manager,
  };
  return leftOver(s, uuid, { ...tag, member }, `user/${member}`, `conference(${room}@default)`);
}

/** The node's event link drops and comes back: the app asks FreeSWITCH what is up (show channels). */
async function reconnect(s: SupervisorScene) {
  const before = s.h.fs.commands.filter((c) => c.line.includes('show channels')).length;
  s.h.fs.dropInbound();
  await s.h.fs.waitFor(
    () => s.h.fs.commands.filter((c) => c.line.includes('show channels')).length > before,
    10_000,
  );
}

const live = (s: SupervisorScene, uuid: string) => s.h.fs.channels().some((c) => c.uuid === uuid);

t.test(
  'a listener left by the previous run is known again: stopEavesdrop ends it, the call goes on',
  async (t) => {
    const s = await supervisorScene('sr1', 1);
    t.teardown(s.h.close);
    const boss = await s.login(s.manager);
    const callId = await s.customerCall('13700000101');
    const agent = s.h.app.runner.live.get(callId)!.agent!;
    const customerLeg = s.h.app.runner.live.get(callId)!.uuid;
    const agentLeg = s.h.fs.channels().find((c) => c.uuid === customerLeg)!.bridgedTo!;
    const spy = leg();
    await leftOver(
      s,
      spy,
      { kind: 'eavesdrop', listener: s.manager, agent, project: s.code, requester: s.manager },
      `user/${s.manager}`,
      `eavesdrop(${agentLeg})`,
    );
    await s.h.fs.waitFor(() => s.h.fs.channels().find((c) => c.uuid === spy)?.eavesdrop);

    boss.send('/app/stopEavesdrop', { username: agent, projectCode: s.code });
    t.match(
      await boss.next<Notice>(s.notify(s.manager)),
      { msgType: 'error' },
      'before the link comes back the server does not know the listener',
    );
    await reconnect(s);
    await s.h.fs.waitFor(() => s.h.fs.commands.some((c) => c.line.includes(`uuid_getvar ${spy} ${SUP_VAR}`)));
    boss.send('/app/eavesdrop', { username: agent, projectCode: s.code });
    t.match(
      await boss.next<Notice>(s.notify(s.manager), (m) => /already listening/.test(m.data)),
      { msgType: 'error' },
      'a second listen on the same phone is refused: it is known to be listening',
    );
    boss.send('/app/stopEavesdrop', { username: agent, projectCode: s.code });
    t.match(await boss.next<Notice>(s.notify(s.manager), isSuccess), { data: /已结束监听/ });
    await s.h.fs.waitFor(() => !live(s, spy));
    t.ok(live(s, customerLeg) && live(s, agentLeg), 'the customer and the agent still talk');
  },
);

t.test(
  'a conference left by the previous run: members are in it again, stopConference closes it',
  async (t) => {
    const s = await supervisorScene('sr2', 2);
    t.teardown(s.h.close);
    const boss = await s.login(s.manager);
    const [mLeg, aLeg] = [leg(), leg()];
    await leftInRoom(s, mLeg, s.manager);
    await leftInRoom(s, aLeg, s.agents[0]!);
    await reconnect(s);
    const agents = s.h.app.ctx.services.agents;
    await s.h.fs.waitFor(() => agents.get(s.agents[0]!)?.state.sessionStatus === 7, 10_000);
    t.pass('the agent in the room shows sessionStatus 7');
    boss.send('/app/conference', { projectCode: s.code });
    t.match(await boss.next<Notice>(s.notify(s.manager)), { msgType: 'error', data: /already running/ });
    boss.send('/app/stopConference', { projectCode: s.code });
    t.match(await boss.next<Notice>(s.notify(s.manager), isSuccess), { data: /会议已结束/ });
    await s.h.fs.waitFor(() => !live(s, mLeg) && !live(s, aLeg));
    t.equal(agents.get(s.agents[0]!)?.state.sessionStatus, 0, 'the agent is back to idle');
  },
);

t.test(
  'a room whose manager left while the server was away is closed when the link comes back',
  async (t) => {
    const s = await supervisorScene('sr3', 2);
    t.teardown(s.h.close);
    const [a1, a2] = [leg(), leg()];
    await leftInRoom(s, a1, s.agents[0]!);
    await leftInRoom(s, a2, s.agents[1]!);
    await reconnect(s);
    await s.h.fs.waitFor(() => !live(s, a1) && !live(s, a2), 10_000);
    t.pass('both agents were hung up');
    const agents = s.h.app.ctx.services.agents;
    await s.h.fs.waitFor(() => s.agents.every((u) => agents.get(u)?.state.sessionStatus === 0));
    t.pass('and are idle');
  },
);

t.test(
  'a manager↔agent call left by the previous run: the agent stays busy, pmByeAgent ends it',
  async (t) => {
    const s = await supervisorScene('sr4', 1);
    t.teardown(s.h.close);
    const boss = await s.login(s.manager);
    const agent = s.agents[0]!;
    const [callId, agentLeg] = [leg(), leg()];
    await leftOver(
      s,
      callId,
      { kind: 'pm', callId, agentLeg, manager: s.manager, agent, project: s.code, requester: s.manager },
      `user/${s.manager}`,
      `bridge({origination_uuid=${agentLeg}}user/${agent})`,
    );
    await s.h.fs.waitFor(
      () => live(s, agentLeg) && s.h.fs.channels().find((c) => c.uuid === callId)?.bridgedTo,
    );
    await reconnect(s);
    const agents = s.h.app.ctx.services.agents;
    await s.h.fs.waitFor(() => agents.get(agent)?.state.callId === callId, 10_000);
    t.equal(agents.get(agent)?.state.sessionStatus, 10, 'the agent is talking (offered no customer)');
    boss.send('/app/pmByeAgent', { callId });
    t.match(await boss.next<Notice>(s.notify(s.manager), isSuccess), { data: new RegExp(agent) });
    await s.h.fs.waitFor(() => !live(s, callId) && !live(s, agentLeg));
    await s.h.fs.waitFor(() => agents.get(agent)?.state.sessionStatus === 0);
    t.pass('both legs are gone and the agent is idle again');
  },
);
