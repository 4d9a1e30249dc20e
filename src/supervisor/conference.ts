// /app/conference, /app/conferenceByUsername, /app/stopConference (spec 三.17–19): one conference room per project.
// The manager's phone is called first; once it is in the room every reachable agent is called into it. Members are
// sessionStatus 7 between mod_conference's add-member and del-member; when the conference ends (stopConference,
// or the manager leaves) every leg is hung up and each agent returns to the state it had before.
import type { AppCommand, AppPrincipal } from '../agents/commands.js';
import { FsApp, FsCommand, FsDial, appString } from '../switch/fs-commands.js';
import type { SupervisorContext } from './context.js';
import {
  conferenceInvitees,
  conferenceRoom,
  listenerPhone,
  projectAgent,
  projectOf,
  reachableAgent,
  requireManager,
} from './rules.js';
import { SUP_VAR, supTag } from './tags.js';

interface Member {
  uuid: string;
  username: string;
  /** Reserved so the dialer does not offer a customer while the phone rings for the conference. */
  reserved: boolean;
}

interface Conference {
  room: string;
  projectCode: string;
  nodeId: number;
  manager: string;
  requester: AppPrincipal;
  members: Map<string, Member>;
  ended: boolean;
}

export function conferenceCommands(ctx: SupervisorContext): Record<string, AppCommand> {
  const { agents } = ctx.d;
  const byProject = new Map<string, Conference>();
  const lookup = (u: string) => agents.get(u);
  /** The agent-state call id that marks a conference reservation. */
  const holdId = (c: Conference) => `conference:${c.room}`;

  function restore(c: Conference, m: Member): void {
    agents.apply(m.username, { kind: 'conference-left' });
    if (m.reserved) agents.apply(m.username, { kind: 'release', callId: holdId(c) });
  }

  async function end(c: Conference): Promise<void> {
    if (c.ended) return;
    c.ended = true;
    if (byProject.get(c.projectCode) === c) byProject.delete(c.projectCode);
    await ctx.d.nodes.api(c.nodeId, FsCommand.conferenceHupAll(c.room));
    // Members still ringing are not in the room yet: hang them up one by one.
    await Promise.all([...c.members.values()].map((m) => ctx.legs.kill(c.nodeId, m.uuid)));
    for (const m of c.members.values()) restore(c, m);
    c.members.clear();
  }

  /** What a member's leg does in the room: sessionStatus 7 while in it; the manager leaving ends the conference. */
  function memberLeg(c: Conference, m: Member) {
    const gone = () => {
      if (c.members.get(m.username) !== m) return;
      c.members.delete(m.username);
      restore(c, m);
    };
    return {
      gone,
      leg: {
        uuid: m.uuid,
        nodeId: c.nodeId,
        joined: () => void agents.apply(m.username, { kind: 'conference-joined' }),
        left: gone,
        ended: () => {
          gone();
          if (m.username === c.manager && !c.ended) {
            ctx.tell(c.requester, 'info', `会议已结束 (${c.manager} left)`);
            void end(c);
          }
        },
      },
    };
  }

  // After a restart: the room's members are members again (stopConference works, agents show sessionStatus 7).
  ctx.adopts(
    'conference',
    ({ tag, uuid, nodeId }) => {
      let c = byProject.get(tag.project);
      if (!c) {
        c = {
          room: tag.room,
          projectCode: tag.project,
          nodeId,
          manager: tag.manager,
          requester: ctx.principal(tag),
          members: new Map(),
          ended: false,
        };
        byProject.set(tag.project, c);
      }
      if (c.room !== tag.room || c.members.has(tag.member)) return;
      const m: Member = { uuid, username: tag.member, reserved: false };
      c.members.set(m.username, m);
      if (m.username !== c.manager) agents.apply(m.username, { kind: 'conference-joined' });
      ctx.legs.adopt(memberLeg(c, m).leg);
    },
    (nodeId) => {
      // A room whose manager left while we were away has nobody to end it: it ends now.
      for (const c of [...byProject.values()])
        if (c.nodeId === nodeId && !c.ended && !c.members.has(c.manager)) {
          ctx.tell(c.requester, 'info', `会议已结束 (${c.manager} left)`);
          void end(c);
        }
    },
  );

  /** Calls one phone into the room; resolves with the failure cause, or undefined once it answered. */
  async function call(c: Conference, username: string): Promise<string | undefined> {
    const isManager = username === c.manager;
    const offerable = !isManager && agents.offerable(c.projectCode).some((a) => a.username === username);
    const m: Member = { uuid: ctx.legs.newUuid(), username, reserved: false };
    if (offerable) m.reserved = agents.apply(username, { kind: 'reserve', callId: holdId(c) }).ok;
    c.members.set(username, m);
    const { gone, leg } = memberLeg(c, m);
    const r = await ctx.legs.originate(
      leg,
      FsCommand.originate(
        {
          origination_uuid: m.uuid,
          origination_caller_id_number: c.manager,
          originate_timeout: ctx.ringSeconds,
          'sip_h_X-CC-Auto-Answer': 'true',
          cc_role: isManager ? 'manager' : 'agent',
          cc_project: c.projectCode,
          [SUP_VAR]: supTag({
            kind: 'conference',
            room: c.room,
            project: c.projectCode,
            manager: c.manager,
            member: username,
            requester: c.requester.username,
          }),
        },
        FsDial.user(username, ctx.domainOf(username)),
        appString(FsApp.conference(`${c.room}@default`)),
      ),
    );
    if (!r.ok) {
      gone();
      return r.cause;
    }
    if (c.ended) await ctx.legs.kill(c.nodeId, m.uuid);
    return undefined;
  }

  async function invite(c: Conference, usernames: string[]): Promise<void> {
    await Promise.all(
      usernames.map(async (u) => {
        const cause = await call(c, u);
        if (cause && !c.ended) ctx.tell(c.requester, 'warning', `坐席 ${u} 未加入会议 (${cause})`);
      }),
    );
  }

  function start(
    p: AppPrincipal,
    projectCode: string,
    manager: string,
    usernames: string[],
    note: string,
  ): void {
    const nodeId = ctx.nodeOf(manager);
    if (nodeId === undefined) return ctx.tell(p, 'error', `会议失败: ${manager} has no FreeSWITCH node`);
    const c: Conference = {
      room: conferenceRoom(projectCode),
      projectCode,
      nodeId,
      manager,
      requester: p,
      members: new Map(),
      ended: false,
    };
    byProject.set(projectCode, c);
    ctx.detach(p, async () => {
      const cause = await call(c, manager);
      if (cause) {
        if (byProject.get(projectCode) === c) byProject.delete(projectCode);
        c.ended = true;
        return ctx.tell(p, 'error', `会议失败: phone ${manager} did not answer (${cause})`);
      }
      if (c.ended) return;
      ctx.tell(p, 'success', `会议已开始, 呼叫坐席 ${usernames.join(',') || '(none)'}${note}`);
      await invite(c, usernames);
    });
  }

  const conference: AppCommand = async (p, body) => {
    const refuse = (reason: string) => ctx.tell(p, 'error', `会议失败: ${reason}`);
    const manager = requireManager(p, '/app/conference');
    if (!manager.ok) return refuse(manager.reason);
    const projectCode = projectOf(p, body);
    const listener = listenerPhone(p, body, lookup, projectCode);
    if (!listener.ok) return refuse(listener.reason);
    const running = byProject.get(projectCode);
    if (running)
      return refuse(`a conference of project ${projectCode} is already running (by ${running.manager})`);
    const team = agents.ofProject(projectCode);
    const { invite: usernames, skipped } = conferenceInvitees(team);
    if (usernames.length === 0)
      return refuse(`no agent of project ${projectCode} can join now${describe(skipped)}`);
    start(p, projectCode, listener.value, usernames, describe(skipped));
  };

  const conferenceByUsername: AppCommand = async (p, body) => {
    const refuse = (reason: string) => ctx.tell(p, 'error', `邀请失败: ${reason}`);
    const manager = requireManager(p, '/app/conferenceByUsername');
    if (!manager.ok) return refuse(manager.reason);
    const projectCode = projectOf(p, body);
    const agent = projectAgent(body, 'username', lookup, projectCode);
    if (!agent.ok) return refuse(agent.reason);
    const reachable = reachableAgent(agent.value);
    if (!reachable.ok) return refuse(reachable.reason);
    const running = byProject.get(projectCode);
    if (!running) {
      const listener = listenerPhone(p, body, lookup, projectCode);
      if (!listener.ok) return refuse(listener.reason);
      return start(p, projectCode, listener.value, [agent.value.username], '');
    }
    ctx.tell(p, 'success', `正在邀请 ${agent.value.username} 加入会议`);
    ctx.detach(p, () => invite(running, [agent.value.username]));
  };

  const stopConference: AppCommand = async (p, body) => {
    const manager = requireManager(p, '/app/stopConference');
    if (!manager.ok) return ctx.tell(p, 'error', `结束会议失败: ${manager.reason}`);
    const projectCode = projectOf(p, body);
    const running = byProject.get(projectCode);
    if (!running)
      return ctx.tell(p, 'error', `结束会议失败: no conference of project ${projectCode} is running`);
    await end(running);
    ctx.tell(p, 'success', '会议已结束');
  };

  return {
    '/app/conference': conference,
    '/app/conferenceByUsername': conferenceByUsername,
    '/app/stopConference': stopConference,
  };
}

const describe = (skipped: { reason: string }[]): string =>
  skipped.length ? `; not called: ${skipped.map((s) => s.reason).join('; ')}` : '';
