// The STOMP /app commands of managers (eavesdrop, conference, manager↔agent calls) and agents' in-call actions
// (playVoice, transfer), ready for app.ts's appCommands map. README.md in this folder documents them.
import type { AppCommand } from '../agents/commands.js';
import { conferenceCommands } from './conference.js';
import { SupervisorContext, type SupervisorDeps } from './context.js';
import { eavesdropCommands } from './eavesdrop.js';
import { inCallCommands } from './in-call.js';
import { pmCallCommands } from './pm-call.js';

export type { SupervisorDeps } from './context.js';

export function supervisorCommands(deps: SupervisorDeps): Record<string, AppCommand> {
  const ctx = new SupervisorContext(deps);
  return {
    ...eavesdropCommands(ctx),
    ...conferenceCommands(ctx),
    ...pmCallCommands(ctx),
    ...inCallCommands(ctx),
  };
}
