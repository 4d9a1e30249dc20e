// The signed business API (spec section 一): one plugin per resource, all behind the signature check.
import type { FastifyPluginAsync } from 'fastify';
import type { ApiContext } from '../context.js';
import { verifySignedRequest } from '../auth.js';
import { gatewayRoutes } from './gateways.js';

export const signedApi: FastifyPluginAsync<{
  ctx: ApiContext;
  extra?: FastifyPluginAsync<{ ctx: ApiContext }>[];
}> = async (app, { ctx, extra = [] }) => {
  app.addHook('onRequest', async (request) => {
    const account = verifySignedRequest(request, {
      accounts: ctx.repos.accounts,
      clock: ctx.clock,
      windowMs: ctx.config.signWindowMs,
    });
    request.log.debug({ account: account.account }, 'signed request');
  });
  await app.register(gatewayRoutes, { ctx });
  for (const plugin of extra) await app.register(plugin, { ctx });
};
