// A lock or a new password ends what the old state allowed: access tokens, refresh tokens and the browser's
// session at the provider stop working at once — after an officer's lock and after a reset by SMS code.
import * as oidc from 'openid-client';
import { describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { endAccountSessions } from '../../src/oidc/grants.ts';
import { SANDBOX_CITIZENS, SANDBOX_PASSWORD } from '../../src/sandbox/seed.ts';
import { betweenReadAndWrite } from '../helpers/database.ts';
import { officerClient } from '../helpers/officer-api.ts';
import { authorizationRequest, redeem, sandboxProviderForSuite } from '../helpers/relying-party.ts';
import { csrfToken, formAction, signInThroughPages, UserAgent } from '../helpers/user-agent.ts';

const suite = sandboxProviderForSuite({ env: { SIGN_IN_RATE_PER_MINUTE: '10000' } });

/** A citizen signed in at a service with a browser session, an access token and a refresh token. */
async function signedIn(personalId: string, password = SANDBOX_PASSWORD) {
  const agent = new UserAgent();
  const request = await authorizationRequest(suite.rp, { scope: 'openid profile offline_access', prompt: 'consent' });
  const tokens = await redeem(suite.rp, request, await signInThroughPages(agent, request.url.href, { username: personalId, password }));
  expect(tokens.refresh_token).toBeTruthy();
  const sub = tokens.claims()!.sub;
  // Everything works before the change, so what fails after is the change's doing.
  expect((await oidc.fetchUserInfo(suite.rp, tokens.access_token, sub)).sub).toBe(sub);
  return { agent, tokens, sub };
}

/** What the browser gets at /auth for a new request: back at the service with a code, or the sign-in page. */
async function silentSignIn(agent: UserAgent) {
  const request = await authorizationRequest(suite.rp);
  const step = await agent.follow(request.url.href, suite.provider.url);
  return step.redirect && new URL(step.redirect).searchParams.has('code') ? 'code' : step.page?.html.includes('id="login"') ? 'login page' : 'other';
}

async function expectEverythingEnded({ agent, tokens, sub }: Awaited<ReturnType<typeof signedIn>>) {
  await expect(oidc.fetchUserInfo(suite.rp, tokens.access_token, sub)).rejects.toThrow();
  await expect(oidc.refreshTokenGrant(suite.rp, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  const introspected = await oidc.tokenIntrospection(suite.rp, tokens.access_token);
  expect(introspected.active).toBe(false);
  expect(await silentSignIn(agent)).toBe('login page');
}

/** The citizen resets the password by SMS code from a browser of their own, through the sign-in page's link. */
async function resetPassword(citizen: (typeof SANDBOX_CITIZENS)[number], password: string) {
  const other = new UserAgent();
  const request = await authorizationRequest(suite.rp);
  const login = (await other.follow(request.url.href, suite.provider.url)).page!;
  const resetUrl = new URL(formAction(login.html, 'login').replace(/\/login$/, '/reset'), login.url).href;
  const resetPage = (await other.follow(resetUrl, suite.provider.url)).page!;
  const asked = await other.follow(new URL(formAction(resetPage.html, 'password-reset-request'), resetPage.url).href, suite.provider.url, {
    form: { _csrf: csrfToken(resetPage.html), username: citizen.personalId },
  });
  const code = /là (\d{6}),/.exec((await suite.provider.lastSms(citizen.phone)) ?? '')?.[1];
  expect(code).toMatch(/^\d{6}$/);
  const confirm = asked.page!;
  const done = await other.request(new URL(formAction(confirm.html, 'password-reset'), confirm.url).href, {
    form: { _csrf: csrfToken(confirm.html), username: citizen.personalId, code: code!, password, password_confirm: password },
  });
  expect(done.status).toBe(303);
}

describe('an officer locks an account', () => {
  it('ends its sessions and tokens at once', async () => {
    const binh = SANDBOX_CITIZENS[1]!;
    const before = await signedIn(binh.personalId);
    expect(await silentSignIn(before.agent)).toBe('code');
    const officer = await officerClient(suite.provider.url, 'canbo');
    const account = await suite.provider.services.accounts.findByPersonalId(binh.personalId);
    const locked = await officer.call('POST', `/admin/accounts/${account!.id}/lock`, { reason: 'báo mất điện thoại' });
    expect(locked.status).toBe(200);
    await expectEverythingEnded(before);
  });
});

describe('a password reset by SMS code', () => {
  it('ends the sessions and tokens that the old password opened', async () => {
    const dung = SANDBOX_CITIZENS[3]!;
    const before = await signedIn(dung.personalId);
    // The reset from another browser, as a citizen who lost the old password (or an intruder had it) would.
    await resetPassword(dung, 'Sen-Hồng-Mới-2027');
    await expectEverythingEnded(before);
    // The new password signs in as usual.
    await signedIn(dung.personalId, 'Sen-Hồng-Mới-2027');
  });

  it('ends a sign-in that proved the old password and waits to come back: it never becomes a session', async () => {
    const an = SANDBOX_CITIZENS[0]!;
    // An intruder with the old password signs in and holds the provider's redirect back instead of following it.
    const intruder = new UserAgent();
    const request = await authorizationRequest(suite.rp, { scope: 'openid profile', prompt: 'consent' });
    const login = (await intruder.follow(request.url.href, suite.provider.url)).page!;
    const proven = await intruder.request(new URL(formAction(login.html, 'login'), login.url).href, {
      form: { _csrf: csrfToken(login.html), username: an.personalId, password: SANDBOX_PASSWORD },
    });
    expect(proven.status).toBe(303);
    const comeBack = new URL(proven.headers.get('location')!, login.url).href;

    await resetPassword(an, 'Sen-Hồng-Mới-2027');

    // Before, this went on to the consent page and a code for the citizen's data.
    const after = await intruder.follow(comeBack, suite.provider.url);
    expect(after.redirect).toBeUndefined();
    expect(after.page?.status).toBe(400);
    expect(after.page?.html).toContain('lang="vi"');
    expect(after.page?.html).not.toContain('id="consent"');
    expect(await silentSignIn(intruder)).toBe('login page');
  });
});

// A browser (or an intruder holding its cookie) whose request is under way when the sessions end: the provider
// read the session before, and saves it again at the end of every request. Two connections at once, one holding a
// row lock: the PostgreSQL pass only (.ci/run sets TEST_DATABASE_URL); without it this describe does not exist.
if (process.env.TEST_DATABASE_URL) {
  describe('sessions ended while a request of that browser is under way (PostgreSQL)', () => {
    it('the request saving the session it read does not bring it back', async () => {
      const lan = SANDBOX_CITIZENS[4]!;
      const before = await signedIn(lan.personalId);
      const { db } = suite.provider.database;
      const account = await suite.provider.services.accounts.findByPersonalId(lan.personalId);
      const sessionsOf = () => db.selectFrom('oidc_payloads').select('id').where('model', '=', 'Session').where(sql<string>`payload->>'accountId'`, '=', account!.id).execute();
      const [session] = await sessionsOf();
      expect(session).toBeDefined();

      // The sessions end (a password reset, a lock) after the request read its session and before it saved it.
      const { acted } = await betweenReadAndWrite(db, { model: 'Session', id: session!.id }, () => silentSignIn(before.agent), (trx) => endAccountSessions(trx, account!.id));
      // The request began while the session was alive; what it hands out hangs on the grant that ended with it.
      expect(acted).toBe('code');
      expect(await sessionsOf()).toEqual([]);
      await expectEverythingEnded(before);
    });

    it('a session written back under a new id by a return to the provider under way signs nobody in', async () => {
      const cuong = SANDBOX_CITIZENS[2]!;
      const before = await signedIn(cuong.personalId);
      const { db } = suite.provider.database;
      const account = await suite.provider.services.accounts.findByPersonalId(cuong.personalId);
      const [session] = await db.selectFrom('oidc_payloads').select('id').where('model', '=', 'Session').where(sql<string>`payload->>'accountId'`, '=', account!.id).execute();
      // The provider counts sign-ins in whole seconds: this one is a second older than the end of the sessions.
      await new Promise((resolve) => setTimeout(resolve, 1100));

      // The service asks for more; the citizen approves, and the way back to the provider is under way (it gives the
      // session a new id, writing the old row's end and the new row at once) when the sessions end.
      const more = await authorizationRequest(suite.rp, { scope: 'openid profile phone' });
      const consent = (await before.agent.follow(more.url.href, suite.provider.url)).page!;
      expect(consent.html).toContain('id="consent"');
      const approved = await before.agent.request(new URL(formAction(consent.html, 'consent'), consent.url).href, { form: { _csrf: csrfToken(consent.html), decision: 'approve' } });
      const comeBack = new URL(approved.headers.get('location')!, consent.url).href;
      await betweenReadAndWrite(db, { model: 'Session', id: session!.id }, () => before.agent.follow(comeBack, suite.provider.url), (trx) => endAccountSessions(trx, account!.id));

      // The row it wrote may be there, but the sign-in behind it was proven before the sessions ended.
      await expectEverythingEnded(before);
    });
  });
}
