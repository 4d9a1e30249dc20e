// The STOMP /app commands of managers (eavesdrop, conference, manager↔agent calls) and agents' in-call actions
// (playVoice, transfer), ready for app.ts's appCommands map. README.md in this folder documents them.
import type { AppCommand } from '../agents/commands.js';
import { conferenceCommands } from './conference.js';
import { SupervisorContext, type SupervisorDeps, type SupervisorRow } from './context.js';
import { eavesdropCommands } from './eavesdrop.js';
import { inCallCommands } from './in-call.js';
import { pmCallCommands } from './pm-call.js';

export type { SupervisorDeps } from './context.js';

export function supervisorCommands(deps: SupervisorDeps): {
  commands: Record<string, AppCommand>;
  /** After each (re)connect of a node (issue 14.5): rebuilds listeners, conferences and manager↔agent calls. */
  recover: (nodeId: number, rows: readonly SupervisorRow[]) => Promise<number>;
  /** The leg is a supervisor's, not a customer call's. */
  knows: (uuid: string) => boolean;
} {
  const ctx = new SupervisorContext(deps);
  return {
    commands: {
      ...eavesdropCommands(ctx),
      ...conferenceCommands(ctx),
      ...pmCallCommands(ctx),
      ...inCallCommands(ctx),
    },
    recover: (nodeId, rows) => ctx.recover(nodeId, rows),
    knows: (uuid) => ctx.knows(uuid),
  };
}
