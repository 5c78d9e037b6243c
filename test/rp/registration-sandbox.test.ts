// Self-service registration in the sandbox (OpenID Connect Dynamic Client Registration with RFC 7592 management)
// through openid-client: what it creates is a sandbox client, and a sandbox client sees sandbox citizens only.
import * as oidc from 'openid-client';
import { describe, expect, it } from 'vitest';
import { ownSectorUri } from '../../src/oidc/sectors.ts';
import { SANDBOX_CITIZENS, SANDBOX_PASSWORD } from '../../src/sandbox/seed.ts';
import { authorizationRequest, REDIRECT_URI, redeem, relyingParty, sandboxProviderForSuite } from '../helpers/relying-party.ts';
import { csrfToken, formAction, signInThroughPages, UserAgent } from '../helpers/user-agent.ts';

const suite = sandboxProviderForSuite();
const an = SANDBOX_CITIZENS[0]!;

async function register(metadata: Partial<oidc.ClientMetadata> = {}) {
  return oidc.dynamicClientRegistration(
    new URL(suite.provider.url),
    { redirect_uris: [REDIRECT_URI], token_endpoint_auth_method: 'client_secret_post', client_name: 'My test app', ...metadata },
    undefined,
    { execute: [oidc.allowInsecureRequests] },
  );
}

/** A raw registration request, for what openid-client would not send. */
async function registerRaw(body: string) {
  const response = await fetch(`${suite.provider.url}/reg`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body });
  return { status: response.status, body: (await response.json()) as { error?: string; error_description?: string; [key: string]: unknown } };
}

/** A citizen imported from a population extract, with an account: not marked in sandbox_seed. */
async function importedCitizen() {
  const db = suite.provider.database.db;
  const personalId = '001095123456';
  await db.insertInto('citizens').values({ personal_id: personalId, family_name: 'Đỗ', middle_name: 'Văn', given_name: 'Thật', birthdate: '1995-04-04', sex: 'male' }).onConflict((oc) => oc.doNothing()).execute();
  await db
    .insertInto('accounts')
    .values({ personal_id: personalId, level: 1, phone: '+84977000111', phone_verified: true, password_hash: await suite.provider.services.passwords.hash(SANDBOX_PASSWORD) })
    .onConflict((oc) => oc.doNothing())
    .execute();
  return personalId;
}

