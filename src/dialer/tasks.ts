// Call tasks (spec 一.3, 5-8, 14, 19, 23): submit with the contract's rules, the status machine, live concurrency
// changes, appends, preview hand-outs and expiry. Every status change is published on /topic/task/{projectCode}
// and told to listeners (the dialer), which read the task again from the store.
import type { Clock } from '../core/clock.js';
import { CallType, ScheduleType, TaskStatus } from '../core/codes.js';
import { AppError, conflict, invalid, InvalidFields, notFound } from '../core/errors.js';
import type { Publisher } from '../core/ports.js';
import type { CallListsRepo } from '../db/repos/call-lists.js';
import type { Repos } from '../db/repos/index.js';
import type { Task, TasksRepo } from '../db/repos/tasks.js';
import type { NumberStore } from '../db/repos/numbers.js';
import { parsePacingMode, type PacingMode } from './pacing/modes.js';
import { checkRate, parseApiTime, parseCallGws, parseResultDetails, SCHEDULES_OF } from './task-input.js';
import { callTaskStatusBody } from './task-status.js';
import { isOpen, nextChange, parseCallingWindow, showCallingWindow, windowOf } from './calling-window.js';
import { parseRetryRules, type RetryRule } from './retry-rules.js';
import { checkAbandonTarget } from './pacing/abandon.js';
import type { Screen } from './number-source.js';
import type { TaskDialState } from './dialer.js';
import { Topics } from '../core/topics.js';
import { AMD_DEFAULTS, hasAmdInput, parseAmdSettings, type AmdInput } from './amd-settings.js';

export type { Task };

export interface SubmitInput {
  callTaskCode: string;
  scheduleType: number;
  callType: number;
  callGWs: unknown;
  callListId?: string | number;
  expiredTime: string | number;
  projectCode: string;
  rate: number;
  originalResultDetail?: string;
  originalCallTaskCode?: string;
  voiceCode?: string;
  pacing?: string;
  evaluation?: number;
  /** Extensions (issue 14): see TaskRules. */
  agentWeight?: number | string;
  callingWindow?: unknown;
  retryRules?: unknown;
  abandonTarget?: number | string;
  /** Extensions (issue 23): answering-machine detection, see amd-settings.ts. */
  amd?: number | string;
  amdMachineAction?: string;
  amdVoiceCode?: string | null;
  amdThresholds?: unknown;
}

/** The dialling rules a task may carry beyond the contract (issue 14.2, 14.7, 14.8, 14.9). */
export interface TaskRulesInput {
  agentWeight?: number | string;
  callingWindow?: unknown;
  retryRules?: unknown;
  abandonTarget?: number | string;
}

type TaskRules = Partial<Pick<Task, 'agentWeight' | 'callingWindow' | 'retryRules' | 'abandonTarget'>>;

/** Reads the rule fields that are present; `null`/"null" clears a window, rules or target. Throws on bad input. */
function parseTaskRules(input: TaskRulesInput): TaskRules {
  const out: TaskRules = {};
  const cleared = (v: unknown) => v === null || v === 'null';
  if (input.agentWeight !== undefined) {
    const w = Number(input.agentWeight);
    if (!Number.isInteger(w) || w < 1 || w > 100)
      throw invalid('agentWeight must be an integer from 1 to 100');
    out.agentWeight = w;
  }
  if (input.callingWindow !== undefined)
    out.callingWindow = cleared(input.callingWindow)
      ? null
      : JSON.stringify(orThrow(parseCallingWindow(input.callingWindow)));
  if (input.retryRules !== undefined) {
    const rules = cleared(input.retryRules) ? [] : orThrow(parseRetryRules(input.retryRules));
    out.retryRules = rules.length ? JSON.stringify(rules) : null;
  }
  if (input.abandonTarget !== undefined) {
    if (cleared(input.abandonTarget)) out.abandonTarget = null;
    else {
      const t = checkAbandonTarget(input.abandonTarget);
      if (typeof t !== 'number') throw invalid(t.error);
      out.abandonTarget = t;
    }
  }
  return out;
}

export interface TaskChange {
  kind: 'submitted' | 'status' | 'concurrency' | 'numbers';
  task: Task;
}

