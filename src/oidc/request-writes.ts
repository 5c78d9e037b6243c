// The provider's requests write what they change once, when the provider is done with them: a resume that ends an
// interaction, starts the next and saves the session is one call, not four round trips (src/oidc/request-memo.ts holds
// the writes, src/oidc/adapter.ts writes them). Nothing is answered before it is written, and a request's writes
// land together or not at all.
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { isDatabaseUnavailable } from '../db/unavailable.ts';
import type { ProviderPages } from './provider.ts';
import { holdWrites, writeHeldAndStop } from './request-memo.ts';

const NOT_SAVED = { error: 'server_error', error_description: 'the request could not be saved; please try again' } as const;

/** Registers the middleware; innermost of ours, so what it writes is written before any other of ours sees the answer. */
export function writeOncePerRequest(provider: Provider, errorPage: ProviderPages['error']) {
  provider.use(async (ctx, next) => {
    holdWrites();
    try {
      await next();
    } catch (error) {
      // As before the writes were held: what the request did before it failed stays done.
      await writeHeldAndStop().catch(() => undefined);
      throw error;
    }
    try {
      await writeHeldAndStop();
    } catch (error) {
      // The answer the provider had ready (a redirect with a code, a token) would name what was not saved. Nor
      // does the browser change what it holds: its cookies still name the state that is still there, so a
      // reload of the same address tries again.
      ctx.remove('Location');
      ctx.remove('Set-Cookie');
      // A database outage is the outage middleware's (src/outage.ts): a 503 with Retry-After.
      if (isDatabaseUnavailable(error)) throw error;
      provider.emit('server_error', ctx, error);
      const forPeople = typeof ctx.body === 'string' || (ctx.status >= 300 && ctx.status < 400);
      ctx.status = 500;
      ctx.set('Cache-Control', 'no-store');
      if (forPeople) {
        ctx.type = 'html';
        ctx.body = await errorPage(ctx as KoaContextWithOIDC, { ...NOT_SAVED });
      } else {
        ctx.body = { ...NOT_SAVED };
      }
    }
  });
}
