// APIs for services (RFC 8707 resource indicators): the provider's slice that reads resource servers and each
// client's access to them from the registry (src/clients/resource-servers.ts), and who may introspect what.
import { errors, type Client, type KoaContextWithOIDC, type ResourceServer } from 'oidc-provider';
import type { Kysely } from 'kysely';
import { grantedResources, introspectsFor, resourceAccess } from '../clients/resource-servers.ts';
import type { Schema } from '../db/schema.ts';

/** Access tokens for a 'jwt' resource server: RFC 9068 (`typ: at+jwt`), signed with the provider's ES256 key. */
const JWT_ACCESS_TOKEN = { sign: { alg: 'ES256' } } as const;

const isClientCredentials = (ctx: KoaContextWithOIDC) => ctx.oidc.route === 'token' && ctx.oidc.params?.grant_type === 'client_credentials';
const requestedScopes = (ctx: KoaContextWithOIDC) => String(ctx.oidc.params?.scope ?? '').split(' ').filter(Boolean);

/**
 * oidcScopes: the provider's OpenID Connect scopes (the citizen's data), never API scopes even when an API
 * were registered with one of those names.
 */
export function resourceIndicatorsFeature(db: Kysely<Schema>, oidcScopes: readonly string[], access: (clientId: string, resource: string) => ReturnType<typeof resourceAccess> = (clientId, resource) => resourceAccess(db, clientId, resource)) {
  const reserved = new Set(oidcScopes);

  return {
    enabled: true as const,

    /**
     * No resource named: a user-facing flow gets what it gets today (an opaque token for userinfo). A service
     * with access to exactly one API gets a token for it; one asking for API scopes without saying for which
     * API is told to. Several candidates at the token endpoint stay unresolved, so the client must choose.
     */
    async defaultResource(ctx: KoaContextWithOIDC, client: Client, oneOf?: readonly string[]) {
      if (oneOf) return oneOf;
      if (!isClientCredentials(ctx)) return undefined;
      const granted = await grantedResources(db, client.clientId);
      if (granted.length === 1) return granted[0];
      const apiScope = requestedScopes(ctx).find((scope) => !reserved.has(scope));
      if (apiScope && granted.length) {
        throw new errors.InvalidTarget(`scope ${apiScope} is an API scope: name the API with the resource parameter (this client has access to ${granted.join(', ')})`);
      }
      if (apiScope) throw new errors.InvalidScope(`scope ${apiScope} is not allowed: this client has access to no API`, apiScope);
      return undefined;
    },

    async getResourceServerInfo(ctx: KoaContextWithOIDC, resource: string, client: Client): Promise<ResourceServer> {
      const { server, scopes } = await access(client.clientId, resource);
      if (!server) throw new errors.InvalidTarget(`resource ${resource} is not a registered API`);
      if (!scopes) throw new errors.InvalidTarget(`this client has no access to resource ${resource}`);
      // A loop: the cached list is frozen, and V8's Array#filter on a frozen array takes a slow path (5 times slower).
      const allowed: string[] = [];
      for (const scope of scopes) if (!reserved.has(scope)) allowed.push(scope);

      // The provider would quietly drop scopes the API does not offer this client; a service is told instead,
      // and one that asks for none gets all it may have (RFC 6749 3.3's pre-defined default).
      if (isClientCredentials(ctx)) {
        // Checked here, before one API's default scopes are taken for a request to another.
        if (Array.isArray(ctx.oidc.params?.resource) && ctx.oidc.params.resource.length > 1) {
          throw new errors.InvalidTarget('only a single resource indicator value is supported for this grant type');
        }
        const asked = requestedScopes(ctx);
        const beyond = asked.find((scope) => !allowed.includes(scope));
        if (beyond) throw new errors.InvalidScope(`scope ${beyond} is not allowed for this client at resource ${resource}`, beyond);
        if (!asked.length && allowed.length) ctx.oidc.params!.scope = allowed.join(' ');
      }

      const info: ResourceServer = { scope: allowed.join(' '), audience: resource, accessTokenTTL: server.accessTokenTtl, accessTokenFormat: server.accessTokenFormat };
      if (server.accessTokenFormat === 'jwt') info.jwt = JWT_ACCESS_TOKEN;
      return info;
    },

    // A code or refresh token with `openid` redeemed without `resource` gives an access token for userinfo, as
    // before resource indicators existed; a relying party wanting the API's token names it at the token endpoint.
    async useGrantedResource() {
      return false;
    },
  };
}

/** An access token for an API lives as long as that API is registered for; any other as configured. */
export function apiTokenTtl(seconds: number) {
  return (_ctx: KoaContextWithOIDC, token: { resourceServer?: { accessTokenTTL?: number | undefined } | undefined }) => token.resourceServer?.accessTokenTTL ?? seconds;
}

/**
 * Introspection, least privilege: a client learns about the tokens issued to itself, and a resource server's
 * own client (resource_servers.introspection_client_id, profile 'service') about tokens whose audience is that
 * resource server. Everyone else gets { active: false }.
 */
export function introspectionPolicy(db: Kysely<Schema>) {
  return async (_ctx: KoaContextWithOIDC, client: Client, token: { clientId?: string | undefined; aud?: string | string[] | undefined }) => {
    if (token.clientId === client.clientId) return true;
    if (typeof token.aud !== 'string' || client['profile'] !== 'service') return false;
    return introspectsFor(db, client.clientId, token.aud);
  };
}
