// The reference for item b's CPU figures: oidc-provider alone running the same flow as a sign-in through the full
// provider (authorize → login page → consent page → code → token → userinfo), with its own development
// interactions and in-memory adapter: no password hash, no database, no pages of ours. One client as the sandbox
// one (client_secret_basic, PKCE, RS256 ID tokens), and the same profile claims. `node bench/bare-sign-in-provider.ts
// PORT` prints "ready" once listening.
import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';

import { tuneHeap } from '../src/runtime-tuning.ts';
import { BARE_SIGN_IN_CLIENT, SIGN_IN_REDIRECT } from './bench-service.ts';

tuneHeap();
const port = Number(process.argv[2] ?? 3901);
const rs = await generateKeyPair('RS256', { extractable: true });
const es = await generateKeyPair('ES256', { extractable: true });
const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [{ ...BARE_SIGN_IN_CLIENT, redirect_uris: [SIGN_IN_REDIRECT], grant_types: ['authorization_code'], response_types: ['code'], id_token_signed_response_alg: 'RS256' }],
  jwks: { keys: [{ ...(await exportJWK(rs.privateKey)), alg: 'RS256', use: 'sig', kid: 'rs' }, { ...(await exportJWK(es.privateKey)), alg: 'ES256', use: 'sig', kid: 'es' }] },
  findAccount: (_ctx, sub) => ({ accountId: sub, claims: () => ({ sub, name: 'Nguyễn Văn An', family_name: 'Nguyễn', given_name: 'An', birthdate: '1985-01-01' }) }),
  claims: { openid: ['sub'], profile: ['name', 'family_name', 'given_name', 'birthdate'] },
  cookies: { keys: ['bench-cookie-key-0123456789abcdef'] },
  features: { devInteractions: { enabled: true } },
});
provider.listen(port, '127.0.0.1');
console.log('ready');
