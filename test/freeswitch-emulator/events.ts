// Event construction with the header names and order FreeSWITCH 1.11 uses (taken from the captures): the common
// block every event carries, the per-event "calling" source location, then event-specific headers.
import type { Headers } from './wire.js';

export interface EmulatorEvent {
  name: string;
  subclass?: string;
  headers: Headers;
  body?: string;
  /** The channel the event belongs to (outbound sockets with `myevents` only see their own). */
  uuid?: string;
}

/** Where FreeSWITCH raises each event (Event-Calling-File/Function/Line-Number in the captures). */
const CALLING: Record<string, [string, string, number]> = {
  API: ['switch_loadable_module.c', 'switch_api_execute', 2954],
  BACKGROUND_JOB: ['mod_event_socket.c', 'api_exec', 1569],
  CALL_UPDATE: ['switch_channel.c', 'switch_channel_flip_cid', 3279],
  CHANNEL_ANSWER: ['switch_channel.c', 'switch_channel_perform_mark_answered', 3848],
  CHANNEL_BRIDGE: ['switch_ivr_bridge.c', 'switch_ivr_multi_threaded_bridge', 1689],
  CHANNEL_UNBRIDGE: ['switch_ivr_bridge.c', 'switch_ivr_multi_threaded_bridge', 1879],
  CHANNEL_CALLSTATE: ['switch_channel.c', 'switch_channel_perform_set_callstate', 302],
  CHANNEL_CREATE: ['switch_core_state_machine.c', 'switch_core_session_run', 626],
  CHANNEL_ORIGINATE: ['switch_core_state_machine.c', 'switch_core_session_run', 632],
  CHANNEL_OUTGOING: ['switch_core_session.c', 'switch_core_session_outgoing_channel', 768],
  CHANNEL_DESTROY: ['switch_core_session.c', 'switch_core_session_perform_destroy', 1588],
  CHANNEL_EXECUTE: ['switch_core_session.c', 'switch_core_session_exec', 2949],
  CHANNEL_EXECUTE_COMPLETE: ['switch_core_session.c', 'switch_core_session_exec', 2972],
  CHANNEL_HANGUP: ['switch_channel.c', 'switch_channel_perform_hangup', 3447],
  CHANNEL_HANGUP_COMPLETE: ['switch_core_state_machine.c', 'switch_core_session_reporting_state', 943],
  CHANNEL_PARK: ['switch_ivr.c', 'switch_ivr_park', 1002],
  CHANNEL_UNPARK: ['switch_ivr.c', 'switch_ivr_park', 1213],
  CHANNEL_PROGRESS: ['switch_channel.c', 'switch_channel_perform_mark_ring_ready_value', 3507],
  CHANNEL_PROGRESS_MEDIA: ['switch_channel.c', 'switch_channel_perform_mark_pre_answered', 3562],
  CHANNEL_STATE: ['switch_channel.c', 'switch_channel_perform_set_running_state', 2409],
  CHANNEL_DATA: ['mod_event_socket.c', 'parse_command', 2018],
  DTMF: ['switch_channel.c', 'switch_channel_dequeue_dtmf', 644],
  HEARTBEAT: ['switch_core.c', 'send_heartbeat', 95],
  PRIVATE_COMMAND: ['switch_ivr.c', 'switch_ivr_parse_next_event', 804],
  COMMAND: ['switch_ivr_async.c', 'switch_ivr_broadcast', 5732],
  MEDIA_BUG_START: ['switch_core_media_bug.c', 'switch_core_media_bug_add', 1014],
  MEDIA_BUG_STOP: ['switch_core_media_bug.c', 'switch_core_media_bug_destroy', 84],
  PLAYBACK_START: ['switch_ivr_play_say.c', 'switch_ivr_play_file', 1649],
  PLAYBACK_STOP: ['switch_ivr_play_say.c', 'switch_ivr_play_file', 2023],
  RECORD_START: ['switch_ivr_async.c', 'record_callback', 1482],
  RECORD_STOP: ['switch_ivr_async.c', 'send_record_stop_event', 1241],
  'sofia::register': ['sofia_reg.c', 'sofia_reg_handle_register_token', 2059],
  'sofia::unregister': ['sofia_reg.c', 'sofia_reg_handle_register_token', 1989],
  'sofia::expire': ['sofia_reg.c', 'sofia_reg_del_callback', 726],
  'conference::maintenance': ['conference_member.c', 'conference_member_add', 962],
};

/** The switch identity that every event header block starts with (lab values from the captures). */
export interface SwitchIdentity {
  coreUuid: string;
  hostname: string;
  ipv4: string;
  ipv6: string;
}

export interface EventClock {
  /** Wall time in microseconds since the epoch. */
  nowMicros(): number;
  nextSequence(): number;
}

export function commonHeaders(
  name: string,
  identity: SwitchIdentity,
  clock: EventClock,
  subclass?: string,
  calling?: [string, string, number],
): Headers {
  const micros = clock.nowMicros();
  const date = new Date(Math.floor(micros / 1000));
  const where = calling ?? CALLING[subclass ?? name] ?? ['switch_event.c', 'switch_event_fire_detailed', 0];
  // CUSTOM events carry their subclass first: switch_event_create_subclass adds it before Event-Name.
  const headers: Headers = subclass
    ? [
        ['Event-Subclass', subclass],
        ['Event-Name', name],
      ]
    : [['Event-Name', name]];
  headers.push(
    ['Core-UUID', identity.coreUuid],
    ['FreeSWITCH-Hostname', identity.hostname],
    ['FreeSWITCH-Switchname', identity.hostname],
    ['FreeSWITCH-IPv4', identity.ipv4],
    ['FreeSWITCH-IPv6', identity.ipv6],
    ['Event-Date-Local', localStamp(date)],
    ['Event-Date-GMT', date.toUTCString()],
    ['Event-Date-Timestamp', String(micros)],
    ['Event-Calling-File', where[0]],
    ['Event-Calling-Function', where[1]],
    ['Event-Calling-Line-Number', String(where[2])],
    ['Event-Sequence', String(clock.nextSequence())],
  );
  return headers;
}

/** `YYYY-MM-DD hh:mm:ss` as FreeSWITCH prints local time (the lab ran in UTC; so do we). */
export function localStamp(date: Date): string {
  return date.toISOString().slice(0, 19).replace('T', ' ');
}