interface TaskDeps {
  repos: Pick<Repos, 'projects' | 'gateways' | 'voices'>;
  tasks: TasksRepo;
  callLists: CallListsRepo;
  numbers: NumberStore;
  clock: Clock;
  publisher: Publisher;
  /** Calls of the task in flight (the dialer knows); defaults to the task's numbers being dialled. */
  runningCount?: (taskId: number) => number;
  /** Do-not-call and per-number window screening (screening.ts), also for preview hand-outs. */
  screenFor?: (task: Task, projectCode: string | null) => Screen | undefined;
  /** What the dialer last decided about the task: agents shared to it, calling window (callTaskStatus). */
  dialState?: (taskId: number) => TaskDialState | undefined;
}

const orThrow = <T>(v: T | AppError): T => {
  if (v instanceof AppError) throw v;
  return v;
};

export class TaskService {
  private readonly listeners: ((change: TaskChange) => void)[] = [];

  constructor(private readonly d: TaskDeps) {}

  /** The dialer subscribes here to re-read a task at once instead of at its next tick. */
  onChange(listener: (change: TaskChange) => void): void {
    this.listeners.push(listener);
  }

  async byCode(callTaskCode: string): Promise<Task> {
    const task = await this.d.tasks.byCode(callTaskCode);
    if (!task) throw notFound(`callTaskCode ${callTaskCode} does not exist`);
    return task;
  }

  async submit(input: SubmitInput): Promise<{ callTaskCode: string; totalCount: number }> {
    const { d } = this;
    const now = d.clock.now();
    if (await d.tasks.byCode(input.callTaskCode))
      throw conflict(`callTaskCode ${input.callTaskCode} already exists`);
    // Every bad field is named in one answer (InvalidFields), not only the first.
    const fields = new InvalidFields();
    const activeProject = await fields.checkAsync(async () => {
      const p = await d.repos.projects.activeByCode(input.projectCode);
      if (!p) throw invalid(`projectCode ${input.projectCode} is not an active project`);
      return p;
    });
    const scheduleOk = fields.check(() => {
      this.checkSchedule(input.callType, input.scheduleType);
      return true;
    });
    const { project, gws, rate, expiredTime, pacing, voiceCode, source, rules, amd } = fields.all({
      scheduleOk,
      project: activeProject,
      gws: await fields.checkAsync(() => this.resolveGateways(input.callGWs)),
      rate: fields.check(() => orThrow(checkRate(input.rate))),
      expiredTime: fields.check(() => {
        const at = orThrow(parseApiTime(input.expiredTime, 'expiredTime'));
        if (at <= now) throw invalid('expiredTime must be in the future');
        return at;
      }),
      pacing: fields.check(() => orThrow(parsePacingMode(input.pacing))),
      voiceCode: await fields.checkAsync(() => this.checkVoice(input.scheduleType, input.voiceCode)),
      source: activeProject && (await fields.checkAsync(() => this.numberSource(input, activeProject.id))),
      rules: fields.check(() => parseTaskRules(input)),
      amd: await fields.checkAsync(async () => {
        const known = await this.knownVoices([input.amdVoiceCode]);
        return parseAmdSettings(input, AMD_DEFAULTS, input, (code) => known.has(code));
      }),
    });

    const task = await d.tasks.create(
      {
        callTaskCode: input.callTaskCode,
        projectId: project.id,
        scheduleType: input.scheduleType,
        callType: input.callType,
        callListId: source.kind === 'list' ? source.callListId : null,
        rate,
        pacing,
        expiredTime,
        voiceCode,
        originalCallTaskCode: source.kind === 'recall' ? source.original.callTaskCode : null,
        originalResultDetail: source.kind === 'recall' ? source.details.join(',') : null,
        evaluation: input.evaluation ?? 0,
        status: TaskStatus.init,
        ...rules,
        ...amd,
      },
      gws,
      source.kind === 'list'
        ? { kind: 'list', callListId: source.callListId }
        : source.kind === 'recall'
          ? { kind: 'recall', originalTaskId: source.original.id, details: source.details }
          : { kind: 'none' },
      now,
    );
    this.changed('submitted', task, project.projectCode);
    return { callTaskCode: task.callTaskCode, totalCount: await this.totalOf(task.id) };
  }

  private checkSchedule(callType: number, scheduleType: number): void {
    const allowed = SCHEDULES_OF[callType];
    if (!allowed) throw invalid('callType must be 1, 2 or 3');
    if (!allowed.includes(scheduleType))
      throw invalid(
        `scheduleType ${scheduleType} does not go with callType ${callType} (allowed: ${allowed.join(', ')})`,
      );
  }

