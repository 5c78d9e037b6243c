// The SMS sign-in code is limited per account, not only per sign-in: whoever holds the password cannot guess on
// across sign-ins, nor flood the citizen's phone by starting sign-in after sign-in.
import { describe, expect, it } from 'vitest';
import { outboxFor } from '../../src/notify/sms.ts';
import { SANDBOX_CITIZENS, SANDBOX_PASSWORD } from '../../src/sandbox/seed.ts';
import { testClock } from '../helpers/clock.ts';
import { authorizationRequest, redeem, sandboxProviderForSuite } from '../helpers/relying-party.ts';
import { csrfToken, formAction, UserAgent, type FormPage } from '../helpers/user-agent.ts';

const MAX_WRONG = 10;
const MAX_CODES = 6;
const clock = testClock();
const suite = sandboxProviderForSuite({
  env: { OTP_MAX_WRONG_PER_DAY: String(MAX_WRONG), OTP_MAX_CODES_PER_DAY: String(MAX_CODES), SIGN_IN_RATE_PER_MINUTE: '10000', LOCKOUT_MAX_FAILURES: '50' },
  clock: clock.now,
});
const LOA2 = { acr_values: 'urn:vn:eid:loa:2' };
const codeIn = (sms: string | undefined) => /là (\d{6}),/.exec(sms ?? '')?.[1];

async function submit(agent: UserAgent, page: FormPage, formId: string, fields: Record<string, string>) {
  return agent.follow(new URL(formAction(page.html, formId), page.url).href, suite.provider.url, { form: { _csrf: csrfToken(page.html), ...fields } });
}

/** A new sign-in at level 2 up to the SMS code page (or whatever comes instead). */
async function toCodePage(citizen: (typeof SANDBOX_CITIZENS)[number]) {
  const agent = new UserAgent();
  const request = await authorizationRequest(suite.rp, LOA2);
  const start = await agent.follow(request.url.href, suite.provider.url);
  const after = await submit(agent, start.page!, 'login', { username: citizen.personalId, password: SANDBOX_PASSWORD });
  return { agent, request, page: after.page! };
}

const wrongFor = (code: string | undefined) => (code === '000000' ? '111111' : '000000');

describe('wrong codes across sign-ins', () => {
  it('stops checking codes for the account after the daily number of wrong ones, even the right code, until a day has passed', async () => {
    const an = SANDBOX_CITIZENS[0]!;
    // A sign-in left open on its code page while the day's wrong codes are used up elsewhere.
    const open = await toCodePage(an);
    const openCode = codeIn(await suite.provider.lastSms(an.phone))!;
    let wrong = 0;
    // Five sign-ins of up to five wrong codes each (the per-sign-in limit), as the attacker in the report did.
    let last!: Awaited<ReturnType<typeof toCodePage>>;
    while (wrong < MAX_WRONG) {
      last = await toCodePage(an);
      expect(last.page.html).toContain('id="otp"');
      const code = codeIn(await suite.provider.lastSms(an.phone));
      for (let i = 0; i < 5 && wrong < MAX_WRONG; i++, wrong++) {
        const step = await submit(last.agent, last.page, 'otp', { otp: wrongFor(code) });
        last.page = step.page!;
      }
      clock.advance(60);
    }
    // The sign-in whose code page is still open: its right code is refused, on a page with no code field whose way
    // back tells the service that level 2 cannot be reached now.
    const refused = await submit(open.agent, open.page, 'otp', { otp: openCode });
    expect(refused.redirect).toBeUndefined();
    expect(refused.page?.status).toBe(429);
    expect(refused.page?.html).toContain('quá nhiều mã xác thực trong 24 giờ qua');
    expect(refused.page?.html).not.toContain('id="otp"');
    const back = /<a href="([^"]+abort\?reason=codes)"/.exec(refused.page!.html)![1]!;
    const result = await open.agent.follow(new URL(back.replace(/&amp;/g, '&'), refused.page!.url).href, suite.provider.url);
    expect(new URL(result.redirect!).searchParams.get('error')).toBe('unmet_authentication_requirements');
    // A fresh sign-in: the same page at once, and no code is sent that could not be checked.
    const sent = async () => (await outboxFor(suite.provider.database.db, an.phone)).filter((m) => m.purpose === 'sign_in_code').length;
    const before = await sent();
    const fresh = await toCodePage(an);
    expect(fresh.page.status).toBe(429);
    expect(fresh.page.html).toContain('quá nhiều mã xác thực trong 24 giờ qua');
    expect(fresh.page.html).not.toContain('id="otp"');
    expect(await sent()).toBe(before);

    clock.advance(24 * 3600 + 1);
    const nextDay = await toCodePage(an);
    const done = await submit(nextDay.agent, nextDay.page, 'otp', { otp: codeIn(await suite.provider.lastSms(an.phone))! });
    const consented = done.page?.html.includes('id="consent"') ? await submit(nextDay.agent, done.page, 'consent', { decision: 'approve' }) : done;
    const tokens = await redeem(suite.rp, nextDay.request, consented.redirect!);
    expect(tokens.claims()?.acr).toBe('urn:vn:eid:loa:2');
  });
});

