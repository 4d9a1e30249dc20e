// sofia.conf served to mod_xml_curl. Once xml_curl answers for sofia.conf, FreeSWITCH uses our document instead of
// the file on disk, so it must be complete: global settings, the `internal` profile (agents' softphones over
// WS/WSS) and the `external` profile holding the carriers' gateways we register to (registerType 1). Carriers that
// register to us (registerType 2) are directory users, not sofia gateways. `$${...}` variables are expanded by
// FreeSWITCH's pre-processor from vars.xml (freeswitch-conf/vars.xml sets them).
import type { Gateway } from '../../db/repos/gateways.js';
import { documentXml, escapeLiteral, literalParam, param } from './xml.js';

/** Our codec names (spec 一.15) in FreeSWITCH's spelling. */
const FS_CODECS: Record<string, string> = {
  G711: 'PCMU,PCMA',
  G722: 'G722',
  G726: 'G726-32',
  'G723.1': 'G723',
  G729: 'G729',
  GSM: 'GSM',
  iLBC: 'iLBC',
  iSAC: 'iSAC',
  CODEC2: 'CODEC2',
  Speex: 'SPEEX',
  SILK: 'SILK',
  GELT: 'GELT',
  OPUS: 'opus',
};

export function gatewayXml(g: Gateway): string {
  const register = Boolean(g.username && g.password);
  const lines = [
    `          <gateway name="${escapeLiteral(g.gwCode)}">`,
    literalParam('realm', g.realm, '            '),
    literalParam('proxy', g.realm, '            '),
    param('register', register, '            '),
    param('caller-id-in-from', true, '            '),
    param('ping', 30, '            '),
  ];
  // Every value below is the API's data: escapeLiteral keeps `$${...}` and control characters out of the config.
  if (g.username) lines.push(literalParam('username', g.username, '            '));
  if (g.password) lines.push(literalParam('password', g.password, '            '));
  if (g.originationCallId) lines.push(literalParam('from-user', g.originationCallId, '            '));
  const vars: string[] = [
    `              <variable name="cc_gateway" value="${escapeLiteral(g.gwCode)}" direction="inbound"/>`,
  ];
  if (g.codec) {
    const codecs = g.codec
      .split(',')
      .map((c) => FS_CODECS[c] ?? c)
      .join(',');
    vars.push(
      `              <variable name="absolute_codec_string" value="${escapeLiteral(codecs)}" direction="outbound"/>`,
    );
  }
  lines.push('            <variables>', ...vars, '            </variables>', '          </gateway>');
  return lines.join('\n');
}

export function sofiaConfXml(gateways: Gateway[]): string {
  const active = gateways.filter((g) => g.status === 1 && g.registerType === 1);
  // The same settings as freeswitch-conf/callcenter/internal-profile.xml (a test keeps the two equal), over the
  // few vanilla ones a complete profile needs. The register ACL stays `none`: an address matching
  // apply-register-acl registers without a password and every other address gets 403 (sofia_reg.c).
  const internal = [
    ['user-agent-string', 'callcenter'],
    ['context', 'default'],
    ['sip-port', '$${internal_sip_port}'],
    ['dialplan', 'XML'],
    ['codec-prefs', '$${global_codec_prefs}'],
    ['inbound-codec-negotiation', 'generous'],
    ['challenge-realm', 'auto_from'],
    ['rtp-timeout-sec', '300'],
    ['rtp-hold-timeout-sec', '1800'],
    ['manage-presence', 'false'],
    ['nonce-ttl', '60'],
    ['sip-ip', '$${cc_sip_ip}'],
    ['rtp-ip', '$${cc_sip_ip}'],
    ['ext-sip-ip', '$${cc_ext_ip}'],
    ['ext-rtp-ip', '$${cc_ext_ip}'],
    ['ws-binding', ':$${cc_ws_port}'],
    ['wss-binding', ':$${cc_wss_port}'],
    ['tls-cert-dir', '$${cc_tls_cert_dir}'],
    ['apply-candidate-acl', '$${cc_candidate_acl}'],
    ['apply-candidate-acl', 'wan.auto'],
    ['apply-register-acl', 'none'],
    ['auth-calls', 'true'],
    ['inbound-reg-force-matching-username', 'true'],
    ['force-register-domain', '$${cc_sip_domain}'],
    ['force-register-db-domain', '$${cc_sip_domain}'],
    ['force-subscription-domain', '$${cc_sip_domain}'],
    ['NDLB-force-rport', 'true'],
    ['record-path', '$${cc_recordings_dir}'],
  ];
  const external = [
    ['user-agent-string', 'callcenter'],
    ['context', 'public'],
    ['sip-ip', '$${cc_sip_ip}'],
    ['sip-port', '$${external_sip_port}'],
    ['rtp-ip', '$${cc_sip_ip}'],
    ['ext-rtp-ip', '$${cc_ext_ip}'],
    ['ext-sip-ip', '$${cc_ext_ip}'],
    ['codec-prefs', '$${outbound_codec_prefs}'],
    ['inbound-codec-negotiation', 'generous'],
    ['dialplan', 'XML'],
    ['auth-calls', 'false'],
    ['caller-id-type', 'pid'],
    ['rtp-timeout-sec', '300'],
    ['manage-presence', 'false'],
  ];
  const settings = (rows: string[][]) => rows.map(([k, v]) => param(k, v, '          ')).join('\n');
  return documentXml(
    'configuration',
    `    <configuration name="sofia.conf" description="sofia Endpoint (callcenter)">
      <global_settings>
${param('log-level', 0, '        ')}
${param('debug-presence', 0, '        ')}
      </global_settings>
      <profiles>
        <profile name="internal">
          <domains><domain name="all" alias="true" parse="false"/></domains>
          <settings>
${settings(internal)}
          </settings>
        </profile>
        <profile name="external">
          <gateways>
${active.map(gatewayXml).join('\n')}
          </gateways>
          <domains><domain name="all" alias="false" parse="false"/></domains>
          <settings>
${settings(external)}
          </settings>
        </profile>
      </profiles>
    </configuration>`,
  );
}
