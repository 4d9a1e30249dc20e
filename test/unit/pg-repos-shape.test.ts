// The PostgreSQL repositories (src/db/pg/repos) have the SQLite repositories' methods (src/db/repos), with the same
// parameters, each returning a Promise of what the SQLite one returns (issue 19): checked by tsc, so a method added,
// renamed or changed on one side and not the other fails the type check (`npm test` runs it) naming the method.
import t from 'tap';
import type { Repos } from '../../src/db/repos/index.js';
import type { PgRepos } from '../../src/db/pg/repos/index.js';
import type { pgNumberStore } from '../../src/db/pg/dispenser.js';
import type { NumberStore } from '../../src/dialer/numbers.js';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Async<F> = F extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : never;

/** `repo.method` for every method whose PostgreSQL form is not the async form of the SQLite one. */
type Mismatches = {
  [K in keyof Repos & keyof PgRepos]: {
    [M in keyof Repos[K] | keyof PgRepos[K]]: M extends keyof Repos[K] & keyof PgRepos[K]
      ? Equal<PgRepos[K][M], Async<Repos[K][M]>> extends true
        ? never
        : `${K}.${M & string}`
      : `${K}.${M & string} (only on one side)`;
  }[keyof Repos[K] | keyof PgRepos[K]];
}[keyof Repos & keyof PgRepos];

const methodsMatch: [Mismatches] extends [never] ? true : Mismatches = true;
const reposMatch: Equal<keyof Repos, keyof PgRepos> = true;
// The dispenser's screen differs (its do-not-call lookup may be async), so only the methods' names are compared.
const dispenserMatch: Equal<keyof NumberStore, keyof ReturnType<typeof pgNumberStore>> = true;

t.test(
  'every PostgreSQL repository method is the async form of its SQLite twin (checked by tsc)',
  async (t) => {
    t.ok(methodsMatch && reposMatch && dispenserMatch);
  },
);
