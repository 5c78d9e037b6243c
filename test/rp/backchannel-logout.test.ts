// Logout reaches the relying parties: RP-initiated logout back to any registered post_logout_redirect_uri, and a
// back-channel logout token (verified here as a relying party must) whenever the citizen signs out at the
// provider, revokes the service on /account, or an officer or a password change ends the account's sessions.
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_CITIZENS, SANDBOX_PASSWORD } from '../../src/sandbox/seed.ts';
import { officerClient } from '../helpers/officer-api.ts';
import { authorizationRequest, redeem, relyingParty, sandboxProviderForSuite } from '../helpers/relying-party.ts';
import { startRpServer, verifyLogoutToken, type LogoutAnswer, type RpServer } from '../helpers/rp-server.ts';
import { csrfToken, signInThroughPages, UserAgent } from '../helpers/user-agent.ts';

const suite = sandboxProviderForSuite();
const [an, binh, cuong, dung, em] = [0, 1, 2, 3, 4].map((i) => SANDBOX_CITIZENS[i]!) as [(typeof SANDBOX_CITIZENS)[number], (typeof SANDBOX_CITIZENS)[number], (typeof SANDBOX_CITIZENS)[number], (typeof SANDBOX_CITIZENS)[number], (typeof SANDBOX_CITIZENS)[number]];

/** Four portals, each on its own host (so each has its own pairwise sub) with its own logout endpoint. */
const PORTALS = {
  main: { answer: 'ok', sessionRequired: true, host: 'https://dichvucong.example' },
  other: { answer: 'ok', sessionRequired: false, host: 'https://thue.example' },
  failing: { answer: 'error', sessionRequired: true, host: 'https://hong.example' },
  silent: { answer: 'silent', sessionRequired: true, host: 'https://im-lang.example' },
} as const satisfies Record<string, { answer: LogoutAnswer; sessionRequired: boolean; host: string }>;
type Portal = keyof typeof PORTALS;
const clientId = (portal: Portal) => `portal-${portal}`;
const servers = {} as Record<Portal, RpServer>;

beforeAll(async () => {
  for (const [portal, spec] of Object.entries(PORTALS) as [Portal, (typeof PORTALS)[Portal]][]) {
    servers[portal] = await startRpServer({ answer: spec.answer });
    await suite.provider.addClient({
      client_id: clientId(portal),
      client_secret: `${clientId(portal)}-secret-0123456789`,
      redirect_uris: [`${spec.host}/callback`],
      post_logout_redirect_uris: [`${spec.host}/`, `${spec.host}/da-dang-xuat`],
      backchannel_logout_uri: servers[portal].logoutUri,
      backchannel_logout_session_required: spec.sessionRequired,
      scope: 'openid profile',
      profile: 'public_service',
    });
  }
});
afterAll(async () => Promise.all(Object.values(servers).map((s) => s.close())));

async function signIn(agent: UserAgent, portal: Portal, citizen: { personalId: string }) {
  const rp = await relyingParty(suite.provider.url, clientId(portal), `${clientId(portal)}-secret-0123456789`);
  const request = await authorizationRequest(rp, { redirect_uri: `${PORTALS[portal].host}/callback` });
  const tokens = await redeem(rp, request, await signInThroughPages(agent, request.url.href, { username: citizen.personalId, password: SANDBOX_PASSWORD }));
  return { rp, tokens, claims: tokens.claims()! };
}

/** The logout tokens a portal received since last asked, verified as its relying party would. */
async function received(portal: Portal) {
  const jwksUri = `${suite.provider.url}/jwks`;
  const tokens = servers[portal].logoutTokens.splice(0);
  return Promise.all(tokens.map((token) => verifyLogoutToken(token, { issuer: suite.provider.url, jwksUri, clientId: clientId(portal) })));
}

/** Signs out at the provider as the portal asks (RP-initiated logout), confirming on the provider's page. */
async function signOut(agent: UserAgent, rp: oidc.Configuration, params: Record<string, string>) {
  const confirm = await agent.request(oidc.buildEndSessionUrl(rp, params).href);
  const html = await confirm.text();
  if (confirm.status !== 200) return { status: confirm.status, html };
  const action = /<form id="op.logoutForm" method="post" action="([^"]+)"/.exec(html)![1]!;
  const xsrf = /name="xsrf" value="([^"]+)"/.exec(html)![1]!;
  const done = await agent.follow(new URL(action, suite.provider.url).href, suite.provider.url, { form: { xsrf, logout: 'yes' } });
  return { status: 303, redirect: done.redirect };
}

