// Assurance levels as a relying party meets them: a password reaches level 1; level 2 needs a level-2 account
// and an SMS code in this session; a request that cannot be met never yields a token of a lower level.
import * as oidc from 'openid-client';
import { describe, expect, it } from 'vitest';
import { SANDBOX_CITIZENS, SANDBOX_PASSWORD } from '../../src/sandbox/seed.ts';
import { testClock } from '../helpers/clock.ts';
import { authorizationRequest, redeem, relyingParty, sandboxProviderForSuite } from '../helpers/relying-party.ts';
import { csrfToken, formAction, signInThroughPages, UserAgent, type FormPage } from '../helpers/user-agent.ts';

const an = SANDBOX_CITIZENS.find((c) => c.level === 2)!;
const binh = SANDBOX_CITIZENS.find((c) => c.level === 1)!;
const LOA2 = 'urn:vn:eid:loa:2';

const clock = testClock();
const suite = sandboxProviderForSuite({ clock: clock.now });

const codeIn = (sms: string | undefined) => /là (\d{6}),/.exec(sms ?? '')?.[1];

/** Posts a form on the current page and follows where it leads. */
async function submit(agent: UserAgent, page: FormPage, formId: string, fields: Record<string, string>) {
  return agent.follow(new URL(formAction(page.html, formId), page.url).href, suite.provider.url, { form: { _csrf: csrfToken(page.html), ...fields } });
}

async function passwordStep(agent: UserAgent, params: Record<string, string>, citizen = an) {
  const request = await authorizationRequest(suite.rp, params);
  const start = await agent.follow(request.url.href, suite.provider.url);
  const after = await submit(agent, start.page!, 'login', { username: citizen.personalId, password: SANDBOX_PASSWORD });
  return { request, after };
}

async function approveConsentIfAsked(agent: UserAgent, step: Awaited<ReturnType<UserAgent['follow']>>) {
  return step.page?.html.includes('id="consent"') ? submit(agent, step.page, 'consent', { decision: 'approve' }) : step;
}

describe('level 2 by SMS code', () => {
  it('asks a level-2 account for the SMS code after the password, and states level 2 with the methods used', async () => {
    const agent = new UserAgent();
    const { request, after } = await passwordStep(agent, { acr_values: LOA2 });
    expect(after.page?.html).toContain('id="otp"');
    expect(after.page?.html).toContain('name="otp"');
    expect(after.page?.html).toContain('+84 •••• ••678');
    const code = codeIn(await suite.provider.lastSms(an.phone));
    expect(code).toMatch(/^\d{6}$/);

    const wrong = await submit(agent, after.page!, 'otp', { otp: code === '000000' ? '111111' : '000000' });
    expect(wrong.page?.status).toBe(400);
    expect(wrong.page?.html).toContain('Mã xác thực không đúng. Bạn còn 4 lần thử.');

    // The language switch on that page shows the code page in English (not the password form), and back.
    const switchLink = (html: string) => /<header>[\s\S]*?<a href="([^"]+)" hreflang/.exec(html)![1]!.replace(/&amp;/g, '&');
    const english = await agent.follow(new URL(switchLink(wrong.page!.html), wrong.page!.url).href, suite.provider.url);
    expect(english.page?.html).toContain('<html lang="en">');
    expect(english.page?.html).toContain('id="otp"');
    expect(english.page?.html).toContain('Enter the confirmation code');
    const back = await agent.follow(new URL(switchLink(english.page!.html), english.page!.url).href, suite.provider.url);
    expect(back.page?.html).toContain('Nhập mã xác thực');

    const done = await approveConsentIfAsked(agent, await submit(agent, back.page!, 'otp', { otp: code! }));
    const tokens = await redeem(suite.rp, request, done.redirect!);
    expect(tokens.claims()).toMatchObject({ acr: LOA2, amr: ['pwd', 'otp', 'sms'] });
  });

  it('steps a level-1 session up with the code alone, without asking the password again', async () => {
    const agent = new UserAgent();
    const first = await authorizationRequest(suite.rp);
    const firstTokens = await redeem(suite.rp, first, await signInThroughPages(agent, first.url.href, { username: an.personalId, password: SANDBOX_PASSWORD }));
    expect(firstTokens.claims()?.acr).toBe('urn:vn:eid:loa:1');

    const second = await authorizationRequest(suite.rp, { acr_values: LOA2 });
    const step = await agent.follow(second.url.href, suite.provider.url);
    expect(step.page?.html).toContain('id="otp"');
    expect(step.page?.html).not.toContain('id="login"');
    const done = await approveConsentIfAsked(agent, await submit(agent, step.page!, 'otp', { otp: codeIn(await suite.provider.lastSms(an.phone))! }));
    const tokens = await redeem(suite.rp, second, done.redirect!);
    expect(tokens.claims()).toMatchObject({ sub: firstTokens.claims()!.sub, acr: LOA2 });

    // The session is now at level 2: a later request for level 1 or 2 is answered without any page.
    for (const params of [{}, { acr_values: LOA2 }] as Record<string, string>[]) {
      const next = await authorizationRequest(suite.rp, params);
      const quiet = await agent.follow(next.url.href, suite.provider.url);
      expect(quiet.redirect).toBeTruthy();
      expect((await redeem(suite.rp, next, quiet.redirect!)).claims()?.acr).toBe(LOA2);
    }
  });

  it('honours an essential acr claim in the claims parameter like acr_values', async () => {
    const agent = new UserAgent();
    const claims = JSON.stringify({ id_token: { acr: { essential: true, values: [LOA2] } } });
    const { request, after } = await passwordStep(agent, { claims });
    expect(after.page?.html).toContain('id="otp"');
    const done = await approveConsentIfAsked(agent, await submit(agent, after.page!, 'otp', { otp: codeIn(await suite.provider.lastSms(an.phone))! }));
    expect((await redeem(suite.rp, request, done.redirect!)).claims()?.acr).toBe(LOA2);
  });
});

