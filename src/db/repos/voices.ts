// Voice prompts (spec 一.24): a voiceCode names a file on local disk that tasks (scheduleType 2, 5) and agents
// (/app/playVoice) play. qiniuKey records where it came from; null for files uploaded directly.
import { eq } from 'drizzle-orm';
import type { Async } from './async.js';
import type { Db } from '../database.js';
import { voices } from '../schema.js';

type Voice = typeof voices.$inferSelect;

export function voicesRepo(db: Db) {
  return {
    byCode: (voiceCode: string): Voice | undefined =>
      db.select().from(voices).where(eq(voices.voiceCode, voiceCode)).get(),
    insert: (row: { voiceCode: string; qiniuKey: string | null; filePath: string }, now: number): Voice =>
      db
        .insert(voices)
        .values({ ...row, createdAt: now, updatedAt: now })
        .returning()
        .get(),
    /** A re-fetched file (the same key, after the local copy was lost). */
    setFile: (id: number, filePath: string, now: number): void => {
      db.update(voices).set({ filePath, updatedAt: now }).where(eq(voices.id, id)).run();
    },
  };
}
export type VoicesRepo = Async<ReturnType<typeof voicesRepo>>;
