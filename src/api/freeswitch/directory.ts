// Directory answers for mod_xml_curl: an extension of an active project, with its password and the variables the
// dialplan and our flows read. Disabled, unassigned and finished extensions are "not found", so FreeSWITCH refuses
// their REGISTER and calls.
import { WorkStatus } from '../../core/codes.js';
import { ChannelVar } from '../../core/codes.js';
import type { Repos } from '../../db/repos/index.js';
import type { DirectoryLookup } from './routes.js';
import { documentXml, escapeXml } from './xml.js';

const ROLE: Record<number, string> = { 2: 'agent', 3: 'manager' };

/** FreeSWITCH's usual dial-string: ring every registered contact of the user (what `user/EXT` dials). */
const DIAL_STRING =
  '{^^:sip_invite_domain=${dialed_domain}:presence_id=${dialed_user}@${dialed_domain}}${sofia_contact(*/${dialed_user}@${dialed_domain})}';

export function directoryLookup(repos: Repos): DirectoryLookup {
  return async (q) => {
    if (!q.user || q.purpose === 'gateways' || q.purpose === 'network-list') return null;
    const ext = await repos.extensions.byUsername(q.user);
    if (!ext || ext.projectId === null || ext.workStatus === WorkStatus.disabled) return null;
    const project = await repos.projects.get(ext.projectId);
    if (!project || project.status !== 1) return null;
    const node = await repos.nodes.get(ext.nodeId);
    const domain = q.domain || node?.sipDomain || '';
    const v = (name: string, value: string) =>
      `            <variable name="${escapeXml(name)}" value="${escapeXml(value)}"/>`;
    return documentXml(
      'directory',
      `    <domain name="${escapeXml(domain)}">
      <params>
        <param name="dial-string" value="${escapeXml(DIAL_STRING)}"/>
        <param name="jsonrpc-allowed-methods" value="verto"/>
      </params>
      <groups>
        <group name="default">
          <users>
          <user id="${escapeXml(ext.username)}">
            <params>
              <param name="password" value="${escapeXml(ext.password)}"/>
            </params>
            <variables>
${[
  v('user_context', 'default'),
  v('effective_caller_id_name', ext.username),
  v('effective_caller_id_number', ext.username),
  v(ChannelVar.project, project.projectCode),
  v(ChannelVar.role, ROLE[ext.type] ?? 'agent'),
].join('\n')}
            </variables>
          </user>
          </users>
        </group>
      </groups>
    </domain>`,
    );
  };
}