  private async resolveGateways(raw: unknown): Promise<{ gatewayId: number; concurrency: number }[]> {
    const shares = orThrow(parseCallGws(raw));
    const found = new Map(
      (await this.d.repos.gateways.byCodes(shares.map((s) => s.code))).map((g) => [g.gwCode, g]),
    );
    return shares.map((s) => {
      const gw = found.get(s.code);
      if (!gw) throw invalid(`callGWs: gateway ${s.code} does not exist`);
      if (gw.status !== 1) throw invalid(`callGWs: gateway ${s.code} is disabled`);
      if (gw.expectCount !== null && s.concurrency > gw.expectCount)
        throw invalid(
          `callGWs: concurrency ${s.concurrency} of gateway ${s.code} exceeds its ${gw.expectCount} lines`,
        );
      return { gatewayId: gw.id, concurrency: s.concurrency };
    });
  }

  private async checkVoice(scheduleType: number, voiceCode?: string): Promise<string | null> {
    const needed = scheduleType === ScheduleType.playThenAgent || scheduleType === ScheduleType.playOnly;
    if (voiceCode === undefined) {
      if (needed) throw invalid(`voiceCode is required when scheduleType is ${scheduleType}`);
      return null;
    }
    if (!(await this.d.repos.voices.byCode(voiceCode)))
      throw invalid(`voiceCode ${voiceCode} does not exist`);
    return voiceCode;
  }

  /** Where the task's numbers come from: a call list, a recall of another task, or none (inbound). */
  private async numberSource(input: SubmitInput, projectId: number) {
    const recall = input.originalCallTaskCode !== undefined || input.originalResultDetail !== undefined;
    if (input.callListId !== undefined) {
      if (recall)
        throw invalid('callListId and originalCallTaskCode/originalResultDetail exclude each other');
      const callListId = Number(input.callListId);
      if (!Number.isInteger(callListId) || !(await this.d.callLists.get(callListId)))
        throw invalid(`callListId ${input.callListId} does not exist`);
      return { kind: 'list' as const, callListId };
    }
    if (!recall) {
      if (input.callType === CallType.inbound) return { kind: 'none' as const };
      throw invalid('callListId is required unless originalCallTaskCode and originalResultDetail are given');
    }
    if (input.originalCallTaskCode === undefined)
      throw invalid('originalCallTaskCode is required with originalResultDetail');
    if (input.originalResultDetail === undefined)
      throw invalid('originalResultDetail is required with originalCallTaskCode');
    const details = orThrow(parseResultDetails(input.originalResultDetail, 'originalResultDetail'));
    const original = await this.d.tasks.byCode(input.originalCallTaskCode);
    if (!original || original.projectId !== projectId)
      throw invalid(`originalCallTaskCode ${input.originalCallTaskCode} is not a task of this project`);
    return { kind: 'recall' as const, original, details };
  }

  async start(callTaskCode: string): Promise<void> {
    const task = await this.byCode(callTaskCode);
    if (task.status === TaskStatus.ended)
      throw conflict(`task ${callTaskCode} has ended and cannot start again`);
    if ((await this.projectCode(task)) === undefined)
      throw conflict(`the project of task ${callTaskCode} has finished`);
    if (task.status === TaskStatus.running) return;
    await this.setStatus(task, TaskStatus.running, { startedAt: task.startedAt ?? this.d.clock.now() });
  }

  async pause(callTaskCode: string): Promise<void> {
    const task = await this.byCode(callTaskCode);
    if (task.status === TaskStatus.ended) throw conflict(`task ${callTaskCode} has ended`);
    if (task.status === TaskStatus.init) throw conflict(`task ${callTaskCode} has not started`);
    if (task.status === TaskStatus.paused) return;
    await this.setStatus(task, TaskStatus.paused);
  }

  /** Ends the task; its pending numbers are closed so they are never dialled. Ending twice changes nothing. */
  async end(callTaskCode: string): Promise<void> {
    const task = await this.byCode(callTaskCode);
    if (task.status !== TaskStatus.ended) await this.endTask(task);
  }

  private async endTask(task: Task): Promise<void> {
    const now = this.d.clock.now();
    const updated = await this.d.tasks.end(task.id, now);
    this.changed('status', updated, (await this.d.repos.projects.get(task.projectId))?.projectCode);
  }

  /** Ends every unfinished task whose expiredTime has passed; returns the codes ended. */
  async expireDue(now: number): Promise<string[]> {
    // Filtered by the store: every tick asks, and a tick reading (and mapping) every unfinished task to find none
    // due grew with the number of tasks (issue 21).
    const due = await this.d.tasks.inStates([TaskStatus.init, TaskStatus.running, TaskStatus.paused], now);
    for (const t of due) await this.endTask(t);
    return due.map((t) => t.callTaskCode);
  }

