// Statements whose text depends only on a shape (which columns, how many rows), built and prepared once per shape and
// then run with placeholder values. Building a statement with drizzle and having the store compile it costs far more
// than running it: for the per-attempt statements it was about a third of the main thread at 110 attempts/s (issue
// 21). Both stores use it (a prepared query of drizzle's node-postgres driver is a named server-side statement).

/** Shapes kept per cache: a handful occur in practice; a stop's flush of every outcome left adds one at most. */
const KEPT_SHAPES = 64;

/** The statement prepared for `shape`, prepared now if it is new. */
export function preparedOnce<T>(cache: Map<string, T>, shape: string, prepare: () => T): T {
  let statement = cache.get(shape);
  if (statement === undefined) {
    if (cache.size >= KEPT_SHAPES) cache.clear();
    cache.set(shape, (statement = prepare()));
  }
  return statement;
}
