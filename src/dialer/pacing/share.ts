// Several running tasks of one project share its agents (issue 14.2). If every task's pacer saw every idle agent,
// two tasks would each dial for the same agents and together over-dial. Instead the staffed agents are split
// between the tasks by weight, and each pacer paces its own subset: the sum of what the pacers launch is then what
// one pacer would launch for the whole team, and each task's abandon rate is held on its own share, so the
// project's rate (a weighted mean of the tasks') stays under the cap too. Pure: imports nothing.

interface TaskWeight {
  id: number;
  /** A positive integer; a task with weight 2 gets about twice the agents of a task with weight 1. */
  weight: number;
}

/**
 * How many of `n` agents each task gets: the integer parts of n × weight / total, and the left-over agents to the
 * largest remainders, ties broken by `turn` so that small teams rotate between equal tasks (every task gets its
 * turn instead of the first one always winning the odd agent).
 */
export function agentCounts(n: number, tasks: readonly TaskWeight[], turn: number): Map<number, number> {
  const out = new Map<number, number>();
  const total = tasks.reduce((s, t) => s + Math.max(0, t.weight), 0);
  if (tasks.length === 0) return out;
  if (total <= 0 || n <= 0) {
    for (const t of tasks) out.set(t.id, 0);
    return out;
  }
  const k = tasks.length;
  const parts = tasks.map((t, i) => {
    const quota = (n * Math.max(0, t.weight)) / total;
    return {
      id: t.id,
      base: Math.floor(quota),
      rest: quota - Math.floor(quota),
      order: (i - turn + k * 1e6) % k,
    };
  });
  let left = n - parts.reduce((s, p) => s + p.base, 0);
  const byRest = [...parts].sort((a, b) => b.rest - a.rest || a.order - b.order);
  for (const p of byRest) {
    if (left <= 0) break;
    if (p.rest > 0) {
      p.base++;
      left--;
    }
  }
  for (const p of parts) out.set(p.id, p.base);
  return out;
}

/**
 * Gives each task its agents: `agents` in a stable order (e.g. by extension), dealt out interleaved (smooth
 * weighted round-robin on the counts), starting `turn` places along so that the subsets change over time.
 */
export function splitAgents<A>(
  agents: readonly A[],
  tasks: readonly TaskWeight[],
  turn: number,
): Map<number, A[]> {
  const counts = agentCounts(agents.length, tasks, turn);
  const out = new Map<number, A[]>(tasks.map((t) => [t.id, []]));
  const n = agents.length;
  if (n === 0) return out;
  const credit = new Map<number, number>(tasks.map((t) => [t.id, 0]));
  const given = new Map<number, number>(tasks.map((t) => [t.id, 0]));
  for (let j = 0; j < n; j++) {
    let best: number | undefined;
    for (const t of tasks) {
      const c = counts.get(t.id) ?? 0;
      if ((given.get(t.id) ?? 0) >= c) continue;
      credit.set(t.id, (credit.get(t.id) ?? 0) + c);
      if (best === undefined || (credit.get(t.id) ?? 0) > (credit.get(best) ?? 0)) best = t.id;
    }
    if (best === undefined) break;
    credit.set(best, (credit.get(best) ?? 0) - n);
    given.set(best, (given.get(best) ?? 0) + 1);
    out.get(best)?.push(agents[(j + turn) % n] as A);
  }
  return out;
}
