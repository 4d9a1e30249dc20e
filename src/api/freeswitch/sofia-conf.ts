// The carriers' gateways we register to (registerType 1), served to mod_xml_curl when FreeSWITCH rescans its
// external profile. Carriers that register to us (registerType 2) are directory users, not sofia gateways.
import { RegisterType } from '../../core/codes.js';
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

function gatewayXml(g: Gateway): string {
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

/**
 * sofia.conf for `sofia profile external rescan` (mod_xml_curl sends `profile=external`): only the carriers' gateways.
 * For a running profile sofia reads nothing but `<gateways>` then, so the profiles themselves stay the ones on disk
 * (vanilla plus freeswitch-conf's fragments: rtp-timer-name, contexts...). Any other sofia.conf request (start-up,
 * `sofia profile X restart`) is answered "not found" by the route, because a document we serve there would replace
 * the whole on-disk file and every profile in it.
 */
export function sofiaGatewaysXml(gateways: Gateway[]): string {
  const active = gateways.filter((g) => g.status === 1 && g.registerType === RegisterType.active);
  return documentXml(
    'configuration',
    `    <configuration name="sofia.conf" description="sofia gateways (callcenter)">
      <profiles>
        <profile name="external">
          <gateways>
${active.map(gatewayXml).join('\n')}
          </gateways>
          <settings/>
        </profile>
      </profiles>
    </configuration>`,
  );
}
