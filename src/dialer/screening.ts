// The screen a task's numbers pass at dispensing (numbers.ts): the do-not-call lists (global, then the task's
// project) and, with a prefix table, each number's own calling window. Built per dispensing from the task row, so
// a list or window changed while the task runs applies to the very next number.
import type { DncRepo } from '../db/repos/dnc.js';
import type { Task } from '../db/repos/tasks.js';
import { isOpenIn, windowOf, zoneOf } from './calling-window.js';
import { dncKey } from './dnc.js';
import type { Screen } from './numbers.js';

const SkipReason = { dncGlobal: 'dnc-global', dncProject: 'dnc-project' } as const;

export function screenFor(
  d: { dnc: DncRepo; projectCodeOf: (projectId: number) => string | undefined; now: () => number },
  task: Task,
): Screen {
  const projectCode = d.projectCodeOf(task.projectId) ?? null;
  const window = windowOf(task.callingWindow);
  const perNumber = window && window.prefixTimeZones.length > 0 ? window : undefined;
  return {
    task: { id: task.id, projectId: task.projectId, callTaskCode: task.callTaskCode },
    blocked(phones) {
      const keys = phones.map(dncKey);
      const listed = d.dnc.listed(projectCode, keys);
      const out = new Map<string, string>();
      phones.forEach((phone, i) => {
        const row = listed.get(keys[i] ?? '');
        if (row) out.set(phone, row.projectCode === '' ? SkipReason.dncGlobal : SkipReason.dncProject);
      });
      return out;
    },
    callableNow: perNumber ? (phone) => isOpenIn(perNumber, zoneOf(perNumber, phone), d.now()) : undefined,
  };
}
