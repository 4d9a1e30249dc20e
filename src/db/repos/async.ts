// The storage ports are asynchronous, so that a store whose every query is a network round trip (PostgreSQL) can
// implement them without touching a caller. The SQLite repositories stay synchronous inside (better-sqlite3 runs
// each transaction in one call, which is what makes them atomic); this wrapper gives them the asynchronous face.
// On SQLite the work is done when the method returns and the promise only carries the result, so a chain of awaits
// on these ports runs within one turn of the event loop, as the synchronous code did.

/** The asynchronous face of a repository: every method returns a promise of what the synchronous one returned. */
export type Async<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : never;
};

export function asyncRepo<T extends object>(repo: T): Async<T> {
  const out: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(repo)) {
    if (typeof fn !== 'function') continue;
    out[name] = (...args: unknown[]) => {
      try {
        return Promise.resolve((fn as (...a: unknown[]) => unknown).apply(repo, args));
      } catch (err) {
        return Promise.reject(err);
      }
    };
  }
  return out as Async<T>;
}
