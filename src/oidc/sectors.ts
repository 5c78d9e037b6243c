// Pairwise sectors for clients whose redirect URIs span several hosts (ports count). OpenID Connect wants a
// sector_identifier_uri then; the registry assigns one under our own issuer, serves it, and the provider need not
// fetch it. The pairwise `sub` follows the registry's `sector_identifier` (see pairwiseIdentifier in provider.ts).
import type { FastifyInstance } from 'fastify';
import type { ClientMetadata } from 'oidc-provider';
import { CIBA_GRANT } from './ciba.ts';
import type { RelyingParties } from './relying-parties.ts';

export const SECTOR_PATH = '/sectors';

/**
 * The sector_identifier_uri the registry assigns to a client. oidc-provider accepts only https sector URIs
 * (lib/consts/client_attributes.js, HTTPS_URI), so under a plain-http development issuer the URI names its https
 * form; it is never fetched (see isOwnSectorUri), and the same path is served by the issuer itself.
 */
export function ownSectorUri(issuer: string, clientId: string): string {
  const url = new URL(`${issuer}${SECTOR_PATH}/${encodeURIComponent(clientId)}`);
  url.protocol = 'https:';
  return url.href;
}

/**
 * Whether a client's sector_identifier_uri is the one the registry assigned to it (then the provider skips fetching
 * it). Any other URI, one under our issuer naming another client included, is fetched and checked as usual.
 */
export function isOwnSectorUri(issuer: string, uri: string | undefined, clientId: string): boolean {
  return uri !== undefined && uri === ownSectorUri(issuer, clientId);
}

const hostOf = (uri: unknown) => (typeof uri === 'string' && URL.canParse(uri) ? new URL(uri).host : undefined);

/**
 * Gives a client its pairwise sector: the host of its first redirect URI (so the `sub` of a single-host client is
 * what it always was), and, when its redirect URIs span several hosts and it brought no sector_identifier_uri of
 * its own, one under our issuer. A pairwise CIBA client that also signs citizens in through redirects needs one
 * whatever its hosts (oidc-provider's client schema requires it; CIBA Core §4). Mutates and returns the metadata.
 */
export function assignSector<T extends Partial<ClientMetadata>>(metadata: T, issuer: string): T {
  const uris = Array.isArray(metadata.redirect_uris) ? metadata.redirect_uris : [];
  const hosts = new Set(uris.map(hostOf).filter(Boolean));
  const first = hostOf(uris[0]);
  if (first) (metadata as Record<string, unknown>).sector_identifier = first;
  const ciba = Array.isArray(metadata.grant_types) && metadata.grant_types.includes(CIBA_GRANT) && metadata.subject_type !== 'public';
  if ((hosts.size > 1 || (ciba && hosts.size > 0)) && !metadata.sector_identifier_uri && typeof metadata.client_id === 'string') {
    metadata.sector_identifier_uri = ownSectorUri(issuer, metadata.client_id);
  }
  return metadata;
}

/** GET /sectors/:clientId: the JSON array of redirect URIs behind a sector the registry assigned (the spec's form). */
export async function sectorRoutes(app: FastifyInstance, options: { issuer: string; relyingParties: RelyingParties }) {
  app.get<{ Params: { clientId: string } }>(`${SECTOR_PATH}/:clientId`, async (request, reply) => {
    const client = await options.relyingParties.find(request.params.clientId);
    if (!client || client.sector_identifier_uri !== ownSectorUri(options.issuer, request.params.clientId)) {
      return reply.code(404).send({ error: 'not_found', error_description: `no sector is assigned to client ${request.params.clientId}` });
    }
    return reply.header('cache-control', 'no-cache').send(client.redirect_uris ?? []);
  });
}
