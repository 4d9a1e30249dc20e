// sofia::register / unregister / expire events with the header names the captures show.
import type { Registration } from './peers.js';
import type { Switch } from './switch.js';
import type { Headers } from './wire.js';

export function publishRegistration(
  sw: Switch,
  subclass: 'sofia::register' | 'sofia::unregister' | 'sofia::expire',
  reg: Registration,
): void {
  const contact = `"" <sip:${reg.ext}@127.0.0.1:${reg.networkPort}>`;
  let headers: Headers;
  if (subclass === 'sofia::expire') {
    headers = [
      ['profile-name', 'internal'],
      ['call-id', reg.callId],
      ['user', reg.ext],
      ['username', reg.ext],
      ['host', '127.0.0.1'],
      ['contact', contact],
      ['expires', String(reg.expires)],
      ['user-agent', 'emulated-phone'],
      ['realm', '127.0.0.1'],
      ['network-ip', '127.0.0.1'],
      ['network-port', String(reg.networkPort)],
    ];
  } else {
    headers = [
      ['profile-name', 'internal'],
      ['from-user', reg.ext],
      ['from-host', '127.0.0.1'],
      ['presence-hosts', '127.0.0.1,127.0.0.1'],
      ['contact', contact],
      ['call-id', reg.callId],
      ['rpid', 'unknown'],
      ['status', subclass === 'sofia::register' ? 'Registered(UDP)' : 'Unregistered(UDP)'],
      ['expires', subclass === 'sofia::register' ? '3600' : '0'],
      ['to-user', reg.ext],
      ['to-host', '127.0.0.1'],
      ['network-ip', '127.0.0.1'],
      ['network-port', String(reg.networkPort)],
      ['username', reg.ext],
      ['realm', '127.0.0.1'],
      ['user-agent', 'emulated-phone'],
    ];
    // The directory entry's variables follow, as the vanilla directory of the lab defines them.
    if (subclass === 'sofia::register') headers.push(...directoryVariables(reg.ext));
  }
  sw.publish('CUSTOM', { subclass, pre: headers });
}

function directoryVariables(ext: string): Headers {
  return [
    ['sip_number_alias', ext],
    ['sip_auth_username', ext],
    ['sip_auth_realm', '127.0.0.1'],
    ['number_alias', ext],
    ['user_name', ext],
    ['domain_name', '127.0.0.1'],
    ['record_stereo', 'true'],
    ['default_gateway', 'example.com'],
    ['default_areacode', '918'],
    ['transfer_fallback_extension', 'operator'],
    ['toll_allow', 'domestic,international,local'],
    ['accountcode', ext],
    ['user_context', 'default'],
    ['effective_caller_id_name', `Extension ${ext}`],
    ['effective_caller_id_number', ext],
    ['outbound_caller_id_name', 'FreeSWITCH'],
    ['outbound_caller_id_number', '0000000000'],
    ['callgroup', 'techsupport'],
  ];
}
