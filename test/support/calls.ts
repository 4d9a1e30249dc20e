// The whole app against the FreeSWITCH emulator: the app's outbound socket listens on an ephemeral port, the
// emulator's dialplan sends legs there, and the seeded node points at the emulator's event socket.
import { eq, sql } from 'drizzle-orm';
import { systemClock } from '../../src/core/clock.js';
import { tasks } from '../../src/db/schema.js';
import type { Config } from '../../src/config.js';
import type { AppDeps } from '../../src/app.js';
import type { FlowSettings } from '../../src/calls/flows/types.js';
import { socketToken } from '../../src/calls/leg-proof.js';
import { startEmulator, type Emulator, type EmulatorOptions } from '../freeswitch-emulator/index.js';
import { reserveAmdPorts } from './amd-ports.js';
import { startTestApp, type TestApp } from './app.js';

export interface CallHarness extends TestApp {
  fs: Emulator;
  socketPort: number;
  socketApp: string;
  baseUrl: string;
  /**
   * What the dialer does before an originate to the socket: announce the leg and get the node's token. A test that
   * originates by hand spreads this into its variables, or the server hangs its leg up as unproven.
   */
  socketLeg(callId: string, flow: string, numberId?: number): Record<string, string>;
  /** A project with `seats` agents (extensions 1000...) registered and available in the emulator. */
  project(code: string, seats: number, opts?: { register?: boolean; available?: boolean }): Promise<string[]>;
  task(fields: {
    code: string;
    projectCode: string;
    scheduleType: number;
    voiceFile?: string;
    evaluation?: boolean;
  }): Promise<number>;
}

export async function startCallHarness(
  opts: {
    emulator?: EmulatorOptions;
    config?: Partial<Config>;
    flow?: Partial<FlowSettings>;
    /** Runs before the app starts (e.g. rows a previous run left, which the start-up recovery must find). */
    beforeStart?: (ta: TestApp) => Promise<void>;
  } = {},
  deps: Partial<AppDeps> = {},
): Promise<CallHarness> {
  // The emulator binds these ports for its unicast streams: a range of its own (amd-ports.ts).
  const ports = await reserveAmdPorts();
  const amd = { host: '127.0.0.1', port: 0, fsIp: '127.0.0.1', fsPorts: ports.range };
  const ta = await startTestApp(
    { recordingsDir: '/var/lib/freeswitch/recordings', amd, ...opts.config },
    { flowSettings: opts.flow, clock: systemClock, ...deps },
  );
  const socket = await ta.app.outbound.listen();
  await ta.app.amdStreams.listen();
  const fs = await startEmulator({
    timeScale: 0.02,
    // As configure.mjs writes it into the node's vars.xml.
    socketToken: socketToken(ta.config.socketSecret, (await ta.app.ctx.repos.nodes.get(1))?.name ?? ''),
    ...opts.emulator,
    dialplanSocket: { host: '127.0.0.1', port: socket.port },
  });
  await ta.exec(sql`update fs_nodes set esl_port = ${fs.port}, sip_domain = '127.0.0.1'`);
  await opts.beforeStart?.(ta);
  await ta.app.start();
  await fs.waitFor(() => ta.app.nodes.isConnected(1));
  const baseUrl = await ta.app.http.listen({ host: '127.0.0.1', port: 0 });
  return {
    ...ta,
    fs,
    socketPort: socket.port,
    socketApp: `socket(127.0.0.1:${socket.port} async full)`,
    baseUrl,
    socketLeg: (callId, flow, numberId) =>
      ta.app.guard.legs.originating(1, callId, { flow, numberId }, 120_000),
    async close() {
      await ta.close();
      await fs.close();
      await ports.release();
    },
    async project(code, seats, o = {}) {
      await ta.app.ctx.services.projects.createProject(code, seats);
      const agents = ta.app.ctx.services.agents
        .ofProject(code)
        .filter((a) => a.type === 2)
        .map((a) => a.username);
      for (const u of agents) {
        if (o.register !== false) fs.register(u);
        if (o.available !== false) ta.app.ctx.services.agents.setWork(u, 1);
      }
      if (o.register !== false)
        await fs.waitFor(() => agents.every((u) => ta.app.ctx.services.agents.get(u)?.state.regStatus === 1));
      return agents;
    },
    async task(f) {
      const now = ta.app.ctx.clock.now();
      const project = await ta.app.ctx.repos.projects.activeByCode(f.projectCode);
      if (!project) throw new Error(`no project ${f.projectCode}`);
      let voiceCode: string | null = null;
      if (f.voiceFile) {
        voiceCode = `v-${f.code}`;
        await ta.exec(
          sql`insert into voices (voice_code, file_path, created_at, updated_at) values (${voiceCode}, ${f.voiceFile}, ${now}, ${now})`,
        );
      }
      const task = await ta.app.ctx.repos.tasks.insert(
        {
          callTaskCode: f.code,
          projectId: project.id,
          scheduleType: f.scheduleType,
          callType: f.scheduleType === 11 ? 3 : 1,
          rate: 1,
          expiredTime: now + 86_400_000,
          voiceCode,
          evaluation: f.evaluation ? 1 : 0,
          status: 2,
        },
        now,
      );
      return task.id;
    },
  };
}

export const taskByCode = (h: TestApp, code: string) =>
  h.store.db.select().from(tasks).where(eq(tasks.callTaskCode, code)).get();
