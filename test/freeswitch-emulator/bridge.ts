// The `bridge` application: a B-leg through the same peers and registrations, then CHANNEL_BRIDGE / UNBRIDGE on
// the A-leg, as switch_ivr_multi_threaded_bridge reports them.
import type { Channel } from './channel.js';
import { parseDial, splitVarBlock } from './dialstring.js';
import type { EmulatorCore } from './emulator.js';
import { startLeg } from './legs.js';
import type { AppRun, Switch } from './switch.js';

export function bridgeApp(
  core: EmulatorCore,
  a: Channel,
  dialString: string,
  done: (cause: string | undefined) => void,
): AppRun {
  const { vars, rest } = splitVarBlock(dialString.trim());
  // The B-leg's ring time: leg_timeout / originate_timeout in the dial string, else the A-leg's call_timeout.
  const own = new Map(vars);
  const timeout = Number(
    own.get('leg_timeout') ?? own.get('originate_timeout') ?? a.vars.get('call_timeout') ?? 60,
  );
  let b: Channel | undefined;
  let over = false;
  const finish = (cause: string | undefined) => {
    if (over) return;
    over = true;
    core.bridgeEnds.delete(a.uuid);
    done(cause);
  };
  const unbridge = (other: Channel, otherHungUp: boolean) => {
    a.bridgedTo = undefined;
    other.bridgedTo = undefined;
    // As captured live: when the B-leg hangs up, last_bridge_hangup_cause then bridge_hangup_cause get its cause;
    // when the A-leg goes first only bridge_hangup_cause is set (last_… keeps an earlier failed attempt's cause).
    if (otherHungUp) a.setVar('last_bridge_hangup_cause', other.hangupCause ?? 'NORMAL_CLEARING');
    a.setVar('bridge_hangup_cause', other.hangupCause ?? 'NORMAL_CLEARING');
    core.sw.publish('CHANNEL_UNBRIDGE', {
      channel: a,
      pre: [
        ['Bridge-A-Unique-ID', a.uuid],
        ['Bridge-B-Unique-ID', other.uuid],
      ],
    });
  };
  b = startLeg(core, {
    dial: parseDial(rest),
    vars: [['origination_caller_id_number', a.profile.callerIdNumber], ...vars],
    callerIdName: a.profile.callerIdName,
    timeoutSec: timeout,
    onAnswer: (leg) => {
      if (!a.alive) {
        core.kill(leg, 'ORIGINATOR_CANCEL');
        return;
      }
      if (!a.answered) core.sw.answer(a);
      // A bridge that connects says so on the A-leg from CHANNEL_BRIDGE on (live captures), replacing the
      // failure an earlier attempt left.
      a.setVar('originate_disposition', 'SUCCESS');
      a.setVar('DIALSTATUS', 'SUCCESS');
      core.link(a, leg);
      core.sw.setState(leg, 'CS_EXCHANGE_MEDIA');
      core.sw.publish('CHANNEL_BRIDGE', {
        channel: a,
        pre: [
          ['Bridge-A-Unique-ID', a.uuid],
          ['Bridge-B-Unique-ID', leg.uuid],
        ],
      });
      core.bridgeEnds.set(a.uuid, (gone) => {
        if (!a.alive) return;
        unbridge(gone, true);
        finish(undefined);
        if (a.vars.get('hangup_after_bridge') === 'true') core.sw.soon(() => core.kill(a, 'NORMAL_CLEARING'));
      });
    },
    onFail: (cause) => {
      a.setVar('last_bridge_hangup_cause', cause);
      a.setVar('originate_disposition', cause);
      a.setVar('DIALSTATUS', cause === 'USER_BUSY' ? 'BUSY' : cause === 'NO_ANSWER' ? 'NOANSWER' : cause);
      a.setVar('originate_failed_cause', cause);
      finish(cause);
      if (!continuesOnFail(a.vars.get('continue_on_fail'), cause))
        core.sw.soon(() => core.sw.hangup(a, cause, { sipVars: [['sip_hangup_disposition', 'send_bye']] }));
    },
  });
  return {
    ignoresBreak: true,
    stop: () => {
      const leg = b;
      b = undefined;
      if (leg?.bridgedTo === a) unbridge(leg, false);
      finish(undefined);
      if (leg?.alive)
        core.sw.soon(() => core.kill(leg, leg.answered ? 'NORMAL_CLEARING' : 'ORIGINATOR_CANCEL'));
    },
  };
}

export function linkLegs(sw: Switch, a: Channel, b: Channel): void {
  const now = sw.nowMicros();
  a.bridgedTo = b;
  b.bridgedTo = a;
  a.otherLeg = b;
  a.otherType = 'originatee';
  b.otherLeg = a;
  b.otherType = 'originator';
  a.times.bridged = now;
  b.times.bridged = now;
  for (const [x, y] of [
    [a, b],
    [b, a],
  ] as const) {
    x.setVar('bridge_channel', y.name);
    x.setVar('bridge_uuid', y.uuid);
    x.setVar('signal_bond', y.uuid);
    x.setVar('last_bridge_to', y.uuid);
  }
}

/**
 * switch_channel_handle_cause after a failed bridge: the calling leg is hung up with the failure's cause unless
 * continue_on_fail is true or lists the cause; without the variable only NO_ANSWER, NO_USER_RESPONSE and
 * ORIGINATOR_CANCEL let it continue.
 */
export function continuesOnFail(setting: string | undefined, cause: string): boolean {
  if (setting === undefined) return ['NO_ANSWER', 'NO_USER_RESPONSE', 'ORIGINATOR_CANCEL'].includes(cause);
  if (['true', 'yes', 'on', '1'].includes(setting.toLowerCase())) return true;
  return setting
    .split(',')
    .map((c) => c.trim().toUpperCase())
    .includes(cause.toUpperCase());
}
