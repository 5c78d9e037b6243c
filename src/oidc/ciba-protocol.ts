// CIBA's protocol edges oidc-provider leaves to the deployment, as post-processing middleware (the provider's
// documented extension point): the poll interval and slow_down (it implements neither), unauthorized_client for a
// client not approved for CIBA (it answers invalid_request), and discovery's user_code flag.
import type { Kysely } from 'kysely';
import type Provider from 'oidc-provider';
import type { Schema } from '../db/schema.ts';
import { notePoll } from '../devices/ciba-requests.ts';
import { CIBA_GRANT } from './ciba.ts';

type Body = Record<string, unknown>;

export function cibaProtocol(provider: Provider, deps: { db: Kysely<Schema>; now: () => Date; pollIntervalSeconds: number }): void {
  provider.use(async (ctx, next) => {
    await next();
    const route = ctx.oidc?.route;
    const body = ctx.body && typeof ctx.body === 'object' && !Buffer.isBuffer(ctx.body) ? (ctx.body as Body) : undefined;
    if (!route || !body) return;
    const client = ctx.oidc.client;

    if (route === 'backchannel_authentication') {
      // CIBA Core §13: unauthorized_client is the answer for a client not allowed this flow.
      if (ctx.status === 400 && client && !client.grantTypeAllowed(CIBA_GRANT)) {
        ctx.body = {
          error: 'unauthorized_client',
          error_description: `this client is not approved for CIBA: its registration has no ${CIBA_GRANT} grant type (an operator approves it with the client's registration)`,
        };
      } else if (ctx.status === 200) {
        // CIBA Core §7.3: the interval is given to poll and ping clients alike (a pinged client may poll too).
        ctx.body = { ...body, interval: deps.pollIntervalSeconds };
      }
      return;
    }

    if (route === 'token' && body.error === 'authorization_pending' && ctx.oidc.params?.grant_type === CIBA_GRANT) {
      const authReqId = ctx.oidc.params.auth_req_id;
      const pace = typeof authReqId === 'string' ? await notePoll(deps.db, authReqId, deps.now()) : undefined;
      if (pace?.tooSoon) {
        ctx.body = { error: 'slow_down', error_description: `polling too fast: wait at least ${pace.interval} seconds between token requests for this auth_req_id` };
      }
      return;
    }

    // oidc-provider announces user_code support whenever CIBA is on; this provider refuses user_code (ciba.ts).
    if (route === 'discovery' && body.backchannel_authentication_endpoint) {
      ctx.body = { ...body, backchannel_user_code_parameter_supported: false };
    }
  });
}
