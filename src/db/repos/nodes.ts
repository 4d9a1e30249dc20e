import { eq, sql } from 'drizzle-orm';
import type { NodeSeed } from '../../config.js';
import type { Db } from '../database.js';
import { fsNodes } from '../schema.js';

export type FsNode = typeof fsNodes.$inferSelect;

export function nodesRepo(db: Db) {
  // Prepared once: read for every dialer tick and every agent offered a call (issue 13).
  const byId = db
    .select()
    .from(fsNodes)
    .where(eq(fsNodes.id, sql.placeholder('id')))
    .prepare();
  return {
    list: (): FsNode[] => db.select().from(fsNodes).all(),
    active: (): FsNode[] => db.select().from(fsNodes).where(eq(fsNodes.status, 1)).all(),
    get: (id: number): FsNode | undefined => byId.get({ id }),
    /** Seeds the configured node only when the table is empty, so operators' edits survive restarts. */
    seedIfEmpty(seed: NodeSeed, now: number): FsNode | undefined {
      if (db.select({ id: fsNodes.id }).from(fsNodes).limit(1).get()) return undefined;
      return db
        .insert(fsNodes)
        .values({ ...seed, weight: 1, status: 1, createdAt: now, updatedAt: now })
        .returning()
        .get();
    },
    /** The address softphones get (createProject, getByCertificate) from now on. */
    setWssUrl: (name: string, wssUrl: string, now: number): boolean =>
      db.update(fsNodes).set({ wssUrl, updatedAt: now }).where(eq(fsNodes.name, name)).run().changes > 0,
    setEslPassword: (name: string, eslPassword: string, now: number): boolean =>
      db.update(fsNodes).set({ eslPassword, updatedAt: now }).where(eq(fsNodes.name, name)).run().changes > 0,
    insert: (row: NodeSeed & { weight?: number; status?: number }, now: number): FsNode =>
      db
        .insert(fsNodes)
        .values({ weight: 1, status: 1, ...row, createdAt: now, updatedAt: now })
        .returning()
        .get(),
  };
}
