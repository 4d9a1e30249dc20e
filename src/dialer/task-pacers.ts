// One pacer per running task (fixed or adaptive, as the task says), kept while the task's mode stays the same,
// and told what happens to its project's agents so adaptive pacers learn how long calls keep agents busy.
import type { AgentRegistry } from '../agents/registry.js';
import type { Clock } from '../core/clock.js';
import type { Task } from './attempts.js';
import { createPacer, type PacingMode } from './pacing/modes.js';
import type { Pacer } from './pacing/pacer.js';

export class TaskPacers {
  private readonly pacers = new Map<number, { mode: string; pacer: Pacer; projectId: number }>();

  /**
   * Pacers learn how long calls keep agents busy from each agent freed by a call of their project;
   * `connected(callId, at)` hears when an agent starts talking on a call (the abandon rule's end of the wait).
   */
  constructor(agents: AgentRegistry, clock: Clock, connected: (callId: string, at: number) => void) {
    agents.onChange((entry, before) => {
      if (before.talkingSince === null && entry.state.talkingSince !== null && entry.state.callId)
        connected(entry.state.callId, entry.state.talkingSince);
      if (before.talkingSince === null || entry.state.talkingSince !== null) return;
      const now = clock.now();
      for (const { pacer, projectId } of this.pacers.values())
        if (projectId === entry.projectId)
          pacer.observe({ kind: 'agent-freed', at: now, talkMs: now - before.talkingSince });
    });
  }

  /** The task's pacer, made anew when its mode or abandon target changed. */
  of(task: Task): Pacer {
    const mode = `${task.pacing}:${task.abandonTarget ?? ''}`;
    const known = this.pacers.get(task.id);
    if (known && known.mode === mode) return known.pacer;
    const pacer = createPacer(task.pacing as PacingMode, {
      adaptive: task.abandonTarget !== null ? { targetAbandonRate: task.abandonTarget } : undefined,
    });
    this.pacers.set(task.id, { mode, pacer, projectId: task.projectId });
    return pacer;
  }
}
