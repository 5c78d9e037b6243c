// The client registry through the operator API: a client registered by an operator is pending until approved,
// a suspended one is refused at every endpoint on its next request (its tokens too), secrets are shown once and
// stored hashed, and operators and officers each reach only their own API.
import { generateKeyPairSync } from 'node:crypto';
import { exportJWK, generateKeyPair } from 'jose';
import * as oidc from 'openid-client';
import { describe, expect, it } from 'vitest';
import { SANDBOX_CITIZENS, SANDBOX_PASSWORD } from '../../src/sandbox/seed.ts';
import { officerClient } from '../helpers/officer-api.ts';
import { authorizationRequest, REDIRECT_URI, redeem, relyingParty, sandboxProviderForSuite } from '../helpers/relying-party.ts';
import { csrfToken, formAction, signInThroughPages, UserAgent } from '../helpers/user-agent.ts';

const an = SANDBOX_CITIZENS.find((c) => c.level === 2)!;
const suite = sandboxProviderForSuite();

const portal = {
  client_id: 'dichvucong-hn',
  profile: 'public_service',
  client_name: 'Cổng dịch vụ công Hà Nội',
  organisation_name: 'UBND Thành phố Hà Nội',
  organisation_domain: 'dichvucong.hanoi.gov.vn',
  contacts: ['ops@dichvucong.hanoi.gov.vn'],
  scopes: ['openid', 'profile', 'offline_access'],
  max_level: 1,
  metadata: { redirect_uris: [REDIRECT_URI] },
};

