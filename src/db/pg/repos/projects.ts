import { and, eq, isNull, sql, type SQL } from 'drizzle-orm';
import { first, one, type PgExecutor } from '../rows.js';
import { extensions, projects } from '../schema.js';

type Project = typeof projects.$inferSelect;
type Extension = typeof extensions.$inferSelect;
const ProjectStatus = { active: 1, finished: 2 } as const;

/** An extension's number for ordering: SQLite's cast reads a non-number as 0; PostgreSQL's would fail the query. */
const extensionNumber = sql`(case when ${extensions.username} ~ '^[0-9]{1,18}$' then ${extensions.username}::bigint else 0 end)`;

export function pgProjectsRepo(db: PgExecutor) {
  const by = async (where: SQL | undefined): Promise<Project | undefined> =>
    first(await db.select().from(projects).where(where).limit(1));
  return {
    activeByCode: (projectCode: string): Promise<Project | undefined> =>
      by(and(eq(projects.projectCode, projectCode), eq(projects.status, ProjectStatus.active))),
    byCertificate: (certificate: string) => by(eq(projects.certificate, certificate)),
    byManagerCertificate: (certificate: string) => by(eq(projects.managerCertificate, certificate)),
    get: (id: number) => by(eq(projects.id, id)),
    active: (): Promise<Project[]> =>
      db.select().from(projects).where(eq(projects.status, ProjectStatus.active)),
    /** Seats of active projects per node, for placement. */
    async seatsByNode(): Promise<Map<number, number>> {
      const rows = await db
        .select({ nodeId: projects.nodeId, seats: sql<string>`sum(${projects.seats})` })
        .from(projects)
        .where(eq(projects.status, ProjectStatus.active))
        .groupBy(projects.nodeId);
      // sum() of integers is bigint, which node-postgres hands over as text.
      return new Map(rows.map((r) => [r.nodeId, Number(r.seats)]));
    },
    insert: async (
      row: {
        projectCode: string;
        seats: number;
        nodeId: number;
        certificate: string;
        managerCertificate?: string;
        defaultGatewayId?: number | null;
      },
      now: number,
    ): Promise<Project> =>
      one(
        await db
          .insert(projects)
          .values({ ...row, status: ProjectStatus.active, createdAt: now, updatedAt: now })
          .returning(),
      ),
    setDefaultGateway: async (id: number, gatewayId: number | null, now: number): Promise<void> => {
      await db
        .update(projects)
        .set({ defaultGatewayId: gatewayId, updatedAt: now })
        .where(eq(projects.id, id));
    },
    finish: async (id: number, now: number): Promise<void> => {
      await db
        .update(projects)
        .set({ status: ProjectStatus.finished, finishedAt: now, updatedAt: now })
        .where(eq(projects.id, id));
    },
  };
}

export function pgExtensionsRepo(db: PgExecutor) {
  const update = async (where: SQL, fields: Partial<typeof extensions.$inferInsert>): Promise<void> => {
    await db.update(extensions).set(fields).where(where);
  };
  return {
    byUsername: async (username: string): Promise<Extension | undefined> =>
      first(await db.select().from(extensions).where(eq(extensions.username, username)).limit(1)),
    ofProject: (projectId: number): Promise<Extension[]> =>
      db.select().from(extensions).where(eq(extensions.projectId, projectId)).orderBy(extensions.username),
    all: (): Promise<Extension[]> => db.select().from(extensions),
    /** Extensions of a node not assigned to any project, lowest number first (reused before new ones are made). */
    freeOnNode: (nodeId: number): Promise<Extension[]> =>
      db
        .select()
        .from(extensions)
        .where(and(eq(extensions.nodeId, nodeId), isNull(extensions.projectId)))
        .orderBy(extensionNumber),
    highestNumber: async (): Promise<number> => {
      const row = first(await db.select({ n: sql<string | null>`max(${extensionNumber})` }).from(extensions));
      return Number(row?.n ?? 0);
    },
    insert: async (
      row: { username: string; nodeId: number; password: string; type: number; projectId: number },
      now: number,
    ): Promise<Extension> =>
      one(
        await db
          .insert(extensions)
          .values({ ...row, workStatus: 0, regStatus: 0, createdAt: now, updatedAt: now })
          .returning(),
      ),
    assign: (
      id: number,
      fields: { projectId: number | null; type?: number; password?: string },
      now: number,
    ): Promise<void> =>
      update(eq(extensions.id, id), { ...fields, claimedAt: null, workStatus: 0, updatedAt: now }),
    claim: (id: number, now: number): Promise<void> =>
      update(eq(extensions.id, id), { claimedAt: now, updatedAt: now }),
    release: (id: number, now: number): Promise<void> =>
      update(eq(extensions.id, id), { claimedAt: null, updatedAt: now }),
    setStatus: (
      username: string,
      fields: { workStatus?: number; regStatus?: number },
      now: number,
    ): Promise<void> => update(eq(extensions.username, username), { ...fields, updatedAt: now }),
  };
}