describe('dynamic registration in the sandbox', () => {
  it('creates a sandbox client whose secret works and that signs a sandbox citizen in', async () => {
    const rp = await register();
    const metadata = rp.clientMetadata();
    expect(metadata.client_id).toMatch(/^sandbox-/);
    expect(metadata).toMatchObject({ profile: 'sandbox', assurance_level: 2, sector_identifier: 'localhost:8080' });
    expect(String(metadata.scope).split(' ')).toContain('driver_license');
    expect(typeof metadata.client_secret).toBe('string');
    oidc.enableNonRepudiationChecks(rp);
    const request = await authorizationRequest(rp);
    const tokens = await redeem(rp, request, await signInThroughPages(new UserAgent(), request.url.href, { username: an.personalId, password: SANDBOX_PASSWORD }));
    const info = await oidc.fetchUserInfo(rp, tokens.access_token, tokens.claims()!.sub);
    expect(info.family_name).toBe(an.familyName);
    // Marked as the sandbox's, so production refuses it and `cli sandbox remove` finds it.
    await expect.poll(async () => suite.provider.database.db.selectFrom('sandbox_seed').select('key').where('kind', '=', 'relying_party').where('key', '=', metadata.client_id).executeTakeFirst()).toBeDefined();
  });

  it('gives a client on several hosts a sector of the registry\'s, without fetching anything', async () => {
    const uris = ['http://127.0.0.1:9101/cb', 'http://127.0.0.1:9102/cb'];
    const rp = await register({ redirect_uris: uris });
    const metadata = rp.clientMetadata();
    expect(metadata.sector_identifier).toBe('127.0.0.1:9101');
    expect(await (await fetch(`${suite.provider.url}/sectors/${metadata.client_id}`)).json()).toEqual(uris);
    const request = await authorizationRequest(rp, { redirect_uri: uris[1]! });
    const callback = await signInThroughPages(new UserAgent(), request.url.href, { username: an.personalId, password: SANDBOX_PASSWORD });
    expect((await redeem(rp, request, callback)).claims()!.sub).toBeTruthy();
  });

  it('refuses a citizen imported from a population extract: the sign-in page says why, and a session elsewhere is not reused', async () => {
    const personalId = await importedCitizen();
    for (const rp of [await register(), suite.rp]) {
      const agent = new UserAgent();
      const first = (await agent.follow((await authorizationRequest(rp)).url.href, suite.provider.url)).page!;
      const answer = await agent.request(new URL(formAction(first.html, 'login'), first.url).href, { form: { _csrf: csrfToken(first.html), username: personalId, password: SANDBOX_PASSWORD } });
      expect(answer.status).toBe(403);
      expect(await answer.text()).toContain('chỉ công dân thử nghiệm đăng nhập được');
    }
    // Signed in at an ordinary client, the citizen's session still gives a sandbox client nothing: it asks to sign in.
    await suite.provider.addClient({ client_id: 'ordinary', client_secret: 'ordinary-secret-0123456789', redirect_uris: [REDIRECT_URI], scope: 'openid profile' });
    const ordinary = await relyingParty(suite.provider.url, 'ordinary', 'ordinary-secret-0123456789');
    const agent = new UserAgent();
    const request = await authorizationRequest(ordinary);
    await redeem(ordinary, request, await signInThroughPages(agent, request.url.href, { username: personalId, password: SANDBOX_PASSWORD }));
    const sandbox = await register();
    const next = await agent.follow((await authorizationRequest(sandbox)).url.href, suite.provider.url);
    expect(next.redirect).toBeUndefined();
    expect(next.page?.html).toContain('id="login"');
  });

  it('cannot set another profile, a sector or a level beyond 2, and names the bad field', async () => {
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ profile: 'bank' }, 'invalid_client_metadata', /^profile: /],
      [{ sector_identifier: 'bank.example' }, 'invalid_client_metadata', /sector_identifier/],
      [{ assurance_level: 3 }, 'invalid_client_metadata', /assurance_level/],
      [{ redirect_uris: ['not a url'] }, 'invalid_redirect_uri', /^redirect_uris must only contain valid URLs \("not a url" is not one\)$/],
      [{ redirect_uris: 'http://localhost:8080/cb' }, 'invalid_redirect_uri', /redirect_uris/],
      [{ grant_types: ['password'] }, 'invalid_client_metadata', /grant_types/],
      [{ scope: 'openid admin' }, 'invalid_client_metadata', /scope/],
      // Another client's sector under our issuer is fetched like any other (and is no document for this client).
      [{ redirect_uris: ['http://a.example/cb', 'http://b.example/cb'], sector_identifier_uri: ownSectorUri(suite.provider.url, 'sandbox') }, 'invalid_client_metadata', /sector_identifier_uri/],
    ];
    for (const [extra, error, description] of cases) {
      const { status, body } = await registerRaw(JSON.stringify({ redirect_uris: [REDIRECT_URI], ...extra }));
      expect({ extra, status, error: body.error }).toEqual({ extra, status: 400, error });
      expect(body.error_description).toMatch(description);
    }
    const odd: Record<string, unknown>[] = [
      {}, { redirect_uris: [123] }, { redirect_uris: [null] }, { redirect_uris: ['javascript:alert(1)'] }, { redirect_uris: ['http://localhost/cb#frag'] },
      { grant_types: 'x' }, { response_types: ['token'] }, { token_endpoint_auth_method: 'private_key_jwt' }, { jwks: { keys: [{}] } },
      { subject_type: 'x' }, { sector_identifier_uri: 'http://x' }, { client_name: { x: 1 } }, { contacts: [{}] }, { logo_uri: 'ftp://x' },
      { scope: 5 }, { id_token_signed_response_alg: 'none' }, { backchannel_logout_uri: 'x' }, { default_max_age: -1 }, { profile: { x: 1 } },
      { sector_identifier: 5 }, { assurance_level: '2' }, { post_logout_redirect_uris: ['x'] }, { client_id: 'sandbox' },
    ];
    for (const extra of odd) {
      const { status, body } = await registerRaw(JSON.stringify({ redirect_uris: [REDIRECT_URI], ...extra }));
      if (status === 201) {
        expect(body).toMatchObject({ profile: 'sandbox' });
        expect(body.client_id).not.toBe('sandbox');
      } else {
        expect({ extra, status }).toEqual({ extra, status: 400 });
        expect(body.error_description, JSON.stringify(extra)).toBeTruthy();
      }
    }
    for (const raw of ['{not json', '[]', '"x"', 'null']) {
      expect((await registerRaw(raw)).status, raw).toBe(400);
    }
  });

  it('is managed with the registration access token: read, update (still sandbox), delete', async () => {
    const registered = (await register()).clientMetadata();
    const uri = String(registered.registration_client_uri);
    const auth = { authorization: `Bearer ${String(registered.registration_access_token)}`, accept: 'application/json' };
    const read = await fetch(uri, { headers: auth });
    expect(read.status).toBe(200);
    const current = (await read.json()) as Record<string, unknown>;
    expect(current).toMatchObject({ client_id: registered.client_id, profile: 'sandbox' });
    // Shown once, at registration: the registry keeps only a hash, which is not handed out either.
    expect(current).not.toHaveProperty('client_secret');

    const update = (body: Record<string, unknown>) => fetch(uri, { method: 'PUT', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const { registration_access_token: _rat, registration_client_uri: _uri, client_secret_expires_at: _exp, client_id_issued_at: _iat, ...writable } = current;
    const renamed = await update({ ...writable, client_name: 'Renamed app' });
    expect(renamed.status).toBe(200);
    const updated = (await renamed.json()) as Record<string, unknown>;
    expect(updated).toMatchObject({ client_name: 'Renamed app', profile: 'sandbox' });
    expect(updated).not.toHaveProperty('client_secret');
    // The secret given at registration still works after the update.
    const config = new oidc.Configuration((await oidc.discovery(new URL(suite.provider.url), 'x', undefined, undefined, { execute: [oidc.allowInsecureRequests] })).serverMetadata(), String(registered.client_id), undefined, oidc.ClientSecretPost(String(registered.client_secret)));
    oidc.allowInsecureRequests(config);
    const request = await authorizationRequest(config);
    expect((await redeem(config, request, await signInThroughPages(new UserAgent(), request.url.href, { username: an.personalId, password: SANDBOX_PASSWORD }))).access_token).toBeTruthy();
    const promoted = await update({ ...writable, profile: 'bank' });
    expect(promoted.status).toBe(400);
    expect(await promoted.json()).toMatchObject({ error: 'invalid_client_metadata' });

    expect((await fetch(uri, { method: 'DELETE', headers: auth })).status).toBe(204);
    expect((await fetch(uri, { headers: auth })).status).toBe(401);
    const gone = new oidc.Configuration((await oidc.discovery(new URL(suite.provider.url), 'x', undefined, undefined, { execute: [oidc.allowInsecureRequests] })).serverMetadata(), String(registered.client_id), String(registered.client_secret));
    oidc.allowInsecureRequests(gone);
    await expect(oidc.clientCredentialsGrant(gone)).rejects.toMatchObject({ error: 'invalid_client' });
    // Registration, its update and its removal are in the client's audit trail, like an operator's changes.
    const trail = await suite.provider.database.db.selectFrom('audit_events').select(['action', 'actor_id']).where('subject_type', '=', 'relying_party').where('subject_id', '=', String(registered.client_id)).orderBy('id').execute();
    expect(trail).toEqual([
      { action: 'client.registered', actor_id: 'dynamic-registration' },
      { action: 'client.updated', actor_id: 'dynamic-registration' },
      { action: 'client.deleted', actor_id: 'dynamic-registration' },
    ]);
  });
});