async function post(path: string, body: Record<string, string>, auth?: string) {
  const response = await fetch(`${suite.provider.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(auth ? { authorization: auth } : {}) },
    body: new URLSearchParams(body),
  });
  return { status: response.status, body: (await response.json()) as { error?: string; active?: boolean } };
}

describe('client registry (operator API)', () => {
  it('registers a pending client, shows its secret once, and refuses it until an operator approves it', async () => {
    const operator = await officerClient(suite.provider.url, 'vanhanh');
    const created = await operator.call('POST', '/operator/clients', portal);
    expect(created.status).toBe(201);
    expect(created.body.client).toMatchObject({ client_id: 'dichvucong-hn', state: 'pending', profile: 'public_service', has_secret: true, max_level: 1 });
    const secret = created.body.client_secret as string;
    expect(secret.length).toBeGreaterThanOrEqual(43);
    // Never again: show and list carry no secret.
    const shown = await operator.call('GET', '/operator/clients/dichvucong-hn');
    expect(JSON.stringify(shown.body)).not.toContain(secret);
    expect(shown.body.audit.map((e: { action: string }) => e.action)).toEqual(['client.registered']);

    const pending = await relyingParty(suite.provider.url, 'dichvucong-hn', secret);
    const refused = await fetch((await authorizationRequest(pending)).url, { redirect: 'manual', headers: { accept: 'text/html' } });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain('invalid_client');

    expect((await operator.call('POST', '/operator/clients/dichvucong-hn/approve')).body.state).toBe('approved');
    const request = await authorizationRequest(pending);
    // The consent page names the organisation behind the service, as the registry has it.
    const agent = new UserAgent();
    const login = (await agent.follow(request.url.href, suite.provider.url)).page!;
    const consent = (await agent.follow(new URL(formAction(login.html, 'login'), login.url).toString(), suite.provider.url, {
      form: { _csrf: csrfToken(login.html), username: an.personalId, password: SANDBOX_PASSWORD },
    })).page!;
    expect(consent.html).toContain('UBND Thành phố Hà Nội');
    expect(consent.html).toContain('dichvucong.hanoi.gov.vn');
    const callback = (await agent.follow(new URL(formAction(consent.html, 'consent'), consent.url).toString(), suite.provider.url, {
      form: { _csrf: csrfToken(consent.html), decision: 'approve' },
    })).redirect!;
    const tokens = await redeem(pending, request, callback);
    expect(tokens.claims()!.aud).toBe('dichvucong-hn');
    // Approving twice is a state error, not a silent success.
    expect(await operator.call('POST', '/operator/clients/dichvucong-hn/approve')).toMatchObject({ status: 409, body: { error: 'invalid_state' } });
  });

  it('suspends a client at every endpoint on its next request, its existing tokens included, and reinstates it', async () => {
    const operator = await officerClient(suite.provider.url, 'vanhanh');
    const created = await operator.call('POST', '/operator/clients', { ...portal, client_id: 'nganhang-thu' });
    const secret = created.body.client_secret as string;
    await operator.call('POST', '/operator/clients/nganhang-thu/approve');
    const rp = await relyingParty(suite.provider.url, 'nganhang-thu', secret);
    const request = await authorizationRequest(rp, { scope: 'openid profile offline_access', prompt: 'consent' });
    const callback = await signInThroughPages(new UserAgent(), request.url.href, { username: an.personalId, password: SANDBOX_PASSWORD });
    const tokens = await redeem(rp, request, callback);
    const sub = tokens.claims()!.sub;
    expect(await oidc.fetchUserInfo(rp, tokens.access_token, sub)).toMatchObject({ sub });

    expect(await operator.call('POST', '/operator/clients/nganhang-thu/suspend', {})).toMatchObject({ status: 400 });
    const suspended = await operator.call('POST', '/operator/clients/nganhang-thu/suspend', { reason: 'contract ended' });
    expect(suspended.body).toMatchObject({ state: 'suspended', state_reason: 'contract ended' });

    const basic = `Basic ${Buffer.from(`nganhang-thu:${secret}`).toString('base64')}`;
    // Pushed authorization requests.
    expect(await post('/request', { response_type: 'code', scope: 'openid', redirect_uri: REDIRECT_URI, code_challenge: 'x'.repeat(43), code_challenge_method: 'S256' }, basic)).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
    // Authorization endpoint.
    const authorization = await fetch((await authorizationRequest(rp)).url, { redirect: 'manual', headers: { accept: 'text/html' } });
    expect(authorization.status).toBe(400);
    // Token endpoint (refresh), introspection, revocation: the client no longer authenticates.
    expect(await post('/token', { grant_type: 'refresh_token', refresh_token: tokens.refresh_token! }, basic)).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
    expect(await post('/token/introspection', { token: tokens.access_token }, basic)).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
    expect(await post('/token/revocation', { token: tokens.access_token }, basic)).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
    // Its access token no longer yields the citizen's data.
    const userinfo = await fetch(`${suite.provider.url}/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(userinfo.status).toBe(401);
    expect(userinfo.headers.get('www-authenticate')).toContain('invalid_token');

    expect((await operator.call('POST', '/operator/clients/nganhang-thu/reinstate')).body.state).toBe('approved');
    const refreshed = await oidc.refreshTokenGrant(rp, tokens.refresh_token!);
    expect(refreshed.access_token).toBeTruthy();
    const trail = (await operator.call('GET', '/operator/clients/nganhang-thu')).body.audit.map((e: { action: string }) => e.action);
    expect(trail).toEqual(['client.registered', 'client.approved', 'client.suspended', 'client.reinstated']);
  });

  it('rotates a secret: the new one works at once and the old one stops', async () => {
    const operator = await officerClient(suite.provider.url, 'vanhanh');
    const created = await operator.call('POST', '/operator/clients', { ...portal, client_id: 'xoay-vong', profile: 'service', scopes: ['registry.read'], metadata: {} });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    await operator.call('POST', '/operator/clients/xoay-vong/approve');
    const old = `Basic ${Buffer.from(`xoay-vong:${created.body.client_secret}`).toString('base64')}`;
    expect((await post('/token/introspection', { token: 'x' }, old)).status).toBe(200);
    const rotated = await operator.call('POST', '/operator/clients/xoay-vong/secret');
    expect(rotated.status).toBe(200);
    const fresh = `Basic ${Buffer.from(`xoay-vong:${rotated.body.client_secret}`).toString('base64')}`;
    expect((await post('/token/introspection', { token: 'x' }, old)).body.error).toBe('invalid_client');
    expect((await post('/token/introspection', { token: 'x' }, fresh)).body).toEqual({ active: false });
  });

  it('changes what a client is approved for, and refuses what the provider would refuse, naming the field', async () => {
    const operator = await officerClient(suite.provider.url, 'vanhanh');
    await operator.call('POST', '/operator/clients', { ...portal, client_id: 'phe-duyet' });
    const approval = await operator.call('PUT', '/operator/clients/phe-duyet/approval', { scopes: ['openid', 'profile', 'address'], max_level: 2 });
    expect(approval.body).toMatchObject({ scopes: ['openid', 'profile', 'address'], max_level: 2 });
    const unknownScope = await operator.call('PUT', '/operator/clients/phe-duyet/approval', { scopes: ['openid', 'bank_statements'] });
    expect(unknownScope).toMatchObject({ status: 400, body: { error: 'invalid_client_metadata' } });
    expect(unknownScope.body.error_description).toContain('scope');

    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ ...portal, client_id: 'sai-1', profile: 'casino' }, /profile/],
      [{ ...portal, client_id: 'sai-2', scopes: ['profile'] }, /openid/],
      [{ ...portal, client_id: 'sai-3', metadata: { redirect_uris: ['not a url'] } }, /^redirect_uris must only contain valid URLs \("not a url" is not one\)$/],
      [{ ...portal, client_id: 'sai-4', metadata: { token_endpoint_auth_method: 'none', redirect_uris: [REDIRECT_URI] } }, /token_endpoint_auth_method/],
      [{ ...portal, client_id: 'sai-5', metadata: { client_secret: 'mine', redirect_uris: [REDIRECT_URI] } }, /client_secret/],
      [{ ...portal, client_id: 'sai-6', profile: 'bank', metadata: { redirect_uris: [REDIRECT_URI] } }, /jwks/],
      [{ ...portal, client_id: 'sai-7', contacts: [] }, /contacts/],
      // oidc-provider would serve authorization codes beside it: a portal that wants client_credentials is a service client.
      [{ ...portal, client_id: 'sai-8', metadata: { grant_types: ['client_credentials'], redirect_uris: [REDIRECT_URI] } }, /^grant_types: .*client_credentials is for service clients/],
      [{ ...portal, client_id: 'sai-9', metadata: { redirect_uris: [REDIRECT_URI], post_logout_redirect_uris: ['x'] } }, /^post_logout_redirect_uris must only contain valid URLs/],
    ];
    for (const [body, field] of cases) {
      const answer = await operator.call('POST', '/operator/clients', body);
      expect(answer.status, `${JSON.stringify(body)} ${JSON.stringify(answer.body)}`).toBe(400);
      expect(answer.body.error_description).toMatch(field);
    }
    expect((await operator.call('POST', '/operator/clients', portal)).status).toBe(409);
    expect((await operator.call('POST', '/operator/clients/khong-co/approve')).status).toBe(404);
  });

  it('registers a bank under FAPI 2.0 rules: keys, no secret, PAR and DPoP filled in; anything else refused by field', async () => {
    const operator = await officerClient(suite.provider.url, 'vanhanh');
    const { publicKey } = await generateKeyPair('ES256', { extractable: true });
    const jwks = { keys: [{ ...(await exportJWK(publicKey)), use: 'sig', alg: 'ES256', kid: 'bank-1' }] };
    const bank = { ...portal, client_id: 'ngan-hang-a', profile: 'bank', organisation_name: 'Ngân hàng A', scopes: ['openid', 'profile', 'personal_id'], max_level: 2, metadata: { redirect_uris: ['https://bank-a.example.vn/cb'], jwks } };
    const created = await operator.call('POST', '/operator/clients', bank);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.client_secret).toBeUndefined();
    expect(created.body.client).toMatchObject({ profile: 'bank', has_secret: false, metadata: { token_endpoint_auth_method: 'private_key_jwt', require_pushed_authorization_requests: true, dpop_bound_access_tokens: true } });
    const withSecret = await operator.call('POST', '/operator/clients', { ...bank, client_id: 'ngan-hang-b', metadata: { ...bank.metadata, token_endpoint_auth_method: 'client_secret_basic' } });
    expect(withSecret).toMatchObject({ status: 400, body: { error: 'invalid_client_metadata' } });
    expect(withSecret.body.error_description).toContain('token_endpoint_auth_method');
    const bearer = await operator.call('POST', '/operator/clients', { ...bank, client_id: 'ngan-hang-c', metadata: { ...bank.metadata, dpop_bound_access_tokens: false } });
    expect(bearer.body.error_description).toContain('dpop_bound_access_tokens');
    // Codes never travel over plain http to a bank (FAPI 2.0 §5.3.2.2); loopback stays for its developers.
    const plain = await operator.call('POST', '/operator/clients', { ...bank, client_id: 'ngan-hang-d', metadata: { ...bank.metadata, redirect_uris: ['http://bank-d.example.vn/cb'] } });
    expect(plain).toMatchObject({ status: 400, body: { error: 'invalid_redirect_uri', error_description: 'redirect_uris must use https (or http to a loopback host) for a bank client (FAPI 2.0): "http://bank-d.example.vn/cb"' } });
    const logout = await operator.call('POST', '/operator/clients', { ...bank, client_id: 'ngan-hang-e', metadata: { ...bank.metadata, post_logout_redirect_uris: ['http://bank-e.example.vn/'] } });
    expect(logout.body.error_description).toMatch(/^post_logout_redirect_uris must use https/);
    expect((await operator.call('POST', '/operator/clients', { ...bank, client_id: 'ngan-hang-f', metadata: { ...bank.metadata, redirect_uris: ['http://127.0.0.1:8080/cb'] } })).status).toBe(201);
  });

  it('holds new and changed clients to the newer rules, and leaves a client stored before them serving its citizens', async () => {
    // Stored as a registration before these rules would have stored it: a weak key it never uses, a plain-http redirect.
    const weak = { ...generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' }), use: 'enc', alg: 'RSA-OAEP' };
    await suite.provider.addClient({
      client_id: 'cong-cu', client_secret: 'cong-cu-secret-0123456789abcdef', profile: 'public_service', scope: 'openid profile',
      redirect_uris: [REDIRECT_URI], jwks: { keys: [weak] },
    } as Parameters<typeof suite.provider.addClient>[0]);
    const old = await relyingParty(suite.provider.url, 'cong-cu', 'cong-cu-secret-0123456789abcdef');
    const start = await fetch((await authorizationRequest(old)).url, { redirect: 'manual' });
    expect(start.status).toBe(303);
    expect(start.headers.get('location')).toMatch(/\/interaction\//);
    // Registered now, the same key is refused.
    const operator = await officerClient(suite.provider.url, 'vanhanh');
    const anew = await operator.call('POST', '/operator/clients', { ...portal, client_id: 'cong-moi', metadata: { redirect_uris: [REDIRECT_URI], jwks: { keys: [weak] } } });
    expect(anew).toMatchObject({ status: 400, body: { error: 'invalid_client_metadata' } });
    expect(anew.body.error_description).toMatch(/^jwks\.keys\[0\] is a 1024-bit RSA key/);
  });

  it('refuses bank key sets that could never authenticate, naming jwks, and picks the assertion algorithm its keys can sign', async () => {
    const operator = await officerClient(suite.provider.url, 'vanhanh');
    const publicJwk = (pair: ReturnType<typeof generateKeyPairSync>) => ({ ...pair.publicKey.export({ format: 'jwk' }), use: 'sig' });
    const p384 = publicJwk(generateKeyPairSync('ec', { namedCurve: 'P-384' }));
    const bank = (clientId: string, metadata: Record<string, unknown>) => ({ ...portal, client_id: clientId, profile: 'bank', organisation_name: 'Ngân hàng K', metadata: { redirect_uris: [REDIRECT_URI], ...metadata } });
    // FAPI 2.0 §5.4.1: RSA keys of at least 2048 bits; a shorter one would be approved and then fail every assertion.
    const short = await operator.call('POST', '/operator/clients', bank('ngan-hang-k1', { jwks: { keys: [publicJwk(generateKeyPairSync('rsa', { modulusLength: 1024 }))] } }));
    expect(short).toMatchObject({ status: 400, body: { error: 'invalid_client_metadata' } });
    expect(short.body.error_description).toMatch(/^jwks\.keys\[0\] is a 1024-bit RSA key: at least 2048 bits/);
    // A P-384 key signs ES384, which a bank may not use: refused rather than given ES256 it cannot sign.
    const onlyP384 = await operator.call('POST', '/operator/clients', bank('ngan-hang-k2', { jwks: { keys: [p384] } }));
    expect(onlyP384).toMatchObject({ status: 400, body: { error: 'invalid_client_metadata' } });
    expect(onlyP384.body.error_description).toMatch(/^jwks has no key that verifies PS256 client assertions .*P-384 key \(ES384\)/);
    const claimedEs256 = await operator.call('POST', '/operator/clients', bank('ngan-hang-k3', { jwks: { keys: [p384] }, token_endpoint_auth_signing_alg: 'ES256' }));
    expect(claimedEs256.body.error_description).toMatch(/^jwks has no key that verifies ES256 client assertions/);

    // A P-384 key beside an RSA one: the bank signs PS256, and its assertions are accepted once it is approved.
    const authKey = await generateKeyPair('PS256', { extractable: true });
    const jwks = { keys: [p384, { ...(await exportJWK(authKey.publicKey)), use: 'sig', kid: 'rsa' }] };
    const created = await operator.call('POST', '/operator/clients', { ...bank('ngan-hang-k4', { jwks }), scopes: ['openid'] });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.client.metadata.token_endpoint_auth_signing_alg).toBe('PS256');
    await operator.call('POST', '/operator/clients/ngan-hang-k4/approve');
    const config = await oidc.discovery(new URL(suite.provider.url), 'ngan-hang-k4', undefined, oidc.PrivateKeyJwt(authKey.privateKey, { [oidc.modifyAssertion]: (header) => void (header.kid = 'rsa') }), {
      execute: [oidc.allowInsecureRequests],
    });
    const pushed = await oidc.buildAuthorizationUrlWithPAR(config, {
      redirect_uri: REDIRECT_URI,
      scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
    });
    expect(pushed.searchParams.get('request_uri')).toMatch(/^urn:ietf:params:oauth:request_uri:/);
  });

  it('names the ID token encryption algorithm a client asked for that is not offered (no "client_secret is mandatory")', async () => {
    const operator = await officerClient(suite.provider.url, 'vanhanh');
    const { publicKey } = await generateKeyPair('ES256', { extractable: true });
    const jwks = { keys: [{ ...(await exportJWK(publicKey)), use: 'sig', kid: 'sig' }] };
    for (const alg of ['A128KW', 'dir']) {
      const body = { ...portal, client_id: `ngan-hang-jwe-${alg.toLowerCase()}`, profile: 'bank', metadata: { redirect_uris: [REDIRECT_URI], jwks, id_token_encrypted_response_alg: alg, id_token_encrypted_response_enc: 'A256GCM' } };
      const refused = await operator.call('POST', '/operator/clients', body);
      expect(refused, alg).toMatchObject({ status: 400, body: { error: 'invalid_client_metadata' } });
      expect(refused.body.error_description).toBe(`id_token_encrypted_response_alg must be one of RSA-OAEP-256, RSA-OAEP, ECDH-ES, ECDH-ES+A128KW, ECDH-ES+A256KW (the ID token is encrypted to a key in the client's jwks); "${alg}" is not offered`);
    }
    // The same for a portal that has a secret (the provider would have checked the list only because it had one).
    const withSecret = await operator.call('POST', '/operator/clients', { ...portal, client_id: 'cong-jwe', metadata: { redirect_uris: [REDIRECT_URI], id_token_encrypted_response_alg: 'A256KW' } });
    expect(withSecret.body.error_description).toMatch(/^id_token_encrypted_response_alg must be one of RSA-OAEP-256/);
  });

  it('refuses metadata the provider would ignore (stored and shown back, never in effect), naming the field', async () => {
    const operator = await officerClient(suite.provider.url, 'vanhanh');
    const { publicKey } = await generateKeyPair('ES256', { extractable: true });
    const jwks = { keys: [{ ...(await exportJWK(publicKey)), use: 'sig', kid: 'sig' }] };
    const ignored: Array<[string, unknown]> = [
      ['tls_client_certificate_bound_access_tokens', true],
      ['userinfo_signed_response_alg', 'PS256'],
      ['userinfo_encrypted_response_alg', 'RSA-OAEP-256'],
      ['introspection_signed_response_alg', 'PS256'],
      ['authorization_signed_response_alg', 'PS256'],
      ['request_object_signing_alg', 'PS256'],
      ['an_extension_nobody_reads', 'x'],
    ];
    for (const [field, value] of ignored) {
      const body = { ...portal, client_id: `ngan-hang-bo-qua-${field.length}`, profile: 'bank', metadata: { redirect_uris: [REDIRECT_URI], jwks, [field]: value } };
      const refused = await operator.call('POST', '/operator/clients', body);
      expect(refused, field).toMatchObject({ status: 400, body: { error: 'invalid_client_metadata' } });
      expect(refused.body.error_description).toMatch(new RegExp(`^${field} is not supported by this provider`));
    }
    expect((await operator.call('GET', '/operator/clients?profile=bank')).body.clients.map((c: { client_id: string }) => c.client_id).filter((id: string) => id.startsWith('ngan-hang-bo-qua'))).toEqual([]);
    // What the provider recognises is kept and shown as it serves it.
    const kept = await operator.call('POST', '/operator/clients', { ...portal, client_id: 'ngan-hang-giu', profile: 'bank', metadata: { redirect_uris: [REDIRECT_URI], jwks, client_uri: 'https://bank.example.vn/' } });
    expect(kept.status, JSON.stringify(kept.body)).toBe(201);
    expect(kept.body.client.metadata.client_uri).toBe('https://bank.example.vn/');
  });

  it('gives a client with redirect URIs on several hosts one pairwise sector: the same sub on each', async () => {
    const operator = await officerClient(suite.provider.url, 'vanhanh');
    const hosts = ['http://127.0.0.1:8081/cb', 'http://127.0.0.1:8082/cb'];
    const created = await operator.call('POST', '/operator/clients', { ...portal, client_id: 'hai-cong', metadata: { redirect_uris: hosts } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.client.sector_identifier).toBe('127.0.0.1:8081');
    await operator.call('POST', '/operator/clients/hai-cong/approve');
    const rp = await relyingParty(suite.provider.url, 'hai-cong', created.body.client_secret);
    const subs = [];
    for (const redirect of hosts) {
      const request = await authorizationRequest(rp, { redirect_uri: redirect });
      const callback = await signInThroughPages(new UserAgent(), request.url.href, { username: an.personalId, password: SANDBOX_PASSWORD });
      expect(callback.startsWith(redirect)).toBe(true);
      subs.push((await redeem(rp, request, callback)).claims()!.sub);
    }
    expect(subs[0]).toBe(subs[1]);
  });

  it('keeps officers and operators to their own API', async () => {
    const officer = await officerClient(suite.provider.url, 'canbo');
    expect(await officer.call('GET', '/operator/clients')).toMatchObject({ status: 403, body: { error: 'operators_only' } });
    const operator = await officerClient(suite.provider.url, 'vanhanh');
    expect(await operator.call('GET', `/admin/citizens/${an.personalId}`)).toMatchObject({ status: 403, body: { error: 'officers_only' } });
    // The same on the supervisors' routes (their published 403 says so), and whatever the query string.
    const anId = '7f1c1c52-8f1e-4f55-9d55-5b1c2d3e4f50';
    for (const [method, path] of [['GET', '/admin/officers'], ['GET', `/admin/accounts/${anId}/audit`], ['POST', '/admin/officers/canbo/unlock'], ['POST', `/admin/applications/${anId}/approve`]] as const) {
      expect(await operator.call(method, path), `${method} ${path}`).toMatchObject({ status: 403, body: { error: 'officers_only' } });
    }
    expect(await operator.call('GET', '/admin/me?x=1')).toMatchObject({ status: 200 });
    expect((await fetch(`${suite.provider.url}/operator/clients`)).status).toBe(401);
    const listed = await operator.call('GET', '/operator/clients?state=approved');
    expect(listed.body.clients.map((c: { client_id: string }) => c.client_id)).toContain('sandbox');
    expect(listed.body.clients.every((c: { state: string }) => c.state === 'approved')).toBe(true);
  });
});
