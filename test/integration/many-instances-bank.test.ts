// A bank behind the same three instances and round-robin balancer: its pushed request, the authorization and the
// DPoP-bound token request each reach another instance. What the instances must share for that — pushed
// request_uris, and the jti of every DPoP proof and client assertion — is shared: a proof or assertion replayed
// at another instance, or sent to all three at once, is accepted once.
import { createHash, randomUUID } from 'node:crypto';
import { generateKeyPair, SignJWT } from 'jose';
import * as oidc from 'openid-client';
import { beforeAll, describe, expect, it } from 'vitest';
import { an, dpopProof, pushAuthorization, redeemAtBank, registerBank, signIn, type Bank } from '../helpers/bank.ts';
import { threeInstancesForSuite } from '../helpers/three-instances.ts';

const suite = threeInstancesForSuite();
let bank: Bank;
let endpoints: { token: string; userinfo: string; introspection: string };

beforeAll(async () => {
  bank = await registerBank(suite.issuer, 'bank-many', { authAlg: 'ES256', idTokenAlg: 'PS256' });
  const metadata = bank.config.serverMetadata();
  endpoints = { token: metadata.token_endpoint!, userinfo: metadata.userinfo_endpoint!, introspection: metadata.introspection_endpoint! };
});

/** Upstreams that served requests to a path, in order. */
const servedAt = (path: string, from = 0) => suite.balancer.served.slice(from).filter((s) => s.path === path).map((s) => s.upstream);

/** A client assertion made by hand (openid-client makes a fresh one each time; a replay needs the same one twice). */
function clientAssertion(): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'ES256', kid: 'auth' })
    .setIssuer(bank.clientId)
    .setSubject(bank.clientId)
    .setAudience(suite.balancer.url)
    .setJti(randomUUID())
    .setIssuedAt()
    .setExpirationTime('60s')
    .sign(bank.authKey.privateKey);
}

const form = (fields: Record<string, string>) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields).toString(),
});
const authenticated = async (fields: Record<string, string>, assertion?: string) =>
  form({ ...fields, client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion ?? (await clientAssertion()) });

async function tokensFor() {
  const key = await generateKeyPair('ES256');
  const dpop = oidc.getDPoPHandle(bank.config, key);
  const authorization = await pushAuthorization(bank, dpop);
  const tokens = await redeemAtBank(bank, authorization, await signIn(authorization), dpop);
  const ath = createHash('sha256').update(tokens.access_token).digest('base64url');
  return { key, tokens, ath };
}

describe('a bank whose pushed request, authorization and token request reach three different instances', () => {
  it('signs the citizen in: PAR at one, the authorization at another, DPoP-bound tokens at the third', async () => {
    const from = suite.balancer.served.length;
    const key = await generateKeyPair('ES256');
    const dpop = oidc.getDPoPHandle(bank.config, key);
    const authorization = await pushAuthorization(bank, dpop);
    const callback = await signIn(authorization);
    const [pushedAt] = servedAt('/request', from);
    const [authorizedAt] = servedAt('/auth', from);
    const third = ['A', 'B', 'C'].find((name) => name !== pushedAt && name !== authorizedAt)!;
    expect(authorizedAt).not.toBe(pushedAt);
    suite.balancer.skipTo(third);
    const tokens = await redeemAtBank(bank, authorization, callback, dpop);
    expect(servedAt('/token', from)).toEqual([third]);
    expect(tokens.token_type.toLowerCase()).toBe('dpop');
    const sub = tokens.claims()!.sub;
    expect(await oidc.fetchUserInfo(bank.config, tokens.access_token, sub, { DPoP: dpop })).toMatchObject({ sub, personal_id: an.personalId });
    const refreshed = await oidc.refreshTokenGrant(bank.config, tokens.refresh_token!, undefined, { DPoP: dpop });
    expect(await oidc.tokenIntrospection(bank.config, refreshed.access_token)).toMatchObject({ active: true, token_type: 'DPoP' });
  });
});

describe('replays across instances', () => {
  it('refuses a DPoP proof at userinfo that another instance already accepted', async () => {
    const { key, tokens, ath } = await tokensFor();
    const proof = await dpopProof(key, { htm: 'GET', htu: endpoints.userinfo, ath });
    const call = () => fetch(endpoints.userinfo, { headers: { authorization: `DPoP ${tokens.access_token}`, dpop: proof } });
    const from = suite.balancer.served.length;
    const first = await call();
    const second = await call();
    expect(new Set(servedAt('/me', from)).size).toBe(2);
    expect([first.status, second.status]).toEqual([200, 401]);
    expect(second.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it('accepts a DPoP proof sent to the three instances at once exactly once', async () => {
    const { key, tokens, ath } = await tokensFor();
    const proof = await dpopProof(key, { htm: 'GET', htu: endpoints.userinfo, ath });
    const statuses = await Promise.all(
      [0, 1, 2].map(async () => (await fetch(endpoints.userinfo, { headers: { authorization: `DPoP ${tokens.access_token}`, dpop: proof } })).status),
    );
    expect(statuses.sort()).toEqual([200, 401, 401]);
  });

  it('refuses a DPoP proof at the token endpoint that another instance already accepted', async () => {
    const { key, tokens } = await tokensFor();
    const proof = await dpopProof(key, { htm: 'POST', htu: endpoints.token });
    const refresh = async () =>
      fetch(endpoints.token, { ...(await authenticated({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token! })), headers: { 'content-type': 'application/x-www-form-urlencoded', dpop: proof } });
    const first = await refresh();
    expect(first.status, await first.clone().text()).toBe(200);
    const second = await refresh();
    expect(second.status).toBe(400);
    const refused = (await second.json()) as { error: string; error_description: string };
    expect(refused.error).toBe('invalid_grant');
    expect(refused.error_description).toContain('DPoP proof JWT Replay detected');
  });

  it('refuses a client assertion that another instance already accepted, and one sent to all three at once passes once', async () => {
    const assertion = await clientAssertion();
    const introspect = async (jwt: string) => fetch(endpoints.introspection, await authenticated({ token: 'not-a-token' }, jwt));
    const from = suite.balancer.served.length;
    const first = await introspect(assertion);
    const second = await introspect(assertion);
    expect(new Set(servedAt(new URL(endpoints.introspection).pathname, from)).size).toBe(2);
    expect([first.status, second.status]).toEqual([200, 401]);
    expect(await second.json()).toMatchObject({ error: 'invalid_client' });

    const once = await clientAssertion();
    const statuses = await Promise.all([0, 1, 2].map(async () => (await introspect(once)).status));
    expect(statuses.sort()).toEqual([200, 401, 401]);
  });
});
