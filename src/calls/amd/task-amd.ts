// A task's stored answering-machine settings (tasks.amd*, written by dialer/amd-settings.ts) as a leg carries them.
import type { LegInfo } from '../flows/types.js';

interface TaskAmdColumns {
  amd: number;
  amdMachineAction: string;
  amdVoiceCode: string | null;
  amdThresholds: string | null;
}

/**
 * Undefined when the task does not analyse its calls. `voiceFile` resolves the machine's voice code; a voice removed
 * since leaves the machine hung up on rather than played nothing.
 */
export function amdOfTask(
  task: TaskAmdColumns,
  voiceFile: (voiceCode: string) => string | undefined,
): LegInfo['amd'] {
  if (task.amd !== 1) return undefined;
  let thresholds: Record<string, number> = {};
  try {
    if (task.amdThresholds) thresholds = JSON.parse(task.amdThresholds) as Record<string, number>;
  } catch {
    // Checked when stored; a hand-edited row falls back to the defaults (resolveThresholds checks again).
  }
  const machineFile =
    task.amdMachineAction === 'message' && task.amdVoiceCode ? voiceFile(task.amdVoiceCode) : undefined;
  return { machineFile, thresholds };
}
