// A relying party signs a citizen in through openid-client: code + PKCE + state + nonce, userinfo, refresh, revoke.
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_CITIZENS, SANDBOX_PASSWORD } from '../../src/sandbox/seed.ts';
import { authorizationRequest, redeem, relyingParty, sandboxProviderForSuite } from '../helpers/relying-party.ts';
import { signInThroughPages, UserAgent } from '../helpers/user-agent.ts';

const an = SANDBOX_CITIZENS.find((c) => c.level === 2)!;
const binh = SANDBOX_CITIZENS.find((c) => c.level === 1)!;

const suite = sandboxProviderForSuite();

describe('authorization code flow with PKCE', () => {
  it('signs a level-2 citizen in and releases the consented claims', async () => {
    const request = await authorizationRequest(suite.rp, { scope: 'openid profile personal_id phone email offline_access', prompt: 'consent' });
    const callback = await signInThroughPages(new UserAgent(), request.url.href, { username: an.personalId, password: SANDBOX_PASSWORD });
    expect(new URL(callback).searchParams.get('iss')).toBe(suite.provider.url);

    const tokens = await redeem(suite.rp, request, callback);
    const claims = tokens.claims()!;
    expect(claims.iss).toBe(suite.provider.url);
    expect(claims.aud).toBe('sandbox');
    expect(claims.nonce).toBe(request.nonce);
    // A password alone reaches level 1, even for a level-2 account (level 2 needs the SMS code: levels.test.ts).
    expect(claims.acr).toBe('urn:vn:eid:loa:1');
    expect(claims.amr).toEqual(['pwd']);
    expect(typeof claims.auth_time).toBe('number');
    // sub is an opaque account identifier, never the personal ID number.
    expect(claims.sub).not.toContain(an.personalId);

    // The signature checks out against the published JWKS, independently of openid-client.
    const jwks = createRemoteJWKSet(new URL(`${suite.provider.url}/jwks`));
    const verified = await jwtVerify(tokens.id_token!, jwks, { issuer: suite.provider.url, audience: 'sandbox' });
    expect(verified.payload.sub).toBe(claims.sub);
    expect(decodeProtectedHeader(tokens.id_token!).alg).toBe('RS256');

    const userinfo = await oidc.fetchUserInfo(suite.rp, tokens.access_token, claims.sub);
    expect(userinfo).toMatchObject({
      sub: claims.sub,
      name: 'Nguyễn Văn An',
      family_name: 'Nguyễn',
      middle_name: 'Văn',
      given_name: 'An',
      birthdate: an.birthdate,
      gender: 'male',
      personal_id: an.personalId,
      phone_number: an.phone,
      phone_number_verified: true,
      email: an.email,
      email_verified: true,
    });

    expect(tokens.refresh_token).toBeTruthy();
    const refreshed = await oidc.refreshTokenGrant(suite.rp, tokens.refresh_token!);
    expect(refreshed.access_token).not.toBe(tokens.access_token);
    expect(refreshed.claims()?.sub).toBe(claims.sub);
    expect(await oidc.fetchUserInfo(suite.rp, refreshed.access_token, claims.sub)).toMatchObject({ name: 'Nguyễn Văn An' });

    // Revoking the access token kills it at once; introspection agrees.
    await oidc.tokenRevocation(suite.rp, refreshed.access_token);
    await expect(oidc.fetchUserInfo(suite.rp, refreshed.access_token, claims.sub)).rejects.toMatchObject({ status: 401 });
    expect((await oidc.tokenIntrospection(suite.rp, refreshed.access_token)).active).toBe(false);

    // Revoking the refresh token ends offline access.
    await oidc.tokenRevocation(suite.rp, refreshed.refresh_token!);
    await expect(oidc.refreshTokenGrant(suite.rp, refreshed.refresh_token!)).rejects.toMatchObject({
      error: 'invalid_grant',
      error_description: 'grant request is invalid: refresh token not found',
    });
  });

  it('releases only the scopes asked for', async () => {
    const request = await authorizationRequest(suite.rp, { scope: 'openid profile' });
    const callback = await signInThroughPages(new UserAgent(), request.url.href, { username: binh.personalId, password: SANDBOX_PASSWORD });
    const tokens = await redeem(suite.rp, request, callback);
    expect(tokens.claims()?.acr).toBe('urn:vn:eid:loa:1');
    const userinfo = await oidc.fetchUserInfo(suite.rp, tokens.access_token, tokens.claims()!.sub);
    expect(userinfo.name).toBe('Trần Thị Bình');
    expect(userinfo.gender).toBe('female');
    expect(userinfo).not.toHaveProperty('personal_id');
    expect(userinfo).not.toHaveProperty('phone_number');
    expect(userinfo).not.toHaveProperty('email');
  });

  it('gives the same citizen the same subject on the next sign-in, without asking consent again', async () => {
    const agent = new UserAgent();
    const first = await authorizationRequest(suite.rp);
    const firstTokens = await redeem(suite.rp, first, await signInThroughPages(agent, first.url.href, { username: binh.personalId, password: SANDBOX_PASSWORD }));
    const second = await authorizationRequest(suite.rp);
    // Same browser: the session and the grant are remembered, so the provider answers without any page.
    const step = await agent.follow(second.url.href, suite.provider.url);
    expect(step.redirect).toBeTruthy();
    const secondTokens = await redeem(suite.rp, second, step.redirect!);
    expect(secondTokens.claims()?.sub).toBe(firstTokens.claims()?.sub);
  });

  it('returns access_denied to the relying party when the citizen refuses consent', async () => {
    const request = await authorizationRequest(suite.rp);
    const callback = await signInThroughPages(new UserAgent(), request.url.href, { username: an.personalId, password: SANDBOX_PASSWORD }, 'deny');
    const params = new URL(callback).searchParams;
    expect(params.get('error')).toBe('access_denied');
    expect(params.get('state')).toBe(request.state);
    await expect(redeem(suite.rp, request, callback)).rejects.toMatchObject({ error: 'access_denied' });
  });
});
