// The provider configured as the server configures it, for judging client metadata outside a running server
// (the CLI registers clients while the provider may be stopped). It serves nothing and renders no page.
import type { Kysely } from 'kysely';
import { accountServices } from '../accounts/services.ts';
import type { Config } from '../config.ts';
import type { Schema } from '../db/schema.ts';
import { newClientRules } from './bank-profile.ts';
import { clientMetadataValidator } from './client-internals.ts';
import { endAccountSessions } from './grants.ts';
import { loadOrCreateKeys } from './keys.ts';
import { createProvider } from './provider.ts';
import { relyingPartiesQueries } from './relying-parties.ts';

export async function providerForValidation(db: Kysely<Schema>, config: Config) {
  const keys = await loadOrCreateKeys(db);
  const services = accountServices(db, config, { secret: keys.cookie[0]!, now: () => new Date(), endSessions: endAccountSessions });
  const unused = async () => '';
  const provider = createProvider({
    issuer: config.issuer,
    db,
    keys,
    accounts: services.accounts,
    relyingParties: relyingPartiesQueries(db),
    pages: { error: unused, logout: unused, loggedOut: unused },
    trustProxy: false,
    allowPrivateNetworks: config.outbound.allowPrivateNetworks,
    httpsRedirectsOnly: config.env === 'production',
  });
  return clientMetadataValidator(provider, newClientRules({ httpsRedirectsOnly: config.env === 'production' }));
}
