// Dialplan applications on a leg. Each leg runs one base application (park, socket, conference, eavesdrop)
// and executes queued applications (sendmsg execute, uuid_broadcast) one at a time inside it, like
// FreeSWITCH's park loop and socket app do.
import { randomUUID } from 'node:crypto';
import type { Channel } from './channel.js';
import type { AppRun, Switch } from './switch.js';
import { appHeaders } from './switch.js';

export interface QueuedApp {
  name: string;
  data: string;
  uuid: string;
}

export interface AppHost {
  sw: Switch;
  /** Emulated duration of a playback, in ms. */
  playbackMs(file: string): number;
  /** `bridge <dialstring>` from this leg: resolves when bridged or failed; implemented by originate.ts. */
  bridge(ch: Channel, dialString: string, done: (cause: string | undefined) => void): AppRun;
  conferenceJoin(ch: Channel, name: string): AppRun;
  /** `socket host:port async full`: the switch connects to the client (outbound.ts). */
  connectSocket(ch: Channel, data: string): void;
}

type AppImpl = (
  host: AppHost,
  ch: Channel,
  data: string,
  complete: (response: string) => void,
) => AppRun | void;

function unpark(host: AppHost, ch: Channel, complete: (response: string) => void): void {
  ch.parked = false;
  host.sw.publish('CHANNEL_UNPARK', { channel: ch });
  complete(ch.appResponse ?? '_none_');
}

/** Waits `ms` (scaled) unless the leg hangs up or the app is broken first. */
function timed(host: AppHost, ms: number, onEnd: (reason: 'done' | 'hangup' | 'break') => void): AppRun {
  let over = false;
  const cancel = host.sw.after(ms, () => {
    if (over) return;
    over = true;
    onEnd('done');
  });
  return {
    stop(reason) {
      if (over) return;
      over = true;
      cancel();
      onEnd(reason);
    },
  };
}

const APPS: Record<string, AppImpl> = {
  answer(host, ch, _data, complete) {
    if (!ch.answered && ch.profile.direction === 'inbound') {
      ch.codec = true;
      ch.answerState = 'early';
      ch.times.progressMedia = host.sw.nowMicros();
      host.sw.publish('CHANNEL_PROGRESS_MEDIA', { channel: ch });
      ch.callState = 'EARLY';
    }
    host.sw.answer(ch);
    complete('_none_');
  },
  pre_answer(host, ch, _data, complete) {
    ch.codec = true;
    ch.answerState = 'early';
    ch.times.progressMedia ||= host.sw.nowMicros();
    host.sw.publish('CHANNEL_PROGRESS_MEDIA', { channel: ch });
    complete('_none_');
  },
  playback(host, ch, data, complete) {
    const path: [string, string][] = data.startsWith('tone_stream://')
      ? [
          ['Playback-File-Type', 'tone_stream'],
          ['Playback-File-Path', data],
        ]
      : [['Playback-File-Path', data]];
    host.sw.publish('PLAYBACK_START', { channel: ch, post: path });
    return timed(host, host.playbackMs(data), (reason) => {
      const status = reason === 'done' ? 'done' : 'break';
      host.sw.publish('PLAYBACK_STOP', { channel: ch, post: [...path, ['Playback-Status', status]] });
      ch.setVar('playback_terminator_used', '');
      complete(reason === 'hangup' ? 'PLAYBACK ERROR' : 'FILE PLAYED');
    });
  },
  sleep(host, _ch, data, complete) {
    return timed(host, Number(data) || 0, () => complete('_none_'));
  },
  set(_host, ch, data, complete) {
    const i = data.indexOf('=');
    if (i > 0) ch.setVar(data.slice(0, i), data.slice(i + 1));
    complete('_none_');
  },
  record_session(host, ch, data, complete) {
    ch.recordings.set(data, host.sw.nowMicros());
    host.sw.publish('RECORD_START', { channel: ch, post: [['Record-File-Path', data]] });
    host.sw.publish('MEDIA_BUG_START', { channel: ch, pre: mediaBug(data) });
    complete('_none_');
  },
  stop_record_session(host, ch, data, complete) {
    stopRecordings(host, ch, data);
    complete('_none_');
  },
  hangup(host, ch, data, complete) {
    complete('_none_');
    host.sw.soon(() =>
      host.sw.hangup(ch, data || 'NORMAL_CLEARING', { sipVars: [['sip_hangup_disposition', 'send_bye']] }),
    );
  },
  bridge(host, ch, data, complete) {
    return host.bridge(ch, data, () => complete('_none_'));
  },
  conference(host, ch, data, complete) {
    const run = host.conferenceJoin(ch, data.split('@')[0] ?? data);
    return {
      stop(reason) {
        run.stop(reason);
        complete('_none_');
      },
    };
  },
  park(host, ch, _data, complete) {
    ch.parked = true;
    host.sw.publish('CHANNEL_PARK', { channel: ch });
    return { stop: () => unpark(host, ch, complete), background: true };
  },
  socket(host, ch, data, complete) {
    // The socket app parks the leg while the client drives it; on hangup it unparks like park does.
    host.connectSocket(ch, data);
    return { stop: () => unpark(host, ch, complete), background: true };
  },
  eavesdrop: eavesdropApp,
  play_and_get_digits(host, ch, data, complete) {
    // play_and_get_digits <min> <max> <tries> <timeout> <terminators> <file> <invalid_file> <var_name> ...
    const parts = data.split(/\s+/);
    const varName = parts[7] ?? 'digits';
    const file = parts[5] ?? '';
    const timeout = Number(parts[3]) || 5000;
    ch.dtmfSink = (digits) => {
      ch.dtmfSink = undefined;
      ch.setVar(varName, digits);
      run.stop('break');
    };
    const run = timed(host, host.playbackMs(file) + timeout, (reason) => {
      ch.dtmfSink = undefined;
      complete(reason === 'hangup' ? 'PLAYBACK ERROR' : 'FILE PLAYED');
    });
    return run;
  },
};

