// Endpoints FreeSWITCH itself calls: mod_xml_curl (configuration, directory). Reachable only from the FreeSWITCH
// nodes (their ESL host addresses, plus CC_FS_HTTP_ALLOW) and only with HTTP basic credentials `freeswitch:<secret>`
// (xml_curl's gateway-credentials / xml_cdr's cred). A server without a secret refuses them all (http-secret.ts
// gives main.ts one), since any local process could otherwise read every SIP password.
import { timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { FsHttpPath } from '../../core/freeswitch.js';
import type { ApiContext } from '../context.js';
import { normalizeIp } from '../auth.js';
import { NOT_FOUND_XML } from './xml.js';
import { sofiaGatewaysXml } from './sofia-conf.js';

interface DirectoryQuery {
  user?: string;
  domain?: string;
  action?: string;
  purpose?: string;
  /** The FreeSWITCH node's address as it connected to us. */
  from: string;
}
/** Answers a directory lookup with a complete freeswitch/xml document, or null for "not found". */
export type DirectoryLookup = (q: DirectoryQuery) => Promise<string | null>;

type FsBody = Record<string, string | undefined>;

/**
 * The string fields of a request body. FreeSWITCH posts forms, but the app parses JSON too, where a field may be
 * an array or an object; those are not what FreeSWITCH sends and are dropped rather than reaching string code.
 */
export function fsFields(body: unknown): FsBody {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return {};
  return Object.fromEntries(
    Object.entries(body).filter((e): e is [string, string] => typeof e[1] === 'string'),
  );
}

export function fsAccessGuard(ctx: ApiContext) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const ip = normalizeIp(request.ip);
    const allowed = new Set(['127.0.0.1', '::1', ...ctx.config.fsHttpAllow]);
    for (const n of await ctx.repos.nodes.active()) allowed.add(n.eslHost);
    if (!allowed.has(ip)) {
      request.log.warn({ ip }, 'FreeSWITCH endpoint refused: address not allowed');
      await reply.status(403).type('text/plain').send(`address ${ip} is not a FreeSWITCH node`);
      return;
    }
    const secret = ctx.config.fsHttpSecret;
    if (!secret) {
      request.log.error('FreeSWITCH endpoint refused: no CC_FS_HTTP_SECRET is configured');
      await reply.status(503).type('text/plain').send('no FreeSWITCH HTTP secret is configured');
      return;
    }
    const expected = Buffer.from(`Basic ${Buffer.from(`freeswitch:${secret}`).toString('base64')}`);
    const got = Buffer.from(request.headers.authorization ?? '');
    if (got.length !== expected.length || !timingSafeEqual(got, expected)) {
      request.log.warn({ ip }, 'FreeSWITCH endpoint refused: wrong or missing credentials');
      await reply
        .status(401)
        .header('www-authenticate', 'Basic realm="callcenter"')
        .type('text/plain')
        .send('credentials required');
    }
  };
}

export const freeswitchRoutes: FastifyPluginAsync<{ ctx: ApiContext; directory: DirectoryLookup }> = async (
  app,
  { ctx, directory },
) => {
  app.addHook('onRequest', fsAccessGuard(ctx));
  const xml = (reply: FastifyReply, body: string) => reply.type('text/xml; charset=utf-8').send(body);

  app.post<{ Body: unknown }>(
    FsHttpPath.xmlCurlConfiguration,
    { schema: { hide: true } },
    async (req, reply) => {
      const b = fsFields(req.body);
      // A rescan of the external profile reads only its gateways from us (sofia-conf.ts); every other lookup,
      // sofia.conf at start-up included, comes from FreeSWITCH's own disk.
      if (b.section === 'configuration' && b.key_value === 'sofia.conf' && b.profile === 'external')
        return xml(reply, sofiaGatewaysXml(await ctx.repos.gateways.enabled()));
      return xml(reply, NOT_FOUND_XML);
    },
  );

  app.post<{ Body: unknown }>(FsHttpPath.xmlCurlDirectory, { schema: { hide: true } }, async (req, reply) => {
    const b = fsFields(req.body);
    if (b.section !== 'directory') return xml(reply, NOT_FOUND_XML);
    const answer = await directory({
      user: b.user,
      domain: b.domain,
      action: b.action,
      purpose: b.purpose,
      from: normalizeIp(req.ip),
    });
    return xml(reply, answer ?? NOT_FOUND_XML);
  });
};
