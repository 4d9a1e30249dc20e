// Legs FreeSWITCH's dialplan starts (an agent's codes, an off-hook agent's fifo, an agent dialling out, an inbound
// call) land on the first instance of the dialplan's socket list that accepts them (freeswitch-conf
// cc_socket_targets), whichever owns the leg's project (issue 20). An instance that does not own it sends the leg on
// to the owner's socket address: it sets cc_handoff_to and transfers the leg, with the same destination number, to
// the `cc_handoff` context (freeswitch-conf dialplan/handoff.xml), whose socket app connects to that address and
// whose fallback is the usual unavailable tone. The transfer and the `exit` leave in one write, so this socket is
// gone long before the owner's socket app parks the leg (a listener that ends after that would unpark it). A leg is
// handed on once at most: a leg that arrives through cc_handoff at an instance that does not own its project either
// (the owners moved meanwhile) hears the fallback, as does a leg whose project has no owner at that moment.
import type { OutboundSession } from '../../esl/index.js';
import type { Metrics } from '../../core/metrics.js';
import { FsCommand } from '../../switch/fs-commands.js';
import type { LegInfo } from '../flows/types.js';

export const HANDOFF_CONTEXT = 'cc_handoff';
/** The owner's socket address (host:port) on a leg an instance hands on. */
export const HANDOFF_VAR = 'cc_handoff_to';

/** Where a project's legs run at this moment. */
export type LegPlace =
  { kind: 'here' } | { kind: 'nobody' } | { kind: 'at'; instance: string; socketAt: string };

export interface LegPlaces {
  placeOf(projectCode: string): LegPlace;
}

interface HandoffDeps {
  places?: LegPlaces;
  metrics: Metrics;
  log: { warn(obj: object, msg: string): void; debug(obj: object, msg: string): void };
}

/** A socket address the dialplan's socket app can take: host:port, nothing a channel variable could be abused with. */
const SOCKET_AT = /^[A-Za-z0-9.\-[\]:]+:\d{1,5}$/;

/**
 * Whether the leg was dealt with here: handed on to its project's owner, or given back to the dialplan's fallback
 * because nobody may run it now. False: this instance owns the project (or runs alone) and runs the leg.
 */
export async function handedOff(
  d: HandoffDeps,
  session: OutboundSession,
  leg: LegInfo,
  projectCode: string,
  h: Readonly<Record<string, string>>,
): Promise<boolean> {
  const place = d.places?.placeOf(projectCode);
  if (!place || place.kind === 'here') return false;
  const again = (h[`variable_${HANDOFF_VAR}`] ?? '') !== '';
  if (place.kind === 'nobody' || again || !SOCKET_AT.test(place.socketAt)) {
    d.metrics.inc('calls.legs.noOwner');
    d.log.warn(
      {
        uuid: leg.uuid,
        flow: leg.flow,
        projectCode,
        owner: place.kind === 'at' ? place.instance : undefined,
      },
      again
        ? 'leg handed here for a project this instance does not hold: it hears the unavailable tone'
        : 'leg for a project nobody holds at the moment: it hears the unavailable tone',
    );
    await session.resume();
    await session.exit();
    return true;
  }
  d.metrics.inc('calls.legs.handedOff');
  const destination = h['Caller-Destination-Number'] ?? '';
  const setvar = session.api(FsCommand.setvar(leg.uuid, HANDOFF_VAR, place.socketAt));
  const transfer = session.api(FsCommand.transfer(leg.uuid, `${destination} XML ${HANDOFF_CONTEXT}`));
  const bye = session.exit();
  const [set, moved] = await Promise.all([setvar, transfer]);
  await bye;
  const failed = [set, moved].find((r) => !r.ok || r.value.startsWith('-ERR'));
  if (failed)
    d.log.warn(
      { uuid: leg.uuid, projectCode, owner: place.instance, reply: failed.ok ? failed.value : failed.error },
      'leg not handed on to its owner',
    );
  else d.log.debug({ uuid: leg.uuid, flow: leg.flow, projectCode, owner: place.instance }, 'leg handed on');
  return true;
}
