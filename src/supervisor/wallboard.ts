// The wallboard's figures (issue 14.10): every few seconds, per active project, the agents by state, customers
// waiting for an agent, calls started in the last minute, occupancy (agents talking / agents staffed) and the
// abandon rate of the last hour against the 3% cap. Each sample is published on /topic/wallboard/{projectCode}
// and the last hour is kept in memory, so a manager page that opens draws the hour at once and then follows live.
import type { Clock, TimerHandle } from '../core/clock.js';
import { ExtensionType, SessionStatus, WorkStatus } from '../core/codes.js';
import type { Publisher } from '../core/ports.js';
import type { AgentEntry } from '../agents/registry.js';
import type { CallFigures } from '../db/repos/wallboard.js';
import { ABANDON_CAP } from '../dialer/pacing/abandon.js';
import { Topics } from '../core/topics.js';

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
  /** What the call logs say of the project (db/repos/wallboard.ts). */
  figures(projectId: number, now: number): Promise<CallFigures>;
  clock: Clock;
  publisher: Publisher;
  /** Active projects: id and code. */
  projects(): Promise<{ id: number; projectCode: string }[]>;
  agentsOf(projectCode: string): AgentEntry[];
  /** Answered customers of the project with no agent yet. */
  waitingOf(projectCode: string): number;
  /** A sampling round that failed (logged). */
  onError?(err: unknown): void;
  /** How often to sample (default 5 s). */
  sampleMs?: number;
}

export class Wallboard {
  private readonly history = new Map<string, WallboardSample[]>();
  private timer: TimerHandle | undefined;
  private running: Promise<void> = Promise.resolve();

  constructor(private readonly d: WallboardDeps) {}

  start(): void {
    const tick = () => {
      this.sampleAll()
        .catch((err: unknown) => this.d.onError?.(err))
        .finally(() => {
          if (this.timer) this.timer = this.d.clock.setTimer(this.d.sampleMs ?? 5000, tick);
        });
    };
    this.timer = this.d.clock.setTimer(this.d.sampleMs ?? 5000, tick);
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }

  /** The last hour of a project's samples, oldest first. */
  lastHour(projectCode: string): WallboardSample[] {
    const cutoff = this.d.clock.now() - HOUR_MS;
    return (this.history.get(projectCode) ?? []).filter((s) => s.at >= cutoff);
  }

  /**
   * Samples every active project once. Rounds run one after another, so a round asked for while one runs (the timer's
   * and a page's) samples after it: a slow older round never lands after a newer one and is never the last sample.
   */
  sampleAll(): Promise<void> {
    const round = this.running.catch(() => undefined).then(() => this.sampleRound());
    this.running = round;
    return round;
  }

  private async sampleRound(): Promise<void> {
    const now = this.d.clock.now();
    const projects = await this.d.projects();
    for (const p of projects) {
      const sample = await this.sample(p, now);
      const kept = (this.history.get(p.projectCode) ?? []).filter((s) => s.at >= now - HOUR_MS);
      kept.push(sample);
      this.history.set(p.projectCode, kept);
      this.d.publisher.publish(Topics.wallboard(p.projectCode), sample);
    }
    for (const code of this.history.keys())
      if (!projects.some((p) => p.projectCode === code)) this.history.delete(code);
  }

  private async sample(p: { id: number; projectCode: string }, now: number): Promise<WallboardSample> {
    const { staffed, ...agents } = agentsByState(this.d.agentsOf(p.projectCode));
    const f = await this.d.figures(p.id, now);
    return {
      at: now,
      agents,
      waiting: this.d.waitingOf(p.projectCode),
      callsPerMinute: f.callsLastMinute,
      occupancy: staffed ? agents.talking / staffed : 0,
      abandonRate: f.liveAnswersLastHour ? f.abandonedLastHour / f.liveAnswersLastHour : null,
      liveAnswersLastHour: f.liveAnswersLastHour,
      machinesLastHour: f.machinesLastHour,
      cap: ABANDON_CAP,
    };
  }
}