async function accountIdOf(personalId: string): Promise<string> {
  return (await (await officerClient(suite.provider.url, 'canbo')).call('GET', `/admin/citizens/${personalId}`)).body.account.id;
}

const failureLogs = () => suite.provider.logs.filter((line) => line.includes('back-channel logout failed'));

describe('signing out at the provider', () => {
  it('sends every portal of the session a logout token with the sub it knows and, where required, the sid', async () => {
    const agent = new UserAgent();
    const main = await signIn(agent, 'main', an);
    const other = await signIn(agent, 'other', an);
    expect(main.claims.sub).not.toBe(other.claims.sub);

    const out = await signOut(agent, main.rp, { id_token_hint: main.tokens.id_token!, post_logout_redirect_uri: `${PORTALS.main.host}/`, state: 'tro-ve-1' });
    expect(out.redirect).toBe(`${PORTALS.main.host}/?state=tro-ve-1`);

    const [toMain, ...moreToMain] = await received('main');
    expect(moreToMain).toEqual([]);
    expect(toMain).toMatchObject({ sub: main.claims.sub, sid: main.claims.sid, aud: clientId('main') });
    const [toOther] = await received('other');
    expect(toOther!.sub).toBe(other.claims.sub);
    expect(toOther).not.toHaveProperty('sid');
  });

  it('ends the tokens of the session\'s services, except those of a grant with offline_access, which asked to outlive it', async () => {
    const agent = new UserAgent();
    const other = await signIn(agent, 'other', em);
    const offline = await authorizationRequest(suite.rp, { scope: 'openid profile offline_access', prompt: 'consent' });
    const kept = await redeem(suite.rp, offline, await signInThroughPages(agent, offline.url.href, { username: em.personalId, password: SANDBOX_PASSWORD }));
    expect(kept.refresh_token).toBeTruthy();

    await signOut(agent, other.rp, { id_token_hint: other.tokens.id_token!, post_logout_redirect_uri: `${PORTALS.other.host}/` });
    await received('other');
    await expect(oidc.fetchUserInfo(other.rp, other.tokens.access_token, other.claims.sub)).rejects.toMatchObject({ status: 401 });
    // OpenID Connect Core 11: offline_access asks for access while the citizen is not signed in; /account revokes it.
    expect((await oidc.fetchUserInfo(suite.rp, kept.access_token, kept.claims()!.sub)).name).toBeTruthy();
    expect((await oidc.refreshTokenGrant(suite.rp, kept.refresh_token!)).access_token).toBeTruthy();
  });

  it('is not broken by a portal that answers 500 or does not answer; the failures are logged with the client id only', async () => {
    const agent = new UserAgent();
    const failing = await signIn(agent, 'failing', dung);
    await signIn(agent, 'silent', dung);
    const main = await signIn(agent, 'main', dung);
    const out = await signOut(agent, failing.rp, { id_token_hint: failing.tokens.id_token!, post_logout_redirect_uri: `${PORTALS.failing.host}/da-dang-xuat`, state: 's' });
    expect(out.redirect).toBe(`${PORTALS.failing.host}/da-dang-xuat?state=s`);
    expect((await received('main'))[0]).toMatchObject({ sub: main.claims.sub, sid: main.claims.sid });
    expect(await received('failing')).toHaveLength(1);
    expect(await received('silent')).toHaveLength(1);

    const logged = failureLogs().map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(logged.map((l) => l.client).sort()).toEqual(['portal-failing', 'portal-silent']);
    expect(logged.every((l) => l.level === 40 && l.trigger === 'sign_out')).toBe(true);
    const text = failureLogs().join('\n');
    for (const secret of [dung.personalId, failing.claims.sub, main.claims.sub, String(main.claims.sid), servers.failing.logoutUri]) expect(text).not.toContain(secret);
  });
});

