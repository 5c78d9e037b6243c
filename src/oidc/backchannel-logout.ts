// OpenID Connect Back-Channel Logout beyond the provider's own sign-out: a logout token to each relying party
// whose grant ended because the citizen revoked it on /account, an officer locked or revoked the account, or a
// password change ended its sessions. (At end_session the provider sends them itself; its failures are logged here.)
import type { Kysely } from 'kysely';
import type Provider from 'oidc-provider';
import type { Logger } from 'pino';
import type { EndSessions } from '../accounts/lifecycle.ts';
import type { Background } from '../background.ts';
import type { Schema } from '../db/schema.ts';
import { endAccountSessions, logoutTargets, revokeClientGrants, type LogoutTarget } from './grants.ts';

export interface BackchannelLogout {
  /** Gives the provider that signs and sends the logout tokens (it is built after the account services). */
  attach(provider: Provider): void;
  /** For accounts/lifecycle.ts: ends everything the account holds; once committed, tells every relying party that held a grant. */
  endAccountSessions: EndSessions;
  /** The citizen revoked one service on /account: ends its grants and tells that relying party only. Returns how many grants went. */
  revokeClient(accountId: string, clientId: string): Promise<number>;
}

/**
 * `Client#backchannelLogout(sub, sid)` (oidc-provider lib/models/client.js) builds, signs and POSTs the logout
 * token; its types omit it. `sub` is the account id: the token's claims go through the provider's pairwise
 * mapping, so each client receives the `sub` it knows.
 */
type LogoutCapableClient = { clientId: string; backchannelLogoutUri?: string | undefined; backchannelLogoutSessionRequired?: boolean | undefined; backchannelLogout(sub: string, sid?: string): Promise<void> };

export function backchannelLogout(deps: { db: Kysely<Schema>; background: Background; logger: Logger }): BackchannelLogout {
  let provider: Provider | undefined;
  // Only the client id: the URI, the account and the session are nobody's business in the log.
  const failed = (clientId: string, trigger: string) => deps.logger.warn({ client: clientId, trigger }, 'back-channel logout failed');

  async function tell(accountId: string, targets: LogoutTarget[], trigger: string) {
    if (!provider) throw new Error('back-channel logout used before a provider was attached');
    const from = provider;
    await Promise.all(
      targets.map(async (target) => {
        let client: LogoutCapableClient | undefined;
        try {
          client = (await from.Client.find(target.clientId)) as unknown as LogoutCapableClient | undefined;
        } catch {
          return failed(target.clientId, trigger);
        }
        if (!client?.backchannelLogoutUri) return;
        // A client that requires `sid` gets one token per session it was part of, and none when no session
        // of the provider's is left to name (a token without `sid` would break its registration).
        const sids = client.backchannelLogoutSessionRequired ? target.sids : [undefined];
        await Promise.all(
          sids.map((sid) => client.backchannelLogout(accountId, sid).catch(() => failed(target.clientId, trigger))),
        );
      }),
    );
  }

  return {
    attach(attached) {
      provider = attached;
      provider.on('backchannel.error', (_ctx, _error, client) => failed(client.clientId, 'sign_out'));
    },

    async endAccountSessions(trx, accountId) {
      const targets = await logoutTargets(trx, accountId);
      await endAccountSessions(trx, accountId);
      // In the background: a slow or failing relying party never holds up (or fails) the officer's answer.
      return () => {
        if (targets.length) deps.background.run('back-channel logout', () => tell(accountId, targets, 'account_ended'));
      };
    },

    async revokeClient(accountId, clientId) {
      const targets = await logoutTargets(deps.db, accountId, clientId);
      const revoked = await revokeClientGrants(deps.db, accountId, clientId);
      if (revoked && targets.length) deps.background.run('back-channel logout', () => tell(accountId, targets, 'service_revoked'));
      return revoked;
    },
  };
}
