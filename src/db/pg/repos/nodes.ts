import { eq, sql } from 'drizzle-orm';
import type { NodeSeed } from '../../../config.js';
import { changed, first, one, type PgExecutor, transaction } from '../rows.js';
import { fsNodes } from '../schema.js';

type FsNode = typeof fsNodes.$inferSelect;

export function pgNodesRepo(db: PgExecutor) {
  return {
    list: (): Promise<FsNode[]> => db.select().from(fsNodes),
    active: (): Promise<FsNode[]> => db.select().from(fsNodes).where(eq(fsNodes.status, 1)),
    get: async (id: number): Promise<FsNode | undefined> =>
      first(await db.select().from(fsNodes).where(eq(fsNodes.id, id))),
    /**
     * Seeds the configured node only when the table is empty, so operators' edits survive restarts. The table is
     * locked for the check and the insert: two servers starting at once on one database seed it once.
     */
    seedIfEmpty: (seed: NodeSeed, now: number): Promise<FsNode | undefined> =>
      transaction(db, async (tx) => {
        await tx.execute(sql`LOCK TABLE ${fsNodes} IN SHARE ROW EXCLUSIVE MODE`);
        if (first(await tx.select({ id: fsNodes.id }).from(fsNodes).limit(1))) return undefined;
        return one(
          await tx
            .insert(fsNodes)
            .values({ ...seed, weight: 1, status: 1, createdAt: now, updatedAt: now })
            .returning(),
        );
      }),
    /** The address softphones get (createProject, getByCertificate) from now on. */
    setWssUrl: async (name: string, wssUrl: string, now: number): Promise<boolean> =>
      changed(await db.update(fsNodes).set({ wssUrl, updatedAt: now }).where(eq(fsNodes.name, name))) > 0,
    setEslPassword: async (name: string, eslPassword: string, now: number): Promise<boolean> =>
      changed(await db.update(fsNodes).set({ eslPassword, updatedAt: now }).where(eq(fsNodes.name, name))) >
      0,
    insert: async (row: NodeSeed & { weight?: number; status?: number }, now: number): Promise<FsNode> =>
      one(
        await db
          .insert(fsNodes)
          .values({ weight: 1, status: 1, ...row, createdAt: now, updatedAt: now })
          .returning(),
      ),
  };
}
