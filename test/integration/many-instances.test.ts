// Three instances on one database behind a round-robin load balancer (the issuer is the balancer's address):
// every request lands on another instance than the one before, and a citizen's whole journey still works —
// level-2 sign-in with the SMS code, consent, tokens, userinfo, refresh, introspection, revocation, logout —
// and the lockout counts failures wherever they land. The bank's journey is in many-instances-bank.test.ts.
import * as oidc from 'openid-client';
import { describe, expect, it } from 'vitest';
import { SANDBOX_CITIZENS, SANDBOX_PASSWORD } from '../../src/sandbox/seed.ts';
import { SANDBOX_SECRET } from '../helpers/provider.ts';
import { authorizationRequest, redeem, relyingParty } from '../helpers/relying-party.ts';
import { threeInstancesForSuite } from '../helpers/three-instances.ts';
import { csrfToken, formAction, UserAgent, type FormPage } from '../helpers/user-agent.ts';

const cuong = SANDBOX_CITIZENS.find((c) => c.personalId === '048201004567')!;
const dung = SANDBOX_CITIZENS.find((c) => c.personalId === '031303007890')!;
const LOA2 = 'urn:vn:eid:loa:2';
const LOGGED_OUT = 'http://localhost:8080/';

const suite = threeInstancesForSuite({ SIGN_IN_RATE_PER_MINUTE: '10000', LOCKOUT_MAX_FAILURES: '3' });

const codeIn = (sms: string | undefined) => /là (\d{6}),/.exec(sms ?? '')?.[1];

/** Runs one step of the journey and returns which instances served its requests, in order. */
async function step<T>(run: () => Promise<T>): Promise<{ result: T; upstreams: string[] }> {
  const from = suite.balancer.served.length;
  const result = await run();
  return { result, upstreams: suite.balancer.served.slice(from).map((s) => s.upstream) };
}

async function submit(agent: UserAgent, page: FormPage, formId: string, fields: Record<string, string>) {
  return agent.follow(new URL(formAction(page.html, formId), page.url).href, suite.balancer.url, { form: { _csrf: csrfToken(page.html), ...fields } });
}

describe('a citizen whose every request reaches another instance', () => {
  it('signs in at level 2, consents, and the service redeems, reads, refreshes, introspects, revokes and logs out', async () => {
    const rp = await relyingParty(suite.balancer.url, 'sandbox', SANDBOX_SECRET);
    const agent = new UserAgent();
    const request = await authorizationRequest(rp, { scope: 'openid profile offline_access', acr_values: LOA2, prompt: 'consent' });
    const steps: Array<{ name: string; upstreams: string[] }> = [];
    const record = <T>(name: string, taken: { result: T; upstreams: string[] }) => (steps.push({ name, upstreams: taken.upstreams }), taken.result);

    const signInPage = record('authorization and sign-in page', await step(() => agent.follow(request.url.href, suite.balancer.url)));
    expect(signInPage.page?.html).toContain('id="login"');
    const codePage = record('password', await step(() => submit(agent, signInPage.page!, 'login', { username: cuong.personalId, password: SANDBOX_PASSWORD })));
    expect(codePage.page?.html).toContain('id="otp"');
    const code = codeIn(await suite.lastSms(cuong.phone));
    expect(code).toMatch(/^\d{6}$/);
    const consent = record('SMS code', await step(() => submit(agent, codePage.page!, 'otp', { otp: code! })));
    expect(consent.page?.html).toContain('id="consent"');
    const back = record('consent', await step(() => submit(agent, consent.page!, 'consent', { decision: 'approve' })));
    expect(back.redirect).toBeTruthy();

    const tokens = record('code redeemed', await step(() => redeem(rp, request, back.redirect!)));
    expect(tokens.claims()).toMatchObject({ acr: LOA2, amr: ['pwd', 'otp', 'sms'] });
    const sub = tokens.claims()!.sub;
    const userinfo = record('userinfo', await step(() => oidc.fetchUserInfo(rp, tokens.access_token, sub)));
    expect(userinfo).toMatchObject({ sub, name: 'Lê Hoàng Cường' });
    const refreshed = record('refresh', await step(() => oidc.refreshTokenGrant(rp, tokens.refresh_token!)));
    expect(refreshed.access_token).not.toBe(tokens.access_token);
    const active = record('introspection', await step(() => oidc.tokenIntrospection(rp, refreshed.access_token)));
    expect(active).toMatchObject({ active: true, client_id: 'sandbox', sub });
    record('revocation', await step(() => oidc.tokenRevocation(rp, refreshed.access_token)));
    const revoked = record('introspection after revocation', await step(() => oidc.tokenIntrospection(rp, refreshed.access_token)));
    expect(revoked.active).toBe(false);

    const confirm = record('logout page', await step(() => agent.follow(oidc.buildEndSessionUrl(rp, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: LOGGED_OUT }).href, suite.balancer.url)));
    const html = confirm.page!.html;
    expect(confirm.page?.status, html.slice(0, 500)).toBe(200);
    const action = /<form id="op.logoutForm" method="post" action="([^"]+)"/.exec(html)![1]!;
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(html)![1]!;
    const done = record('logout', await step(() => agent.follow(new URL(action, suite.balancer.url).href, suite.balancer.url, { form: { xsrf, logout: 'yes' } })));
    expect(done.redirect).toBe(LOGGED_OUT);
    // The session is gone on every instance: the next sign-in asks for the password again.
    const again = record('next authorization', await step(async () => agent.follow((await authorizationRequest(rp)).url.href, suite.balancer.url)));
    expect(again.page?.html).toContain('id="login"');

    // No two requests in a row reached the same instance, so no step did either; all three took part.
    const all = steps.flatMap((s) => s.upstreams);
    expect(all.filter((upstream, i) => i > 0 && upstream === all[i - 1])).toEqual([]);
    for (const s of steps) expect(s.upstreams.length, s.name).toBeGreaterThan(0);
    expect(new Set(all)).toEqual(new Set(['A', 'B', 'C']));
  });
});

describe('the lockout across instances', () => {
  it('counts wrong passwords posted to three instances together, and then refuses the right one', async () => {
    const rp = await relyingParty(suite.balancer.url, 'sandbox', SANDBOX_SECRET);
    const agent = new UserAgent();
    const { page } = await agent.follow((await authorizationRequest(rp)).url.href, suite.balancer.url);
    const action = new URL(formAction(page!.html, 'login'), page!.url).href;
    const post = (password: string) =>
      step(async () => (await agent.request(action, { form: { _csrf: csrfToken(page!.html), username: dung.personalId, password } })).status);

    const attempts = [];
    for (const password of ['not-the-password', 'nor-this-one', 'nor-that-one', SANDBOX_PASSWORD]) attempts.push(await post(password));
    expect(attempts.map((a) => a.result)).toEqual([401, 401, 429, 429]);
    expect(new Set(attempts.slice(0, 3).map((a) => a.upstreams[0]))).toEqual(new Set(['A', 'B', 'C']));
  });
});
