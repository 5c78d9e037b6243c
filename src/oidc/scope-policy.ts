// Scopes beyond a relying party's approval are refused (invalid_scope, the default) or, when its registration
// says scope_policy "trim", quietly dropped from the request: the service gets what it is approved for.
import type Provider from 'oidc-provider';
import type { RelyingParties } from './relying-parties.ts';

/**
 * A pre-processing middleware (the provider's documented extension point) on front-channel authorization
 * requests (GET /auth). Requests sent as a form post or pushed (PAR) are always checked strictly.
 */
export function trimScopesForTrimmingClients(provider: Provider, relyingParties: RelyingParties, authorizationPath = '/auth') {
  provider.use(async (ctx, next) => {
    if (ctx.method === 'GET' && ctx.path === authorizationPath && typeof ctx.query.client_id === 'string' && typeof ctx.query.scope === 'string') {
      const metadata = await relyingParties.find(ctx.query.client_id);
      if (metadata?.scope_policy === 'trim' && typeof metadata.scope === 'string') {
        const approved = new Set(metadata.scope.split(' '));
        const query = new URLSearchParams(ctx.querystring);
        query.set('scope', ctx.query.scope.split(' ').filter((scope) => approved.has(scope)).join(' '));
        ctx.querystring = query.toString();
      }
    }
    await next();
  });
}