  async setConcurrent(callTaskCode: string, callGWs: unknown, rate: number, pacing?: string): Promise<void> {
    const task = await this.byCode(callTaskCode);
    if (task.status === TaskStatus.ended) throw conflict(`task ${callTaskCode} has ended`);
    const gws = await this.resolveGateways(callGWs);
    const r = orThrow(checkRate(rate));
    const mode: PacingMode | undefined = pacing === undefined ? undefined : orThrow(parsePacingMode(pacing));
    const now = this.d.clock.now();
    const updated = await this.d.tasks.setConcurrency(
      task.id,
      gws,
      { rate: r, ...(mode ? { pacing: mode } : {}) },
      now,
    );
    this.emit({ kind: 'concurrency', task: updated });
  }

  /**
   * Extension (issue 14): sets any of agentWeight, callingWindow, retryRules, abandonTarget. Everything is read
   * and checked before anything is stored, so a bad field changes nothing.
   */
  async setRules(callTaskCode: string, input: TaskRulesInput): Promise<void> {
    const task = await this.byCode(callTaskCode);
    if (task.status === TaskStatus.ended) throw conflict(`task ${callTaskCode} has ended`);
    const rules = parseTaskRules(input);
    if (Object.keys(rules).length === 0)
      throw invalid('give at least one of agentWeight, callingWindow, retryRules, abandonTarget');
    const updated = await this.d.tasks.update(task.id, rules, this.d.clock.now());
    this.emit({ kind: 'concurrency', task: updated });
  }

  /**
   * Extension (issue 23): turns answering-machine detection on or off and sets what machines get; the fields given
   * are merged over the task's current settings and the whole is checked before it is stored. Calls connected
   * from then on follow it.
   */
  async setAmd(callTaskCode: string, input: AmdInput): Promise<void> {
    const task = await this.byCode(callTaskCode);
    if (task.status === TaskStatus.ended) throw conflict(`task ${callTaskCode} has ended`);
    if (!hasAmdInput(input))
      throw invalid('give at least one of amd, amdMachineAction, amdVoiceCode, amdThresholds');
    const known = await this.knownVoices([input.amdVoiceCode, task.amdVoiceCode]);
    const amd = parseAmdSettings(input, task, task, (code) => known.has(code));
    const updated = await this.d.tasks.update(task.id, amd, this.d.clock.now());
    this.emit({ kind: 'concurrency', task: updated });
  }

  /** Which of the given voice codes the voice library has (the checks that use it are synchronous). */
  private async knownVoices(codes: unknown[]): Promise<Set<string>> {
    const known = new Set<string>();
    for (const code of codes)
      if (typeof code === 'string' && code !== '' && (await this.d.repos.voices.byCode(code)))
        known.add(code);
    return known;
  }

  /** The dialer saw the task's calling window open or close: managers see it on /topic/task. */
  async windowChanged(task: Task, open: boolean): Promise<void> {
    const projectCode = await this.projectCode(task);
    if (projectCode !== undefined)
      this.d.publisher.publish(Topics.task(projectCode), {
        status: task.status,
        callTaskCode: task.callTaskCode,
        windowOpen: open,
      });
  }

  /** spec 一.14: numbers of the task's list after callListLastId that the task lacks join it. */
  async additional(callTaskCode: string, callListLastId: number): Promise<{ added: number; lastId: number }> {
    const task = await this.byCode(callTaskCode);
    if (task.status === TaskStatus.ended) throw conflict(`task ${callTaskCode} has ended`);
    if (task.callListId === null)
      throw conflict(`task ${callTaskCode} has no call list (it is a recall or inbound)`);
    const listId = task.callListId;
    const now = this.d.clock.now();
    const result = await this.d.tasks.appendFromList(task.id, listId, callListLastId, now);
    if (result.added > 0) this.emit({ kind: 'numbers', task: result.task });
    return { added: result.added, lastId: result.lastId };
  }