describe('requests that cannot be met', () => {
  it('shows a level-1 account how to upgrade, and the service gets an error, never a token', async () => {
    const agent = new UserAgent();
    const { request, after } = await passwordStep(agent, { acr_values: LOA2 }, binh);
    expect(after.page?.status).toBe(403);
    expect(after.page?.html).toContain('<html lang="vi">');
    expect(after.page?.html).toContain('yêu cầu tài khoản định danh điện tử mức độ 2');
    expect(after.page?.html).toContain('cơ quan công an');
    const back = /<a href="([^"]+abort[^"]*)"/.exec(after.page!.html)![1]!.replace(/&amp;/g, '&');
    const result = await agent.follow(new URL(back, suite.provider.url).href, suite.provider.url);
    const params = new URL(result.redirect!).searchParams;
    expect(params.get('error')).toBe('unmet_authentication_requirements');
    expect(params.get('state')).toBe(request.state);
    await expect(redeem(suite.rp, request, result.redirect!)).rejects.toMatchObject({ error: 'unmet_authentication_requirements' });
  });

  it('refuses level 2 to a relying party approved only for level 1', async () => {
    await suite.provider.addClient({ client_id: 'portal-l1', client_secret: 'portal-l1-secret-0123456789', redirect_uris: ['http://localhost:8080/callback'], scope: 'openid profile', assurance_level: 1 });
    const portal = await relyingParty(suite.provider.url, 'portal-l1', 'portal-l1-secret-0123456789');
    const request = await authorizationRequest(portal, { acr_values: LOA2 });
    const response = await fetch(request.url, { redirect: 'manual' });
    const params = new URL(response.headers.get('location')!).searchParams;
    expect(params.get('error')).toBe('access_denied');
    expect(params.get('error_description')).toBe('this client is not approved for urn:vn:eid:loa:2');
  });

  it('fails an essential acr claim that names no level this provider has, and only ignores such acr_values', async () => {
    for (const acr of [{ essential: true, values: ['urn:vn:eid:loa:3'] }, { essential: true, value: 'urn:example:mfa' }]) {
      const request = await authorizationRequest(suite.rp, { claims: JSON.stringify({ id_token: { acr } }) });
      const response = await fetch(request.url, { redirect: 'manual' });
      const params = new URL(response.headers.get('location')!).searchParams;
      expect(params.get('error'), JSON.stringify(acr)).toBe('unmet_authentication_requirements');
      expect(params.get('error_description')).toBe('claims.id_token.acr is essential but names no level this provider has (urn:vn:eid:loa:1, urn:vn:eid:loa:2)');
      expect(params.get('state')).toBe(request.state);
    }
    // acr_values are voluntary (OpenID Connect Core 3.1.2.1): an unknown one is no reason to refuse.
    const agent = new UserAgent();
    const { request, after } = await passwordStep(agent, { acr_values: 'urn:vn:eid:loa:3' }, binh);
    const done = await approveConsentIfAsked(agent, after);
    expect((await redeem(suite.rp, request, done.redirect!)).claims()?.acr).toBe('urn:vn:eid:loa:1');
  });

  it('asks for the password again on prompt=login and on max_age=0, even within a session', async () => {
    const agent = new UserAgent();
    const first = await authorizationRequest(suite.rp);
    await redeem(suite.rp, first, await signInThroughPages(agent, first.url.href, { username: an.personalId, password: SANDBOX_PASSWORD }));
    for (const params of [{ prompt: "login" }, { max_age: "0" }] as Record<string, string>[]) {
      const again = await authorizationRequest(suite.rp, params);
      const step = await agent.follow(again.url.href, suite.provider.url);
      expect(step.page?.html, JSON.stringify(params)).toContain('id="login"');
    }
  });
});

