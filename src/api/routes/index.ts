// The signed business API (spec section 一): one plugin per resource, all behind the signature check.
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { ApiContext } from '../context.js';
import { markSignedBy, verifySignedRequest, type PendingStrictSign } from '../auth.js';
import { NonceCache, verifyStrictSign } from '../strict-sign.js';
import { markSigned } from '../openapi.js';
import { gatewayRoutes } from './gateways.js';

export const signedApi: FastifyPluginAsync<{
  ctx: ApiContext;
  extra?: FastifyPluginAsync<{ ctx: ApiContext }>[];
}> = async (app, { ctx, extra = [] }) => {
  const strict = new WeakMap<FastifyRequest, PendingStrictSign>();
  const nonces = new NonceCache(ctx.config.signWindowMs);
  app.addHook('onRoute', markSigned);
  app.addHook('onRequest', async (request) => {
    const verified = await verifySignedRequest(request, {
      accounts: ctx.repos.accounts,
      clock: ctx.clock,
      windowMs: ctx.config.signWindowMs,
    });
    if (verified.strict) strict.set(request, verified.strict);
    else markSignedBy(request, verified.account.account);
    request.log.debug({ account: verified.account.account }, 'signed request');
  });
  app.addHook('preParsing', async (request, _reply, payload) => {
    const pending = strict.get(request);
    if (!pending) return payload;
    const body = await verifyStrictSign(request, payload, pending, {
      clock: ctx.clock,
      nonces,
      bodyLimit: app.initialConfig.bodyLimit ?? 1024 * 1024,
    });
    markSignedBy(request, pending.account.account);
    return body;
  });
  await app.register(gatewayRoutes, { ctx });
  for (const plugin of extra) await app.register(plugin, { ctx });
};
