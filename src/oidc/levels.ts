// Assurance levels: what a relying party asks for (acr_values, an essential acr claim) and what a session reached.
import { ACR, ACR_VALUES } from './claims.ts';

export type Level = 1 | 2;

export function levelOfAcr(acr: unknown): Level | undefined {
  if (acr === ACR.level1) return 1;
  if (acr === ACR.level2) return 2;
  return undefined;
}

const lowest = (acrs: unknown[]): Level | undefined => {
  const levels = acrs.map(levelOfAcr).filter((l): l is Level => l !== undefined);
  return levels.length ? (Math.min(...levels) as Level) : undefined;
};

type AcrRequest = { essential?: unknown; value?: unknown; values?: unknown } | null | undefined;

/**
 * The level a request needs: the lowest level it lists as acceptable, from acr_values and from an acr claim
 * requested in id_token or userinfo (the stricter of the sources wins). Unknown values are ignored.
 */
export function requiredLevel(params: { acr_values?: unknown; claims?: unknown }): Level | undefined {
  const needs: Level[] = [];
  if (typeof params.acr_values === 'string') {
    const level = lowest(params.acr_values.split(' '));
    if (level) needs.push(level);
  }
  const claims = parseClaims(params.claims);
  for (const request of [claims?.id_token?.acr, claims?.userinfo?.acr] as AcrRequest[]) {
    if (!request || typeof request !== 'object') continue;
    const listed = Array.isArray(request.values) ? request.values : request.value !== undefined ? [request.value] : [];
    const level = lowest(listed);
    if (level) needs.push(level);
  }
  return needs.length ? (Math.max(...needs) as Level) : undefined;
}

/**
 * Why a request cannot be met at all: an acr claim requested as essential whose values name no level this provider
 * has. OpenID Connect Core 5.5.1.1 makes that a failed authentication, never a token at another level.
 */
export function unmetEssentialAcr(claims: unknown): string | undefined {
  const parsed = parseClaims(claims);
  for (const target of ['id_token', 'userinfo'] as const) {
    const request = parsed?.[target]?.acr as AcrRequest;
    if (!request || typeof request !== 'object' || request.essential !== true) continue;
    const listed = Array.isArray(request.values) ? request.values : request.value !== undefined ? [request.value] : [];
    if (listed.length && lowest(listed) === undefined) {
      return `claims.${target}.acr is essential but names no level this provider has (${ACR_VALUES.join(', ')})`;
    }
  }
  return undefined;
}

function parseClaims(claims: unknown): { id_token?: Record<string, unknown>; userinfo?: Record<string, unknown> } | undefined {
  if (typeof claims === 'string') {
    try {
      return JSON.parse(claims) as ReturnType<typeof parseClaims>;
    } catch {
      return undefined; // the provider itself rejects a malformed claims parameter
    }
  }
  return claims && typeof claims === 'object' ? (claims as ReturnType<typeof parseClaims>) : undefined;
}

/** The highest level a relying party is approved for (client metadata `assurance_level`, default 1). */
export function approvedLevel(client: { readonly [metadata: string]: unknown } | undefined): Level {
  // Extra metadata stays on the client under its own name; metadata() would rebuild every field on each call.
  return client?.['assurance_level'] === 2 ? 2 : 1;
}
