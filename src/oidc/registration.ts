// The provider's slice for self-service registration in the developer sandbox: OpenID Connect Dynamic Client
// Registration 1.0 with RFC 7592 management. Whatever the request says, what it creates is a 'sandbox' client:
// it sees sandbox citizens only (findAccount in provider.ts), and its pairwise sector is the registry's.
import { randomBytes } from 'node:crypto';
import { errors, type Configuration, type default as Provider } from 'oidc-provider';
import { hashOfMarker } from '../clients/secrets.ts';
import { CATALOGUE } from './claims.ts';
import { invalidRedirectUri } from './client-internals.ts';
import { assignSector } from './sectors.ts';

/** The prefix of every registered client's id: a sandbox client is recognisable in logs and tokens. */
export const REGISTERED_CLIENT_PREFIX = 'sandbox-';
/** The scopes a registered client gets when it names none: everything the catalogue has. */
const ALL_SCOPES = ['openid', 'offline_access', ...Object.keys(CATALOGUE).filter((scope) => scope !== 'openid')].join(' ');

export function sandboxRegistration(issuer: string) {
  const features: Pick<NonNullable<Configuration['features']>, 'registration' | 'registrationManagement'> = {
    // Open registration (no initial access token): the sandbox is for trying things, and its clients see only
    // synthetic citizens.
    registration: {
      enabled: true,
      initialAccessToken: false,
      idFactory: () => `${REGISTERED_CLIENT_PREFIX}${randomBytes(12).toString('base64url')}`,
    },
    registrationManagement: { enabled: true, rotateRegistrationAccessToken: false },
  };

  /** Runs for each extra metadata key during registration and update (extraClientMetadata.validator). */
  function validate(key: string, value: unknown, metadata: Record<string, unknown>) {
    // oidc-provider parses every redirect URI for its host before it checks that they are URLs
    // (lib/helpers/client_schema.js, whens()): an unparseable one would be a 500 there, so it is refused here.
    const uris = metadata.redirect_uris;
    if (Array.isArray(uris)) {
      const bad = uris.find((uri) => typeof uri !== 'string' || !URL.canParse(uri));
      if (bad !== undefined) throw invalidRedirectUri(`redirect_uris must only contain valid URLs (${JSON.stringify(bad)} is not one)`);
    }
    switch (key) {
      case 'profile':
        if (value !== undefined && value !== 'sandbox') {
          throw new errors.InvalidClientMetadata(`profile: registration creates "sandbox" clients only (got ${JSON.stringify(value)}); other profiles are set up by an operator`);
        }
        metadata.profile = 'sandbox';
        if (metadata.scope === undefined) metadata.scope = ALL_SCOPES;
        break;
      case 'assurance_level':
        // Sandbox clients may try level 2 (the validator after this one refuses anything but 1 or 2).
        if (value === undefined) metadata.assurance_level = 2;
        break;
      case 'sector_identifier': {
        assignSector(metadata, issuer);
        if (value !== undefined && value !== metadata.sector_identifier) {
          throw new errors.InvalidClientMetadata(`sector_identifier is assigned by the registry (here ${String(metadata.sector_identifier)}, the host of the first redirect URI); leave it out`);
        }
        break;
      }
    }
  }

  return { features, validate };
}

/**
 * The registry keeps only a hash of a client's secret, so registration management (GET and PUT on the client's
 * registration_client_uri) would answer with the hash marker as `client_secret`: it is left out instead (the secret
 * is shown once, at registration; a PUT without `client_secret` keeps it).
 */
export function hideStoredSecrets(provider: Provider): void {
  provider.use(async (ctx, next) => {
    await next();
    const route = (ctx as { oidc?: { route?: string } }).oidc?.route;
    const body = ctx.body as Record<string, unknown> | undefined;
    if ((route === 'client' || route === 'client_update') && body && typeof body === 'object' && hashOfMarker(body.client_secret as string | undefined) !== undefined) {
      delete body.client_secret;
    }
  });
}
