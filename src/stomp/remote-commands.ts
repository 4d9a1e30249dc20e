// The port through which /app commands reach the instance that owns their project (issue 20). The STOMP area
// declares it; src/cluster/forward.ts implements it over the RabbitMQ bus, and app.ts plugs one in only when
// CC_AMQP_URL is set: without it every command runs here, exactly as before.
import type { Principal } from './access.js';

/** One /app command as the session that sent it had it: the authenticated principal, never one the body names. */
export interface ForwardedCommand {
  principal: Principal;
  destination: string;
  /** The SEND frame's body, as received (the owner parses it as the local path does). */
  body: string;
  /** The project the command was routed by: the owner refuses it when it no longer holds that project. */
  projectCode: string;
}

/**
 * How a command ended: `done` (it ran; its answers went to the notify topic, as locally), `refused` (it did not run:
 * the requester tells the agent why on its notify topic), `failed` (its handler threw: as locally, the session that
 * sent it gets ERROR and is closed).
 */
export type CommandAnswer = { kind: 'done' } | { kind: 'refused'; reason: string } | { kind: 'failed' };

/** Where a project's commands run at this moment. */
export type CommandPlace = { kind: 'here' } | { kind: 'nobody' } | { kind: 'at'; instance: string };

export interface RemoteCommands {
  placeOf(projectCode: string): CommandPlace;
  /** Runs the command at `instance`; resolves with its answer, or a refusal once the wait is over. */
  forward(instance: string, command: ForwardedCommand): Promise<CommandAnswer>;
  /** Takes the commands other instances forward here. */
  serve(run: (command: ForwardedCommand, from: string) => Promise<CommandAnswer>): void;
}

/**
 * The project an /app command acts in: an agent's or a manager's own (the access rules bind them to it); for a
 * business system's account (projectCode '*'), the body's projectCode, else the project of the agent it names;
 * undefined when nothing says (the command then runs where it arrived, as before).
 */
export function projectOfCommand(
  principal: Principal,
  body: Record<string, unknown>,
  projectOfUser: (username: string) => string | undefined,
): string | undefined {
  if (principal.role !== 'service') return principal.projectCode;
  if (typeof body.projectCode === 'string' && body.projectCode !== '') return body.projectCode;
  const username = typeof body.username === 'number' ? String(body.username) : body.username;
  return typeof username === 'string' ? projectOfUser(username) : undefined;
}
