// The one place outside the provider's own routes that reads its browser session, for the citizen's
// self-service page. It relies on oidc-provider internals:
//   lib/models/session.js `static async get(ctx)` (reads the `_session` cookie, finds the Session model)
//   Koa's `app.createContext(req, res)` (the provider is a Koa application).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';

/** The account signed in to the provider in this browser, if any (expired sessions count as none). */
export async function sessionAccountId(provider: Provider, req: IncomingMessage, res: ServerResponse): Promise<string | undefined> {
  const ctx = provider.createContext(req, res);
  const session = await provider.Session.get(ctx as never);
  return session.accountId ?? undefined;
}