describe('RP-initiated logout', () => {
  it('returns to either registered post_logout_redirect_uri with the state, and refuses an unregistered one on a clear page', async () => {
    const agent = new UserAgent();
    let main = await signIn(agent, 'main', an);
    const refused = await signOut(agent, main.rp, { id_token_hint: main.tokens.id_token!, post_logout_redirect_uri: `${PORTALS.main.host}/somewhere-else`, state: 'x' });
    expect(refused.status).toBe(400);
    expect(refused.html).toContain('Dịch vụ yêu cầu đưa bạn về một địa chỉ chưa được đăng ký, nên bạn chưa được đăng xuất.');
    expect(refused.html).toContain('post_logout_redirect_uri not registered');
    expect(refused.html).toMatch(/<a href="[^"]*\/session\/end">Đăng xuất khỏi tài khoản định danh điện tử tại đây<\/a>/);
    expect(await received('main')).toEqual([]);

    const first = await signOut(agent, main.rp, { id_token_hint: main.tokens.id_token!, post_logout_redirect_uri: `${PORTALS.main.host}/da-dang-xuat`, state: 'mot' });
    expect(first.redirect).toBe(`${PORTALS.main.host}/da-dang-xuat?state=mot`);
    main = await signIn(agent, 'main', an);
    const second = await signOut(agent, main.rp, { id_token_hint: main.tokens.id_token!, post_logout_redirect_uri: `${PORTALS.main.host}/`, state: 'hai' });
    expect(second.redirect).toBe(`${PORTALS.main.host}/?state=hai`);
    expect(await received('main')).toHaveLength(2);
  });
});

describe('revoking a service on /account', () => {
  it('sends a logout token to that service only', async () => {
    const agent = new UserAgent();
    const main = await signIn(agent, 'main', binh);
    await signIn(agent, 'other', binh);
    const page = await agent.follow(`${suite.provider.url}/account`, suite.provider.url);
    const revoked = await agent.follow(`${suite.provider.url}/account/services/${clientId('main')}/revoke`, suite.provider.url, { form: { _csrf: csrfToken(page.page!.html) } });
    expect(revoked.page?.status).toBe(200);
    await suite.provider.background.idle();
    const [token, ...more] = await received('main');
    expect(more).toEqual([]);
    expect(token).toMatchObject({ sub: main.claims.sub, sid: main.claims.sid });
    expect(await received('other')).toEqual([]);
  });
});

describe('ending an account’s sessions', () => {
  it('an officer’s lock sends every service holding a grant a logout token; a failing or silent one does not hold up the answer', async () => {
    const agent = new UserAgent();
    const main = await signIn(agent, 'main', cuong);
    const other = await signIn(agent, 'other', cuong);
    await signIn(agent, 'failing', cuong);
    await signIn(agent, 'silent', cuong);
    const before = failureLogs().length;
    const abandoned = servers.silent.abandoned;

    const officer = await officerClient(suite.provider.url, 'canbo');
    const locked = await officer.call('POST', `/admin/accounts/${await accountIdOf(cuong.personalId)}/lock`, { reason: 'báo mất thẻ' });
    expect(locked.status).toBe(200);
    expect(locked.body).toMatchObject({ status: 'locked' });
    // The silent portal's request is still open (or not even sent): the answer did not wait for the provider to give up on it.
    expect(servers.silent.abandoned).toBe(abandoned);

    await suite.provider.background.idle();
    expect((await received('main'))[0]).toMatchObject({ sub: main.claims.sub, sid: main.claims.sid });
    expect((await received('other'))[0]).toMatchObject({ sub: other.claims.sub });
    expect(await received('failing')).toHaveLength(1);
    expect(await received('silent')).toHaveLength(1);
    expect(servers.silent.abandoned).toBe(abandoned + 1);
    const logged = failureLogs().slice(before).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(logged.map((l) => l.client).sort()).toEqual(['portal-failing', 'portal-silent']);
    expect(logged.every((l) => l.trigger === 'account_ended')).toBe(true);
  });

  it('a supervisor’s revocation sends a logout token', async () => {
    const main = await signIn(new UserAgent(), 'main', em);
    const supervisor = await officerClient(suite.provider.url, 'giamsat');
    const revoked = await supervisor.call('POST', `/admin/accounts/${await accountIdOf(em.personalId)}/revoke`, { reason: 'kiểm thử' });
    expect(revoked.status).toBe(200);
    await suite.provider.background.idle();
    expect((await received('main'))[0]).toMatchObject({ sub: main.claims.sub, sid: main.claims.sid });
  });

  it('a password change sends a logout token', async () => {
    // An signed out of everything earlier: the one session and grant are this test's.
    const main = await signIn(new UserAgent(), 'main', an);
    const accountId = await accountIdOf(an.personalId);
    await suite.provider.services.lifecycle.setPassword(accountId, SANDBOX_PASSWORD, { actor: { type: 'citizen', id: accountId }, reason: 'test' });
    await suite.provider.background.idle();
    const [token, ...more] = await received('main');
    expect(more).toEqual([]);
    expect(token).toMatchObject({ sub: main.claims.sub, sid: main.claims.sid });
    expect(await received('other')).toEqual([]);
  });
});
