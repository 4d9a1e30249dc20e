// Voice prompts (spec 一.24), as src/db/repos/voices.ts.
import { eq } from 'drizzle-orm';
import { first, one, type PgExecutor } from '../rows.js';
import { voices } from '../schema.js';

type Voice = typeof voices.$inferSelect;

export function pgVoicesRepo(db: PgExecutor) {
  return {
    byCode: async (voiceCode: string): Promise<Voice | undefined> =>
      first(await db.select().from(voices).where(eq(voices.voiceCode, voiceCode))),
    insert: async (
      row: { voiceCode: string; qiniuKey: string | null; filePath: string },
      now: number,
    ): Promise<Voice> =>
      one(
        await db
          .insert(voices)
          .values({ ...row, createdAt: now, updatedAt: now })
          .returning(),
      ),
    /** A re-fetched file (the same key, after the local copy was lost). */
    setFile: async (id: number, filePath: string, now: number): Promise<void> => {
      await db.update(voices).set({ filePath, updatedAt: now }).where(eq(voices.id, id));
    },
  };
}