/** switch_true: FreeSWITCH's idea of a true channel variable. */
const isTrue = (v: string | undefined): boolean =>
  v !== undefined &&
  (/^(yes|on|true|t|enabled|active|allow)$/i.test(v) || (/^\d+$/.test(v) && Number(v) > 0));

/**
 * `eavesdrop <uuid>` (switch_ivr_eavesdrop_session): returns at once for an unknown or unanswered target or the
 * leg itself; otherwise a media bug "eavesdrop" on the target until the target hangs up, the listener hangs up or
 * presses `*`. eavesdrop_whisper_aleg/bleg set the starting mix; with DTMF enabled (the default) 1 speaks to the
 * other half, 2 to the target, 3 to both (three-way), 0 back to listening.
 */
function eavesdropApp(
  host: AppHost,
  ch: Channel,
  data: string,
  complete: (response: string) => void,
): AppRun | void {
  const target = host.sw.channels.get(data.trim());
  if (!target?.alive || target === ch || !target.answered) {
    complete('_none_');
    return;
  }
  ch.setVar('eavesdrop_target', target.uuid);
  const dtmfVar = ch.vars.get('eavesdrop_enable_dtmf');
  const spy = {
    target: target.uuid,
    muxRead: isTrue(ch.vars.get('eavesdrop_whisper_aleg')),
    muxWrite: isTrue(ch.vars.get('eavesdrop_whisper_bleg')),
  };
  ch.eavesdrop = spy;
  const bug: [string, string][] = [
    ['Media-Bug-Function', 'eavesdrop'],
    ['Media-Bug-Target', target.uuid],
  ];
  host.sw.publish('MEDIA_BUG_START', { channel: target, pre: bug });
  let over = false;
  const end = () => {
    if (over) return;
    over = true;
    off();
    if (ch.dtmfSink === onDigits) ch.dtmfSink = undefined;
    ch.eavesdrop = undefined;
    host.sw.publish('MEDIA_BUG_STOP', { channel: target, pre: bug });
    complete('_none_');
  };
  const off = host.sw.subscribe((e) => {
    if (e.uuid === target.uuid && e.name === 'CHANNEL_HANGUP') host.sw.soon(end);
  });
  const MIX: Record<string, [boolean, boolean]> = {
    '1': [true, false],
    '2': [false, true],
    '3': [true, true],
    '0': [false, false],
  };
  const onDigits = (digits: string) => {
    for (const d of digits) {
      if (d === '*') return host.sw.soon(end);
      const mix = MIX[d];
      if (mix) [spy.muxRead, spy.muxWrite] = mix;
    }
  };
  if (dtmfVar === undefined || isTrue(dtmfVar)) ch.dtmfSink = onDigits;
  return { stop: end, ignoresBreak: true };
}

/** Aliases and apps that only set state. */
APPS.export = APPS.set;
APPS.transfer = (host, ch, data, complete) => {
  ch.setVar('transfer_destination', data);
  complete('_none_');
};