  /** spec 一.23: hands `count` pending numbers to one agent, atomically (never one number to two agents). */
  async getCallList(
    callTaskCode: string,
    count: number,
    username = 'api',
  ): Promise<{ items: { phone: string }[] }> {
    const task = await this.byCode(callTaskCode);
    if (task.callType !== CallType.preview)
      throw conflict(`task ${callTaskCode} is not a preview task (callType 2)`);
    if (task.status !== TaskStatus.running) throw conflict(`task ${callTaskCode} is not running`);
    const now = this.d.clock.now();
    const window = windowOf(task.callingWindow);
    if (window && !isOpen(window, now))
      throw conflict(`task ${callTaskCode} is outside its calling window (${window.timeZone})`);
    const screen = this.d.screenFor?.(task, (await this.projectCode(task)) ?? null);
    const got = await this.d.numbers.reservePreview(task.id, count, username, now, screen);
    return { items: got.map((n) => ({ phone: n.phone })) };
  }

  /** spec 一.8, with totals as an extension. */
  async status(callTaskCode: string) {
    const task = await this.byCode(callTaskCode);
    const c = await this.d.tasks.resultCounts(task);
    const states = await this.d.tasks.countsByState(task.id);
    return {
      successCount: c.successCount,
      failCount: c.failCount,
      missCount: c.missCount,
      totalCount: c.totalCount,
      machineCount: c.machineCount,
      dialledCount: await this.d.tasks.dialledCount(task.id),
      pendingCount: states.pending,
      previewCount: states.preview,
      runningCount: await this.running(task.id),
      status: task.status,
      ...(await this.rulesView(task)),
    };
  }

  /** callTaskStatus extensions (issue 14): the task's rules and what the dialer does with them now. */
  private async rulesView(task: Task) {
    const dial = this.d.dialState?.(task.id);
    const window = windowOf(task.callingWindow) ?? null;
    const now = this.d.clock.now();
    return {
      skippedCount: await this.d.tasks.skippedCount(task.id),
      retryPendingCount: await this.d.tasks.retryPendingCount(task.id),
      agentWeight: task.agentWeight,
      agentShare: dial?.agentShare ?? 0,
      idleAgentShare: dial?.idleAgentShare ?? 0,
      windowOpen: window ? isOpen(window, now) : true,
      windowChangesAt: window ? (dial?.windowChangesAt ?? nextChange(window, now)) : null,
      /** Issue 17.12: why a running task is not dialling ({reason, detail}), null while it dials. */
      notDialling: dial?.notDialling ?? null,
      callingWindow: window ? showCallingWindow(window) : null,
      retryRules: task.retryRules ? (JSON.parse(task.retryRules) as RetryRule[]) : null,
      abandonTarget: task.abandonTarget,
    };
  }

  /** The dialer paced these running tasks: their progress goes to /topic/callTaskStatus (spec 三.14). */
  async publishProgress(running: Task[]): Promise<void> {
    for (const task of running) {
      const project = await this.d.repos.projects.get(task.projectId);
      if (project)
        this.d.publisher.publish(Topics.callTaskStatus(project.projectCode), await this.statusOf(task));
    }
  }

  /** spec 三.14 body for /topic/callTaskStatus/{projectCode}. */
  async statusOf(task: Task) {
    // Extension (issue 17.12): the manager page shows why a running task is not dialling.
    const notDialling = this.d.dialState?.(task.id)?.notDialling ?? null;
    const counts = await this.d.tasks.resultCounts(task);
    return { ...callTaskStatusBody(task, counts, await this.running(task.id)), notDialling };
  }

  private async running(taskId: number): Promise<number> {
    return this.d.runningCount
      ? this.d.runningCount(taskId)
      : (await this.d.tasks.countsByState(taskId)).dialing;
  }

  private async totalOf(taskId: number): Promise<number> {
    const s = await this.d.tasks.countsByState(taskId);
    return s.pending + s.preview + s.dialing + s.done;
  }

  private async projectCode(task: Task): Promise<string | undefined> {
    const p = await this.d.repos.projects.get(task.projectId);
    return p && p.status === 1 ? p.projectCode : undefined;
  }

  private async setStatus(
    task: Task,
    status: TaskStatus,
    extra: Partial<Pick<Task, 'startedAt' | 'endedAt'>> = {},
  ): Promise<void> {
    const updated = await this.d.tasks.update(task.id, { status, ...extra }, this.d.clock.now());
    this.changed('status', updated, (await this.d.repos.projects.get(task.projectId))?.projectCode);
  }

  private changed(kind: TaskChange['kind'], task: Task, projectCode: string | undefined): void {
    if (projectCode !== undefined)
      this.d.publisher.publish(Topics.task(projectCode), {
        status: task.status,
        callTaskCode: task.callTaskCode,
      });
    this.emit({ kind, task });
  }

  private emit(change: TaskChange): void {
    for (const l of this.listeners) l(change);
  }
}
