import { and, eq, isNull, max, sql } from 'drizzle-orm';
import type { Async } from './async.js';
import type { Db } from '../database.js';
import { extensions, projects } from '../schema.js';

export type Project = typeof projects.$inferSelect;
export type Extension = typeof extensions.$inferSelect;
const ProjectStatus = { active: 1, finished: 2 } as const;

export function projectsRepo(db: Db) {
  // Prepared once: read for every dialer tick and every call (issue 13).
  const activeByCode = db
    .select()
    .from(projects)
    .where(and(eq(projects.projectCode, sql.placeholder('code')), eq(projects.status, ProjectStatus.active)))
    .prepare();
  const byId = db
    .select()
    .from(projects)
    .where(eq(projects.id, sql.placeholder('id')))
    .prepare();
  return {
    activeByCode: (projectCode: string): Project | undefined => activeByCode.get({ code: projectCode }),
    byCertificate: (certificate: string): Project | undefined =>
      db.select().from(projects).where(eq(projects.certificate, certificate)).get(),
    byManagerCertificate: (certificate: string): Project | undefined =>
      db.select().from(projects).where(eq(projects.managerCertificate, certificate)).get(),
    get: (id: number): Project | undefined => byId.get({ id }),
    active: (): Project[] =>
      db.select().from(projects).where(eq(projects.status, ProjectStatus.active)).all(),
    /** Seats of active projects per node, for placement. */
    seatsByNode(): Map<number, number> {
      const rows = db
        .select({ nodeId: projects.nodeId, seats: sql<number>`sum(${projects.seats})` })
        .from(projects)
        .where(eq(projects.status, ProjectStatus.active))
        .groupBy(projects.nodeId)
        .all();
      return new Map(rows.map((r) => [r.nodeId, Number(r.seats)]));
    },
    insert: (
      row: {
        projectCode: string;
        seats: number;
        nodeId: number;
        certificate: string;
        managerCertificate?: string;
        defaultGatewayId?: number | null;
      },
      now: number,
    ): Project =>
      db
        .insert(projects)
        .values({ ...row, status: ProjectStatus.active, createdAt: now, updatedAt: now })
        .returning()
        .get(),
    setDefaultGateway: (id: number, gatewayId: number | null, now: number): void => {
      db.update(projects)
        .set({ defaultGatewayId: gatewayId, updatedAt: now })
        .where(eq(projects.id, id))
        .run();
    },
    finish: (id: number, now: number): void => {
      db.update(projects)
        .set({ status: ProjectStatus.finished, finishedAt: now, updatedAt: now })
        .where(eq(projects.id, id))
        .run();
    },
  };
}
export function extensionsRepo(db: Db) {
  // Prepared once: read for every agent offered a call (issue 13).
  const byUsername = db
    .select()
    .from(extensions)
    .where(eq(extensions.username, sql.placeholder('username')))
    .prepare();
  return {
    byUsername: (username: string): Extension | undefined => byUsername.get({ username }),
    ofProject: (projectId: number): Extension[] =>
      db
        .select()
        .from(extensions)
        .where(eq(extensions.projectId, projectId))
        .orderBy(extensions.username)
        .all(),
    all: (): Extension[] => db.select().from(extensions).all(),
    /** Extensions of a node not assigned to any project, lowest number first (reused before new ones are made). */
    freeOnNode: (nodeId: number): Extension[] =>
      db
        .select()
        .from(extensions)
        .where(and(eq(extensions.nodeId, nodeId), isNull(extensions.projectId)))
        .orderBy(sql`cast(${extensions.username} as integer)`)
        .all(),
    highestNumber: (): number => {
      const row = db
        .select({ n: max(sql<number>`cast(${extensions.username} as integer)`) })
        .from(extensions)
        .get();
      return Number(row?.n ?? 0);
    },
    insert: (
      row: { username: string; nodeId: number; password: string; type: number; projectId: number },
      now: number,
    ) =>
      db
        .insert(extensions)
        .values({ ...row, workStatus: 0, regStatus: 0, createdAt: now, updatedAt: now })
        .returning()
        .get(),
    assign: (
      id: number,
      fields: { projectId: number | null; type?: number; password?: string },
      now: number,
    ): void => {
      db.update(extensions)
        .set({ ...fields, claimedAt: null, workStatus: 0, updatedAt: now })
        .where(eq(extensions.id, id))
        .run();
    },
    claim: (id: number, now: number): void => {
      db.update(extensions).set({ claimedAt: now, updatedAt: now }).where(eq(extensions.id, id)).run();
    },
    release: (id: number, now: number): void => {
      db.update(extensions).set({ claimedAt: null, updatedAt: now }).where(eq(extensions.id, id)).run();
    },
    setStatus: (username: string, fields: { workStatus?: number; regStatus?: number }, now: number): void => {
      db.update(extensions)
        .set({ ...fields, updatedAt: now })
        .where(eq(extensions.username, username))
        .run();
    },
  };
}
export type ExtensionsRepo = Async<ReturnType<typeof extensionsRepo>>;
