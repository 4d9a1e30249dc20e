// A project with a manager and agents, a customer talking to the first agent, and STOMP clients that collect the
// notices: the setting of the supervisor component tests.
import { startCallHarness, type CallHarness } from '../support/calls.js';
import type { EmulatorOptions } from '../freeswitch-emulator/index.js';
import { connectStomp, type AppStompClient } from '../support/stomp-client.js';

export interface SupervisorScene {
  h: CallHarness;
  code: string;
  manager: string;
  agents: string[];
  /** A STOMP client logged in as `username`, subscribed to its notify topic and `topics`. */
  login(username: string, topics?: string[]): Promise<AppStompClient>;
  /** A customer answers and is connected to an agent (the first, longest idle); resolves with the callId. */
  customerCall(number: string): Promise<string>;
  notify(username: string): string;
}

let n = 0;

export async function supervisorScene(
  code: string,
  seats: number,
  opts: { emulator?: EmulatorOptions } = {},
): Promise<SupervisorScene> {
  const h = await startCallHarness({ emulator: opts.emulator });
  const agents = await h.project(code, seats);
  const manager = h.app.ctx.services.agents.ofProject(code).find((a) => a.type === 3)!.username;
  h.fs.register(manager);
  await h.fs.waitFor(() => h.app.ctx.services.agents.get(manager)?.state.regStatus === 1);
  await h.task({ code: `t-${code}`, projectCode: code, scheduleType: 1 });
  const clients: AppStompClient[] = [];
  const close = h.close;
  h.close = async () => {
    await Promise.all(clients.map((c) => c.close()));
    await close();
  };
  const notify = (u: string) => `/topic/notify/${code}/${u}`;
  return {
    h,
    code,
    manager,
    agents,
    notify,
    async login(username, topics = []) {
      const pw = (await h.app.ctx.repos.extensions.byUsername(username))!.password;
      const c = await connectStomp(h.baseUrl, username, pw);
      clients.push(c);
      for (const t of [notify(username), ...topics]) c.subscribe(t);
      // SUBSCRIBE frames are handled in order before any later SEND of the same session.
      return c;
    },
    async customerCall(number) {
      const callId = `00000000-0000-4000-9000-${String(++n).padStart(12, '0')}`;
      h.fs.setPeer(number, { kind: 'answer', answerAfterMs: 0, hangupAfterMs: 3_000_000 });
      const vars = {
        origination_uuid: callId,
        cc_call_id: callId,
        cc_role: 'customer',
        cc_number: number,
        cc_flow: 'direct',
        cc_task: `t-${code}`,
        cc_project: code,
        ...h.socketLeg(callId, 'direct'),
      };
      const block = `{${Object.entries(vars)
        .map(([k, x]) => `${k}=${x}`)
        .join(',')}}`;
      const r = await h.app.nodes.bgapi(1, `originate ${block}sofia/gateway/gw1/${number} '&${h.socketApp}'`);
      if (!r.ok) throw new Error(`originate: ${r.error.text}`);
      await h.fs.waitFor(() => h.app.runner.live.get(callId)?.agent !== undefined);
      return callId;
    },
  };
}