describe('codes sent across sign-ins', () => {
  it('sends at most the daily number of codes to the phone, then explains and lets the service know', async () => {
    const cuong = SANDBOX_CITIZENS[2]!;
    const sent = async () => (await outboxFor(suite.provider.database.db, cuong.phone)).filter((m) => m.purpose === 'sign_in_code').length;
    const before = await sent();
    for (let i = 0; i < MAX_CODES; i++) {
      const { page } = await toCodePage(cuong);
      expect(page.html).toContain('id="otp"');
    }
    expect((await sent()) - before).toBe(MAX_CODES);

    const over = await toCodePage(cuong);
    expect(over.page.status).toBe(429);
    expect(over.page.html).toContain('quá nhiều mã xác thực trong 24 giờ qua');
    expect((await sent()) - before).toBe(MAX_CODES);
    // The page's way back tells the service that level 2 cannot be reached now.
    const back = /<a href="([^"]+abort\?reason=codes)"/.exec(over.page.html)?.[1];
    expect(back).toBeTruthy();
    const result = await over.agent.follow(new URL(back!.replace(/&amp;/g, '&'), over.page.url).href, suite.provider.url);
    expect(new URL(result.redirect!).searchParams.get('error')).toBe('unmet_authentication_requirements');
  });
});

describe('resends sent all at once', () => {
  it('send one code: the wait between codes holds for a double-clicked (or scripted) "send a new code"', async () => {
    const em = SANDBOX_CITIZENS[4]!;
    const sent = async () => (await outboxFor(suite.provider.database.db, em.phone)).filter((m) => m.purpose === 'sign_in_code').length;
    const { agent, page } = await toCodePage(em);
    expect(page.html).toContain('id="otp"');
    const before = await sent();
    clock.advance(31);
    // Eight at once from the same sign-in, each with the page's form and cookies.
    const answers = await Promise.all(Array.from({ length: 8 }, () => submit(agent, page, 'otp-resend', {})));
    expect((await sent()) - before).toBe(1);
    expect(answers.filter((a) => a.page?.html.includes('Đã gửi mã mới.'))).toHaveLength(1);
    expect(answers.filter((a) => a.page?.status === 429)).toHaveLength(7);
  });
});

describe('wrong codes sent all at once', () => {
  it('compares as many as the sign-in allows and counts only those: none is told the day is spent when it is not', async () => {
    const em = SANDBOX_CITIZENS[4]!;
    clock.advance(3600);
    const { agent, page } = await toCodePage(em);
    const code = codeIn(await suite.provider.lastSms(em.phone));
    const answers = await Promise.all(Array.from({ length: 20 }, () => submit(agent, page, 'otp', { otp: wrongFor(code) })));
    const texts = answers.map((a) => a.page?.html ?? '');
    expect(texts.filter((html) => html.includes('quá nhiều mã xác thực trong 24 giờ qua'))).toEqual([]);
    // Five compared: four told how many tries are left, the fifth that this sign-in's tries are used up.
    expect(texts.filter((html) => html.includes('Mã xác thực không đúng.'))).toHaveLength(4);
    const allowance = await suite.provider.database.db
      .selectFrom('sign_in_code_allowances')
      .innerJoin('accounts', 'accounts.id', 'sign_in_code_allowances.account_id')
      .select('wrong_codes')
      .where('accounts.personal_id', '=', em.personalId)
      .executeTakeFirstOrThrow();
    expect(allowance.wrong_codes).toBe(5);
  });
});
