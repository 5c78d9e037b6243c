// The sandbox client as developers use it: relying parties on several hosts and ports sign in through the one
// client (its sector is assigned under our issuer, never fetched), its configuration is followed on every start,
// it logs out to any of its redirect URIs and does client_credentials too.
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_CITIZENS, SANDBOX_PASSWORD } from '../../src/sandbox/seed.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { freePort, SANDBOX_SECRET, startProvider, type RunningProvider } from '../helpers/provider.ts';
import { authorizationRequest, redeem, relyingParty } from '../helpers/relying-party.ts';
import { signInThroughPages, UserAgent } from '../helpers/user-agent.ts';

const an = SANDBOX_CITIZENS[0]!;
let testDb: TestDatabase;
let provider: RunningProvider;
let callbacks: string[];

beforeAll(async () => {
  testDb = await createTestDatabase({ persistent: true });
  const ports = [await freePort(), await freePort(), await freePort()];
  callbacks = ports.map((port) => `http://127.0.0.1:${port}/callback`);
  provider = await startProvider(testDb, { env: { SANDBOX_REDIRECT_URIS: callbacks.join(',') } });
});
afterAll(async () => {
  await provider?.close();
  await testDb?.drop();
});

async function signIn(rp: oidc.Configuration, redirectUri: string, agent = new UserAgent()) {
  const request = await authorizationRequest(rp, { redirect_uri: redirectUri });
  const callback = await signInThroughPages(agent, request.url.href, { username: an.personalId, password: SANDBOX_PASSWORD });
  expect(callback.startsWith(`${redirectUri}?`)).toBe(true);
  return redeem(rp, request, callback);
}

describe('the sandbox client with redirect URIs on three ports', () => {
  it('signs the same citizen in at each relying party, with one pairwise subject (the first host\'s sector)', async () => {
    const subjects = [];
    for (const uri of callbacks) {
      // Three independent relying parties, each its own openid-client configuration.
      const rp = await relyingParty(provider.url, 'sandbox', SANDBOX_SECRET);
      subjects.push((await signIn(rp, uri)).claims()!.sub);
    }
    expect(new Set(subjects).size).toBe(1);
    // A single-host client on the first host shares the sector, so its subject is the one it always was.
    const single = `${new URL(callbacks[0]!).origin}/single`;
    await provider.addClient({ client_id: 'single-host', client_secret: 'single-host-secret-0123456789', redirect_uris: [single], scope: 'openid profile' });
    const other = await relyingParty(provider.url, 'single-host', 'single-host-secret-0123456789');
    expect((await signIn(other, single)).claims()!.sub).toBe(subjects[0]);
  });

  it('serves its sector_identifier_uri document: the JSON array of its redirect URIs', async () => {
    const response = await fetch(`${provider.url}/sectors/sandbox`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(callbacks);
    expect((await fetch(`${provider.url}/sectors/single-host`)).status).toBe(404);
  });

  it('logs out to a redirect URI itself and to its origin', async () => {
    const rp = await relyingParty(provider.url, 'sandbox', SANDBOX_SECRET);
    for (const target of [callbacks[1]!, `${new URL(callbacks[2]!).origin}/`]) {
      const agent = new UserAgent();
      const tokens = await signIn(rp, callbacks[1]!, agent);
      const confirm = await agent.request(oidc.buildEndSessionUrl(rp, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: target }).href);
      const html = await confirm.text();
      expect(confirm.status, html.slice(0, 500)).toBe(200);
      const action = /<form id="op.logoutForm" method="post" action="([^"]+)"/.exec(html)![1]!;
      const xsrf = /name="xsrf" value="([^"]+)"/.exec(html)![1]!;
      const done = await agent.follow(new URL(action, provider.url).href, provider.url, { form: { xsrf, logout: 'yes' } });
      expect(done.redirect).toBe(target);
    }
  });

  it('gets a token for itself with client_credentials', async () => {
    const rp = await relyingParty(provider.url, 'sandbox', SANDBOX_SECRET);
    const tokens = await oidc.clientCredentialsGrant(rp);
    expect(tokens.access_token).toBeTruthy();
    expect(await oidc.tokenIntrospection(rp, tokens.access_token)).toMatchObject({ active: true, client_id: 'sandbox' });
  });

  it('follows SANDBOX_REDIRECT_URIS, the secret and SANDBOX_POST_LOGOUT_REDIRECT_URIS on the next start, not only the first', async () => {
    // A database seeded before the locked persona existed: it is added on the next start.
    const locked = SANDBOX_CITIZENS.find((c) => c.locked)!;
    const db = provider.database.db;
    await db.deleteFrom('accounts').where('personal_id', '=', locked.personalId).execute();
    await db.deleteFrom('citizens').where('personal_id', '=', locked.personalId).execute();
    await db.deleteFrom('sandbox_seed').where('key', '=', locked.personalId).execute();
    await provider.close();
    const moved = `http://127.0.0.1:${await freePort()}/cb`;
    provider = await startProvider(testDb, {
      port: Number(new URL(provider.url).port),
      env: { SANDBOX_REDIRECT_URIS: moved, SANDBOX_CLIENT_SECRET: 'a-new-sandbox-secret-0123', SANDBOX_POST_LOGOUT_REDIRECT_URIS: 'https://rp.example/bye' },
    });
    const rp = await relyingParty(provider.url, 'sandbox', 'a-new-sandbox-secret-0123');
    expect((await signIn(rp, moved)).claims()!.sub).toBeTruthy();
    const client = await provider.relyingParties.find('sandbox');
    expect(client?.redirect_uris).toEqual([moved]);
    expect(client?.post_logout_redirect_uris).toEqual([`${new URL(moved).origin}/`, moved, 'https://rp.example/bye']);
    // The old URIs are refused now, as they should be.
    const old = await authorizationRequest(rp, { redirect_uri: callbacks[0]! });
    const refused = await new UserAgent().follow(old.url.href, provider.url);
    expect(refused.page?.html).toContain('invalid_redirect_uri');
    expect(await provider.database.db.selectFrom('accounts').select(['status', 'lock_reason']).where('personal_id', '=', locked.personalId).executeTakeFirst()).toEqual({ status: 'locked', lock_reason: 'officer' });
    const stale = await relyingParty(provider.url, 'sandbox', SANDBOX_SECRET);
    await expect(oidc.clientCredentialsGrant(stale)).rejects.toMatchObject({ status: 401, cause: [{ parameters: { error: 'invalid_client' } }] });
  });
});
