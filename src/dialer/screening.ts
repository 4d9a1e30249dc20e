// The screen a task's numbers pass at dispensing (the number store): the do-not-call lists (global, then the task's
// project), which the store checks inside its dispensing transaction, and, with a prefix table, each number's own
// calling window. Built per dispensing from the task row, so a list or window changed while the task runs applies
// to the very next number.
import type { Task } from '../db/repos/tasks.js';
import { isOpenIn, windowOf, zoneOf } from './calling-window.js';
import type { Screen } from './number-source.js';

export function screenFor(task: Task, projectCode: string | null, now: () => number): Screen {
  const window = windowOf(task.callingWindow);
  const perNumber = window && window.prefixTimeZones.length > 0 ? window : undefined;
  return {
    task: { id: task.id, projectId: task.projectId, callTaskCode: task.callTaskCode },
    projectCode,
    callableNow: perNumber ? (phone) => isOpenIn(perNumber, zoneOf(perNumber, phone), now()) : undefined,
  };
}
