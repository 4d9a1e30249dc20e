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
      ['presence-hosts', 'n/a'],
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
  }
  sw.publish('CUSTOM', { subclass, pre: headers });
}
