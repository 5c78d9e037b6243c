// Tokens issued, by grant type, from the provider's public 'grant.success' event (lib/actions/token.js emits it
// once the grant's handler has set the response body). Only the names of the tokens in the body are read.
import type Provider from 'oidc-provider';
import type { Metrics } from './metrics.ts';

// The grant types oidc-provider can handle; anything else (it would never succeed) is "other", for a bounded label.
const GRANT_TYPES = new Set([
  'authorization_code',
  'refresh_token',
  'client_credentials',
  'urn:ietf:params:oauth:grant-type:device_code',
  'urn:openid:params:grant-type:ciba',
  'urn:ietf:params:oauth:grant-type:token-exchange',
]);
const TOKENS = ['access_token', 'id_token', 'refresh_token'] as const;

export function countTokens(provider: Provider, metrics: Metrics) {
  provider.on('grant.success', (ctx) => {
    const asked: unknown = ctx.oidc.params?.grant_type;
    const grantType = typeof asked === 'string' && GRANT_TYPES.has(asked) ? asked : 'other';
    const body = ctx.body as Record<string, unknown> | undefined;
    for (const token of TOKENS) {
      if (typeof body?.[token] === 'string') metrics.tokens.inc({ grant_type: grantType, token });
    }
  });
}