describe('the SMS code itself', () => {
  it('resends only after a growing wait, and a new code replaces the old one', async () => {
    const agent = new UserAgent();
    const { after } = await passwordStep(agent, { acr_values: LOA2 });
    const firstCode = codeIn(await suite.provider.lastSms(an.phone));
    expect(after.page?.html).toContain('Bạn có thể yêu cầu mã mới sau 30 giây.');
    // The button is there all along (nothing on the page counts down); pressed early, it says how long is left.
    expect(after.page?.html).toContain('Gửi lại mã');
    const early = await submit(agent, after.page!, 'otp-resend', {});
    expect(early.page?.status).toBe(429);
    expect(early.page?.html).toMatch(/Bạn có thể yêu cầu mã mới sau \d+ giây\./);
    expect(codeIn(await suite.provider.lastSms(an.phone))).toBe(firstCode);

    clock.advance(31);
    const resent = await submit(agent, early.page!, 'otp-resend', {});
    expect(resent.page?.html).toContain('Đã gửi mã mới.');
    expect(resent.page?.html).toContain('Bạn có thể yêu cầu mã mới sau 60 giây.');
    const secondCode = codeIn(await suite.provider.lastSms(an.phone));
    if (secondCode !== firstCode) {
      const stale = await submit(agent, resent.page!, 'otp', { otp: firstCode! });
      expect(stale.page?.status).toBe(400);
    }
    const done = await submit(agent, resent.page!, 'otp', { otp: secondCode! });
    expect(done.page?.html ?? done.redirect).not.toContain('id="otp"');
  });

  it('takes a code pasted with spaces, and costs no try for what is not six digits', async () => {
    const agent = new UserAgent();
    const { request, after } = await passwordStep(agent, { acr_values: LOA2 });
    const code = codeIn(await suite.provider.lastSms(an.phone))!;
    let page = after.page!;
    for (const typed of ['', '12ab', '12345', '1234567']) {
      const refused = await submit(agent, page, 'otp', { otp: typed });
      expect(refused.page?.status, typed).toBe(400);
      expect(refused.page?.html).toContain('Mã xác thực gồm 6 chữ số. Hãy nhập lại; lần này không bị tính là một lần thử.');
      expect(refused.page?.html).toContain('aria-describedby="otp-error"');
      page = refused.page!;
    }
    const wrong = await submit(agent, page, 'otp', { otp: code === '000000' ? '111111' : '000000' });
    // Four tries were not guesses: the first wrong code leaves four of five.
    expect(wrong.page?.html).toContain('Mã xác thực không đúng. Bạn còn 4 lần thử.');
    const done = await approveConsentIfAsked(agent, await submit(agent, wrong.page!, 'otp', { otp: `${code.slice(0, 3)} ${code.slice(3)}` }));
    expect((await redeem(suite.rp, request, done.redirect!)).claims()?.acr).toBe(LOA2);
  });

  it('expires after five minutes and after five wrong tries', async () => {
    const agent = new UserAgent();
    const { after } = await passwordStep(agent, { acr_values: LOA2 });
    const code = codeIn(await suite.provider.lastSms(an.phone))!;
    const wrongCode = code === '000000' ? '111111' : '000000';
    let page = after.page!;
    for (let i = 0; i < 5; i++) page = (await submit(agent, page, 'otp', { otp: wrongCode })).page!;
    expect(page.html).toContain('Mã xác thực đã hết hạn hoặc đã nhập sai quá nhiều lần.');
    expect((await submit(agent, page, 'otp', { otp: code })).page?.status).toBe(400);

    const other = new UserAgent();
    const fresh = await passwordStep(other, { acr_values: LOA2 });
    const freshCode = codeIn(await suite.provider.lastSms(an.phone))!;
    clock.advance(301);
    const late = await submit(other, fresh.after.page!, 'otp', { otp: freshCode });
    expect(late.page?.status).toBe(400);
    expect(late.page?.html).toContain('đã hết hạn');
  });
});
