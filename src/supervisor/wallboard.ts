// The wallboard's figures (issue 14.10): every few seconds, per active project, the agents by state, customers
// waiting for an agent, calls started in the last minute, occupancy (agents talking / agents staffed) and the
// abandon rate of the last hour against the 3% cap. Each sample is published on /topic/wallboard/{projectCode}
// and the last hour is kept in memory, so a manager page that opens draws the hour at once and then follows live.
import { and, count, eq, gte, isNotNull, isNull, sql } from 'drizzle-orm';
import type { Clock, TimerHandle } from '../core/clock.js';
import { ExtensionType, SessionStatus, WorkStatus } from '../core/codes.js';
import type { Publisher } from '../core/ports.js';
import type { AgentEntry } from '../agents/registry.js';
import type { Db } from '../db/database.js';
import { callLogs } from '../db/schema.js';
import { ABANDON_CAP } from '../dialer/pacing/abandon.js';
import { Topics } from '../core/topics.js';
import { machinesSince } from './wallboard-machines.js';

export interface WallboardSample {
  at: number;
  agents: { offline: number; notAvailable: number; idle: number; talking: number; conference: number };
  waiting: number;
  callsPerMinute: number;
  /** talking / staffed (registered and available, on a call or not); 0 with nobody staffed. */
  occupancy: number;
  /** abandoned / live answers of the last hour (the dialer's verdicts); null without live answers. */
  abandonRate: number | null;
  liveAnswersLastHour: number;
  /** Answering machines among the last hour's calls (issue 23): not live answers, never abandoned. */
  machinesLastHour: number;
  cap: number;
}

const HOUR_MS = 3600_000;

/** Agents by state, as the wallboard counts them (pure). */
function agentsByState(agents: readonly AgentEntry[]): WallboardSample['agents'] & { staffed: number } {
  const out = { offline: 0, notAvailable: 0, idle: 0, talking: 0, conference: 0, staffed: 0 };
  for (const a of agents) {
    if (a.type !== ExtensionType.agent) continue;
    const s = a.state;
    if (s.regStatus !== 1) out.offline++;
    else if (s.sessionStatus === SessionStatus.talking) out.talking++;
    else if (s.sessionStatus === SessionStatus.conference) out.conference++;
    else if (s.workStatus !== WorkStatus.available) out.notAvailable++;
    else out.idle++;
    if (
      s.regStatus === 1 &&
      (s.workStatus === WorkStatus.available || s.sessionStatus !== SessionStatus.idle)
    )
      out.staffed++;
  }
  return out;
}

interface WallboardDeps {
  db: Db;
  clock: Clock;
  publisher: Publisher;
  /** Active projects: id and code. */
  projects(): { id: number; projectCode: string }[];
  agentsOf(projectCode: string): AgentEntry[];
  /** Answered customers of the project with no agent yet. */
  waitingOf(projectCode: string): number;
  /** How often to sample (default 5 s). */
  sampleMs?: number;
}

export class Wallboard {
  private readonly history = new Map<string, WallboardSample[]>();
  private timer: TimerHandle | undefined;

  constructor(private readonly d: WallboardDeps) {}

  start(): void {
    const tick = () => {
      this.sampleAll();
      this.timer = this.d.clock.setTimer(this.d.sampleMs ?? 5000, tick);
    };
    this.timer = this.d.clock.setTimer(this.d.sampleMs ?? 5000, tick);
  }

  stop(): void {
    this.timer?.cancel();
  }

  /** The last hour of a project's samples, oldest first. */
  lastHour(projectCode: string): WallboardSample[] {
    const cutoff = this.d.clock.now() - HOUR_MS;
    return (this.history.get(projectCode) ?? []).filter((s) => s.at >= cutoff);
  }

  sampleAll(): void {
    const now = this.d.clock.now();
    for (const p of this.d.projects()) {
      const sample = this.sample(p, now);
      const kept = (this.history.get(p.projectCode) ?? []).filter((s) => s.at >= now - HOUR_MS);
      kept.push(sample);
      this.history.set(p.projectCode, kept);
      this.d.publisher.publish(Topics.wallboard(p.projectCode), sample);
    }
    for (const code of this.history.keys())
      if (!this.d.projects().some((p) => p.projectCode === code)) this.history.delete(code);
  }

  private sample(p: { id: number; projectCode: string }, now: number): WallboardSample {
    const { staffed, ...agents } = agentsByState(this.d.agentsOf(p.projectCode));
    const calls =
      this.d.db
        .select({ n: count() })
        .from(callLogs)
        .where(
          and(
            eq(callLogs.projectId, p.id),
            gte(callLogs.startTimestamp, now - 60_000),
            isNull(callLogs.skipReason),
          ),
        )
        .get()?.n ?? 0;
    const live = this.d.db
      .select({ n: count(), abandoned: sql<number>`coalesce(sum(${callLogs.abandoned}), 0)` })
      .from(callLogs)
      .where(
        and(
          eq(callLogs.projectId, p.id),
          isNotNull(callLogs.abandoned),
          gte(callLogs.startTimestamp, now - HOUR_MS),
        ),
      )
      .get();
    const liveAnswers = live?.n ?? 0;
    return {
      at: now,
      agents,
      waiting: this.d.waitingOf(p.projectCode),
      callsPerMinute: calls,
      occupancy: staffed ? agents.talking / staffed : 0,
      abandonRate: liveAnswers ? Number(live?.abandoned ?? 0) / liveAnswers : null,
      liveAnswersLastHour: liveAnswers,
      machinesLastHour: machinesSince(this.d.db, p.id, now - HOUR_MS),
      cap: ABANDON_CAP,
    };
  }
}
