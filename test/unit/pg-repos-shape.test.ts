// The PostgreSQL repositories (src/db/pg/repos) are the same ports as the SQLite ones (src/db/repos): createPgRepos
// returns exactly the `Repos` type, so the server runs on either store. Checked by tsc: a method added, renamed or
// changed on one side and not the other fails the type check (`npm test` runs it), naming the method.
import t from 'tap';
import type { Repos } from '../../src/db/repos/index.js';
import type { PgRepos } from '../../src/db/pg/repos/index.js';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

/** `repo.method` for every method whose PostgreSQL form differs from the SQLite port's. */
type Mismatches = {
  [K in keyof Repos & keyof PgRepos]: {
    [M in keyof Repos[K] | keyof PgRepos[K]]: M extends keyof Repos[K] & keyof PgRepos[K]
      ? Equal<PgRepos[K][M], Repos[K][M]> extends true
        ? never
        : `${K}.${M & string}`
      : `${K}.${M & string} (only on one side)`;
  }[keyof Repos[K] | keyof PgRepos[K]];
}[keyof Repos & keyof PgRepos];

const methodsMatch: [Mismatches] extends [never] ? true : Mismatches = true;
const reposMatch: Equal<keyof Repos, keyof PgRepos> = true;
/** The whole type, once every method matches (what buildApp takes). */
const sameType: Equal<Repos, PgRepos> = true;

t.test('createPgRepos returns exactly the Repos ports (checked by tsc)', async (t) => {
  t.ok(methodsMatch && reposMatch && sameType);
});
