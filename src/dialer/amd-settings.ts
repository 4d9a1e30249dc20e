// A task's answering-machine detection settings (issue 23), as submitCallTask and setTaskAmd take them: `amd` on or
// off, what a machine gets (`amdMachineAction`: hang up, or `amdVoiceCode` played after its beep) and the
// classifier's thresholds over the defaults. Read and checked as a whole before anything is stored; every problem
// names its field.
import { ScheduleType } from '../core/codes.js';
import { invalid } from '../core/errors.js';
import { resolveThresholds } from '../calls/amd/settings.js';

export interface AmdInput {
  amd?: number | string;
  amdMachineAction?: string;
  amdVoiceCode?: string | null;
  amdThresholds?: unknown;
}

/** The task columns (schema.ts `tasks.amd*`). */
interface AmdColumns {
  amd: number;
  amdMachineAction: 'hangup' | 'message';
  amdVoiceCode: string | null;
  amdThresholds: string | null;
}

export const AMD_DEFAULTS: Readonly<AmdColumns> = Object.freeze({
  amd: 0,
  amdMachineAction: 'hangup',
  amdVoiceCode: null,
  amdThresholds: null,
});

/** The flows AMD can stand in front of: a person reaches an agent (1, 2) or an off-hook agent (4). */
const AMD_SCHEDULES: readonly number[] = [
  ScheduleType.directToAgent,
  ScheduleType.playThenAgent,
  ScheduleType.offHookAgent,
];

export const hasAmdInput = (i: AmdInput): boolean =>
  i.amd !== undefined ||
  i.amdMachineAction !== undefined ||
  i.amdVoiceCode !== undefined ||
  i.amdThresholds !== undefined;

/**
 * The settings `input` gives over `current` (a new task: the defaults). Throws an `invalid` AppError naming the
 * field; `voiceExists` says whether a voice code is in the voice library.
 */
export function parseAmdSettings(
  input: AmdInput,
  current: AmdColumns,
  task: { scheduleType: number },
  voiceExists: (code: string) => boolean,
): AmdColumns {
  const out: AmdColumns = { ...current };
  if (input.amd !== undefined) {
    const on = typeof input.amd === 'string' ? input.amd.trim() : input.amd;
    if (on !== 0 && on !== 1 && on !== '0' && on !== '1') throw invalid('amd must be 0 (off) or 1 (on)');
    out.amd = Number(on);
  }
  if (input.amdMachineAction !== undefined) {
    const action = typeof input.amdMachineAction === 'string' ? input.amdMachineAction.trim() : '';
    if (action !== 'hangup' && action !== 'message')
      throw invalid('amdMachineAction must be hangup or message');
    out.amdMachineAction = action;
  }
  if (input.amdVoiceCode !== undefined) {
    const code = input.amdVoiceCode;
    if (code !== null && (typeof code !== 'string' || code === ''))
      throw invalid('amdVoiceCode must be a voice code (or null to clear it)');
    if (code !== null && !voiceExists(code)) throw invalid(`amdVoiceCode ${code} does not exist`);
    out.amdVoiceCode = code;
  }
  if (input.amdThresholds !== undefined) out.amdThresholds = thresholdsColumn(input.amdThresholds);
  if (out.amd === 1 && !AMD_SCHEDULES.includes(task.scheduleType))
    throw invalid(
      `amd applies to scheduleType ${AMD_SCHEDULES.join(', ')} only (this task's is ${task.scheduleType})`,
    );
  if (out.amdMachineAction === 'message' && out.amdVoiceCode === null)
    throw invalid('amdVoiceCode is required when amdMachineAction is message');
  return out;
}

/** The thresholds as stored: only what differs from nothing given (JSON), or null for the defaults. */
function thresholdsColumn(raw: unknown): string | null {
  if (raw === null || raw === 'null') return null;
  let value = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      throw invalid('amdThresholds must be a JSON object like {"afterGreetingSilenceMs":600}');
    }
  }
  const r = resolveThresholds(value);
  if (!r.ok) throw invalid(`${r.problem.field} ${r.problem.message}`);
  return Object.keys(value as object).length ? JSON.stringify(value) : null;
}
