// The project changes that touch several tables at once, each one transaction (SQLite): a new project with its
// extensions (finished projects' extensions reused before new numbers), a project finished with its tasks ended and
// its extensions freed with new passwords, and an extension moved to another project.
import { and, eq, ne } from 'drizzle-orm';
import type { Db } from '../database.js';
import { tasks } from '../schema.js';
import { extensionsRepo, projectsRepo, type Extension, type Project } from './projects.js';

type NewProject = Parameters<ReturnType<typeof projectsRepo>['insert']>[0];

export function projectSetupRepo(db: Db) {
  const projects = projectsRepo(db);
  const extensions = extensionsRepo(db);
  return {
    /**
     * Inserts the project and gives it one extension per entry of `types` (their type), reusing the node's free
     * extensions first and numbering new ones from max(extensionStart, highest + 1).
     */
    create(
      row: NewProject,
      types: number[],
      extensionStart: number,
      newPassword: () => string,
      now: number,
    ): { project: Project; extensions: Extension[] } {
      return db.transaction(() => {
        const p = projects.insert(row, now);
        const free = extensions.freeOnNode(row.nodeId);
        let next = Math.max(extensionStart, extensions.highestNumber() + 1);
        for (const type of types) {
          const reuse = free.shift();
          if (reuse) extensions.assign(reuse.id, { projectId: p.id, type, password: newPassword() }, now);
          else
            extensions.insert(
              {
                username: String(next++),
                nodeId: row.nodeId,
                password: newPassword(),
                type,
                projectId: p.id,
              },
              now,
            );
        }
        return { project: p, extensions: extensions.ofProject(p.id) };
      });
    },
    /** Ends the project's unfinished tasks (status 4). */
    endTasks(projectId: number, now: number): void {
      db.update(tasks)
        .set({ status: 4, endedAt: now, updatedAt: now })
        .where(and(eq(tasks.projectId, projectId), ne(tasks.status, 4)))
        .run();
    },
    /** Frees the extensions (each with its new password) and marks the project finished, in one transaction. */
    finish(projectId: number, freed: { id: number; password: string }[], now: number): void {
      db.transaction(() => {
        for (const e of freed) extensions.assign(e.id, { projectId: null, password: e.password }, now);
        projects.finish(projectId, now);
      });
    },
    /** The extension joins the project as what it is (keeps number and password) and is claimed. */
    move(extensionId: number, projectId: number, type: number, now: number): void {
      db.transaction(() => {
        extensions.assign(extensionId, { projectId, type }, now);
        extensions.claim(extensionId, now);
      });
    },
  };
}