export function stopRecordings(host: AppHost, ch: Channel, path?: string): void {
  for (const file of [...ch.recordings.keys()]) {
    if (path && path !== 'all' && path !== file) continue;
    ch.recordings.delete(file);
    host.sw.publish('RECORD_STOP', {
      channel: ch,
      post: [
        ['Record-File-Path', file],
        ['Record-Completion-Cause', 'success'],
      ],
    });
    host.sw.publish('MEDIA_BUG_STOP', { channel: ch, pre: mediaBug(file) });
  }
}

const mediaBug = (path: string): [string, string][] => [
  ['Media-Bug-Function', 'session_record'],
  ['Media-Bug-Target', path],
];

export const knownApp = (name: string): boolean => name in APPS;

/** Per-leg queue of applications to run one after another. */
export class AppQueue {
  private readonly queues = new Map<string, QueuedApp[]>();
  private readonly busy = new Set<string>();

  constructor(private readonly host: AppHost) {}

  /** `now`: start at once when idle (no reply has to go out first, e.g. the originate's own application). */
  enqueue(
    ch: Channel,
    name: string,
    data: string,
    uuid: string = randomUUID(),
    onDone?: (response: string) => void,
    now = false,
  ): void {
    if (!ch.alive) return;
    const q = this.queues.get(ch.uuid) ?? [];
    q.push({ name, data, uuid });
    this.queues.set(ch.uuid, q);
    if (onDone) this.doneHooks.set(uuid, onDone);
    if (this.busy.has(ch.uuid)) return;
    if (now) this.next(ch);
    else this.host.sw.soon(() => this.next(ch));
  }

  private readonly doneHooks = new Map<string, (response: string) => void>();

  private next(ch: Channel): void {
    if (this.busy.has(ch.uuid)) return;
    const app = this.queues.get(ch.uuid)?.shift();
    if (!app || !ch.alive) {
      this.queues.delete(ch.uuid);
      return;
    }
    this.busy.add(ch.uuid);
    this.run(ch, app, () => {
      this.busy.delete(ch.uuid);
      if (ch.alive) this.host.sw.soon(() => this.next(ch));
      else this.queues.delete(ch.uuid);
    });
  }

  /** Runs one app now: CHANNEL_EXECUTE, the app, CHANNEL_EXECUTE_COMPLETE with the client's Application-UUID. */
  run(ch: Channel, app: QueuedApp, after: () => void = () => undefined): void {
    const sw = this.host.sw;
    ch.setVar('current_application_data', app.data);
    ch.setVar('current_application', app.name);
    sw.publish('CHANNEL_EXECUTE', { channel: ch, post: appHeaders(app) });
    ch.appResponse = undefined;
    // switch_core_session_reset (which playback calls) deactivates unicast for good.
    if (app.name === 'playback') ch.unicast?.close();
    const impl = APPS[app.name];
    let finished = false;
    const complete = (response: string) => {
      if (finished) return;
      finished = true;
      if (response !== '_none_') ch.appResponse = response;
      ch.setVar('last_app', app.name);
      if (app.data) ch.setVar('last_arg', app.data);
      if (slot.run) sw.dropRun(ch, slot.run);
      sw.publish('CHANNEL_EXECUTE_COMPLETE', { channel: ch, post: appHeaders(app, response) });
      this.doneHooks.get(app.uuid)?.(response);
      this.doneHooks.delete(app.uuid);
      if (!slot.run?.background) after();
    };
    const slot: { run?: AppRun } = {};
    if (!impl) {
      // FreeSWITCH logs "Invalid Application" and the execute fails without an EXECUTE_COMPLETE body change.
      complete('_none_');
      return;
    }
    const run = impl(this.host, ch, app.data, complete) ?? undefined;
    slot.run = run;
    if (run && !finished) sw.pushRun(ch, run);
    if (run?.background) after();
  }

  /**
   * Runs an app at once inside what the leg is running: a uuid_broadcast to a bridged leg is played from the
   * bridge loop (switch_ivr_parse_all_messages), and the bridge carries on afterwards.
   */
  runInside(ch: Channel, name: string, data: string, onDone?: (response: string) => void): void {
    const uuid = randomUUID();
    if (onDone) this.doneHooks.set(uuid, onDone);
    this.run(ch, { name, data, uuid });
  }

  forget(ch: Channel): void {
    this.queues.delete(ch.uuid);
    this.busy.delete(ch.uuid);
  }
}
