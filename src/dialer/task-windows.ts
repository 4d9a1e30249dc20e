// Issue 14.7: a running task launches nothing outside its calling window (it stays `running`: it pauses and
// resumes by itself, and callTaskStatus says so). Calls already in progress go on. Each task's window is
// recomputed only when it changes or when the moment it was due to open or close has come.
import { isOpen, nextChange, windowOf } from './calling-window.js';
import type { Task } from './attempts.js';

interface WindowState {
  open: boolean;
  /** When the window next opens or closes (epoch ms), if it has one. */
  changesAt: number | null;
}

export class TaskWindows {
  private readonly windows = new Map<number, WindowState & { text: string }>();

  /** `turned` hears every opening and closing. */
  constructor(private readonly turned: (task: Task, open: boolean) => void) {}

  /** The task's window now, telling `turned` when it opened or closed since last asked. */
  check(task: Task, now: number): WindowState {
    const before = this.windows.get(task.id);
    if (task.callingWindow === null) {
      this.windows.delete(task.id);
      if (before && !before.open) this.turned(task, true);
      return { open: true, changesAt: null };
    }
    let state = before;
    if (!state || state.text !== task.callingWindow || (state.changesAt !== null && now >= state.changesAt)) {
      const window = windowOf(task.callingWindow);
      if (!window) return { open: true, changesAt: null };
      state = { text: task.callingWindow, open: isOpen(window, now), changesAt: nextChange(window, now) };
      this.windows.set(task.id, state);
    }
    if ((before?.open ?? true) !== state.open) this.turned(task, state.open);
    return { open: state.open, changesAt: state.changesAt };
  }
}
