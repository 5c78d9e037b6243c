// Token lifetimes (seconds), and from them how long a signing key stays published after it stops signing.

export const DEFAULT_TTL = {
  AccessToken: 600,
  AuthorizationCode: 60,
  ClientCredentials: 600,
  IdToken: 600,
  RefreshToken: 14 * 24 * 3600,
  Grant: 14 * 24 * 3600,
  Session: 24 * 3600,
  Interaction: 15 * 60,
};
export type TokenTtl = typeof DEFAULT_TTL;

/** Instances and relying parties whose clocks disagree by up to this much still agree on a token's validity. */
export const CLOCK_SKEW_SECONDS = 300;

/**
 * How long after a key stops signing a JWT it signed can still be presented for verification: ID tokens and
 * logout tokens (IdToken), JWT access tokens (the configured ones and the longest an API is registered for),
 * and an ID token sent back as id_token_hint at logout, which the provider accepts expired (oidc-provider
 * lib/models/id_token.js validate, ignoreExpiration) for as long as the session it came from lives.
 */
export function verificationWindowSeconds(ttl: TokenTtl, longestApiTokenSeconds = 0): number {
  return Math.max(ttl.IdToken, ttl.AccessToken, ttl.ClientCredentials, ttl.Session, longestApiTokenSeconds) + CLOCK_SKEW_SECONDS;
}
