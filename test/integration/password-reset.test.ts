// Password reset by a one-time code sent by SMS, from the sign-in page's "Quên mật khẩu?" link: the code
// reaches only the registered phone, is short-lived and tried a few times at most, and the pages never
// tell whether an ID number has an account.
import * as oidc from 'openid-client';
import { describe, expect, it } from 'vitest';
import { resetPassword } from '../../src/accounts/password-reset.ts';
import { outboxFor } from '../../src/notify/sms.ts';
import { SANDBOX_CITIZENS, SANDBOX_PASSWORD } from '../../src/sandbox/seed.ts';
import { testClock } from '../helpers/clock.ts';
import { officerClient } from '../helpers/officer-api.ts';
import { authorizationRequest, redeem, relyingParty, sandboxProviderForSuite, type AuthorizationRequest } from '../helpers/relying-party.ts';
import { csrfToken, formAction, signInThroughPages, UserAgent, type FormPage } from '../helpers/user-agent.ts';

const an = SANDBOX_CITIZENS[0]!;
const CODE_SECONDS = 600;
const RESEND_SECONDS = 60;
const NEW_PASSWORD = 'Hoa-Sen-Tím-42';

const vi = {
  sent: 'Nếu số định danh này có tài khoản, mã xác nhận đã được gửi đến số điện thoại đã đăng ký. Mã có hiệu lực trong 10 phút.',
  invalidCode: 'Mã xác nhận không đúng hoặc đã hết hạn.',
  reset: 'Mật khẩu đã được đặt lại. Vui lòng đăng nhập bằng mật khẩu mới.',
  wrong: 'Số định danh cá nhân hoặc mật khẩu không đúng.',
  common: 'Mật khẩu này quá phổ biến nên dễ bị đoán. Hãy chọn mật khẩu khác.',
  personalId: 'Mật khẩu không được chứa số định danh cá nhân.',
  birthdate: 'Mật khẩu không được chứa ngày sinh của bạn.',
  mismatch: 'Hai mật khẩu bạn nhập không khớp nhau.',
  tooShort: 'Mật khẩu cần ít nhất 8 ký tự.',
};

const clock = testClock();
const suite = sandboxProviderForSuite({ env: { LOCKOUT_MAX_FAILURES: '3', SIGN_IN_RATE_PER_MINUTE: '10000' }, clock: clock.now });

const decode = (text: string) => text.replace(/&amp;/g, '&');
const errorOf = (html: string) => /role="alert"[^>]*>([^<]*)</.exec(html)?.[1];
const noticeOf = (html: string) => /class="notice"[^>]*>([^<]*)</.exec(html)?.[1];

/** A citizen who opened a service's sign-in page and follows "Quên mật khẩu?". */
class ForgotPassword {
  readonly agent = new UserAgent();
  request!: AuthorizationRequest;
  page!: FormPage;

  static async open(): Promise<ForgotPassword> {
    const flow = new ForgotPassword();
    flow.request = await authorizationRequest(suite.rp, { scope: 'openid personal_id' });
    const login = (await flow.agent.follow(flow.request.url.href, suite.provider.url)).page!;
    const link = /<a href="([^"]+)">Quên mật khẩu\?<\/a>/.exec(login.html)?.[1];
    expect(link, 'the sign-in page links to the reset').toBeTruthy();
    await flow.get(new URL(decode(link!), login.url).href);
    expect(flow.page.status).toBe(200);
    expect(flow.page.html).toContain('id="password-reset-request"');
    return flow;
  }

  async get(url: string) {
    const step = await this.agent.follow(url, suite.provider.url);
    this.page = step.page!;
    return this.page;
  }

  private async post(formId: string, fields: Record<string, string>) {
    const action = new URL(formAction(this.page.html, formId), this.page.url).href;
    const response = await this.agent.request(action, { form: { _csrf: csrfToken(this.page.html), ...fields } });
    const html = await response.text();
    const location = response.headers.get('location');
    if (!location) this.page = { status: response.status, url: action, html };
    return { status: response.status, html, location, error: errorOf(html) };
  }

  askCode(username: string) {
    return this.post('password-reset-request', { username });
  }

  confirm(code: string, password: string, confirmation = password) {
    const username = /name="username" value="([^"]*)"/.exec(this.page.html)?.[1] ?? '';
    return this.post('password-reset', { username, code, password, password_confirm: confirmation });
  }

  /** Posts the code form straight away, as a replayed or forged request would (no code asked on this page). */
  replayConfirm(username: string, code: string, password: string) {
    const action = new URL(`${formAction(this.page.html, 'password-reset-request')}/confirm`, this.page.url).href;
    return this.agent.request(action, { form: { _csrf: csrfToken(this.page.html), username, code, password, password_confirm: password } }).then(async (response) => ({
      status: response.status,
      error: errorOf(await response.text()),
    }));
  }

  /** Follows the page's language switch (the link in the header). */
  switchLanguage() {
    const href = /<header>[\s\S]*?<a href="([^"]+)" hreflang/.exec(this.page.html)?.[1];
    expect(href, 'the page has a language switch').toBeTruthy();
    return this.get(new URL(decode(href!), this.page.url).href);
  }
}

async function smsCount(phone: string) {
  // The code is sent after the page answers: count once that work has settled.
  await suite.provider.background.idle();
  return (await outboxFor(suite.provider.database.db, phone)).length;
}

async function latestCode(phone: string): Promise<string> {
  const text = await suite.provider.lastSms(phone);
  const code = /mã đặt lại mật khẩu của bạn là (\d{6}),/.exec(text ?? '')?.[1];
  expect(code, `a reset code in the SMS to ${phone}: ${text}`).toBeTruthy();
  return code!;
}

/** Signs in through the pages and back at the relying party; returns the personal ID the service received. */
async function signsIn(personalId: string, password: string) {
  const request = await authorizationRequest(suite.rp, { scope: 'openid personal_id', prompt: 'consent' });
  const tokens = await redeem(suite.rp, request, await signInThroughPages(new UserAgent(), request.url.href, { username: personalId, password }));
  return (await oidc.fetchUserInfo(suite.rp, tokens.access_token, tokens.claims()!.sub)).personal_id;
}

/** The sign-in page's answer to one attempt. */
async function signInAttempt(personalId: string, password: string) {
  const agent = new UserAgent();
  const page = (await agent.follow((await authorizationRequest(suite.rp)).url.href, suite.provider.url)).page!;
  const response = await agent.request(new URL(formAction(page.html, 'login'), page.url).href, { form: { _csrf: csrfToken(page.html), username: personalId, password } });
  return { status: response.status, error: errorOf(await response.text()) };
}

// Citizens of this file's own, so that codes, locks and resend limits of one test never touch another.
let serial = 0;
async function newCitizen() {
  serial++;
  const personalId = `001094${String(serial).padStart(6, '0')}`;
  const phone = `+8498${String(serial).padStart(7, '0')}`;
  const db = suite.provider.database.db;
  await db.insertInto('citizens').values({ personal_id: personalId, family_name: 'Hồ', middle_name: 'Văn', given_name: 'Thử', birthdate: '1994-08-17', sex: 'male' }).execute();
  // Sandbox citizens, as the sandbox client signs in no one else.
  await db.insertInto('sandbox_seed').values({ kind: 'citizen', key: personalId }).execute();
  const account = await db
    .insertInto('accounts')
    .values({ personal_id: personalId, level: 1, phone, phone_verified: true, password_hash: await suite.provider.services.passwords.hash(SANDBOX_PASSWORD) })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { personalId, phone, id: account.id };
}

describe('password reset by SMS code', () => {
  it('texts a 6-digit code to the registered phone; the right code and a good password replace the old one', async () => {
    const flow = await ForgotPassword.open();
    const before = await smsCount(an.phone);
    const asked = await flow.askCode(an.personalId);
    expect(asked.status).toBe(200);
    expect(asked.html).toContain('<html lang="vi">');
    expect(asked.html).toContain(vi.sent);
    expect(asked.html).toContain('id="password-reset"');
    expect(await smsCount(an.phone)).toBe(before + 1);
    expect(await suite.provider.lastSms(an.phone)).toMatch(/^Định danh điện tử: mã đặt lại mật khẩu của bạn là \d{6}, có hiệu lực 10 phút\./);
    const code = await latestCode(an.phone);

    const wrongCode = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
    expect(await flow.confirm(wrongCode, NEW_PASSWORD)).toMatchObject({ status: 400, error: vi.invalidCode, location: null });

    // The right code with a weak password: the rule is named, and the code still works for the retry.
    for (const [password, confirmation, message] of [
      ['Matkhau@2024', 'Matkhau@2024', vi.common],
      [`An${an.personalId}`, `An${an.personalId}`, vi.personalId],
      ['An-12051990', 'An-12051990', vi.birthdate],
      [NEW_PASSWORD, `${NEW_PASSWORD}!`, vi.mismatch],
      ['Ab1!xyz', 'Ab1!xyz', vi.tooShort],
    ] as const) {
      expect(await flow.confirm(code, password, confirmation), password).toMatchObject({ status: 400, error: message, location: null });
    }

    const done = await flow.confirm(code, NEW_PASSWORD);
    expect(done.status).toBe(303);
    const login = await flow.get(new URL(done.location!, suite.provider.url).href);
    expect(login.status).toBe(200);
    expect(login.html).toContain('id="login"');
    expect(noticeOf(login.html)).toBe(vi.reset);

    // The citizen signs in right there, and the service gets them back.
    const callback = await signInThroughPages(flow.agent, flow.request.url.href, { username: an.personalId, password: NEW_PASSWORD });
    const tokens = await redeem(suite.rp, flow.request, callback);
    expect((await oidc.fetchUserInfo(suite.rp, tokens.access_token, tokens.claims()!.sub)).personal_id).toBe(an.personalId);
    expect(await signInAttempt(an.personalId, SANDBOX_PASSWORD)).toEqual({ status: 401, error: vi.wrong });

    // The code was for one use: the same form sent again is refused. Neither the code nor the new
    // password reached the logs.
    const again = await ForgotPassword.open();
    expect(await again.replayConfirm(an.personalId, code, 'Một-mật-khẩu-khác-7')).toMatchObject({ status: 400, error: vi.invalidCode });
    expect(await smsCount(an.phone)).toBe(before + 1);
    const logs = suite.provider.logs.join('');
    expect(logs).not.toContain(code);
    expect(logs).not.toContain(NEW_PASSWORD);
  });

  it('gives an unknown ID number the identical page and sends no SMS', async () => {
    const known = await newCitizen();
    const unknown = '001094999999';
    // The code is queued after the answer (the reset runs in the background): count once that work has settled.
    const count = async () => {
      await suite.provider.background.idle();
      return (await suite.provider.database.db.selectFrom('sms_outbox').select('id').execute()).length;
    };

    const first = await ForgotPassword.open();
    const knownPage = await first.askCode(known.personalId);
    const before = await count();
    const second = await ForgotPassword.open();
    const unknownPage = await second.askCode(unknown);
    expect(await count()).toBe(before);

    // The pages differ only in the interaction, the form token and the number typed.
    const normalize = (html: string, personalId: string) =>
      html.replace(/\/interaction\/[\w-]+/g, '/interaction/UID').replace(/name="_csrf" value="[^"]+"/, '').replaceAll(personalId, 'NUMBER');
    expect(unknownPage.status).toBe(knownPage.status);
    expect(normalize(unknownPage.html, unknown)).toBe(normalize(knownPage.html, known.personalId));

    // Whatever is typed as a code for the unknown number is simply wrong.
    expect(await second.confirm('123456', NEW_PASSWORD)).toMatchObject({ status: 400, error: vi.invalidCode });

    // A malformed number is told the format, as on the sign-in page.
    const third = await ForgotPassword.open();
    expect(await third.askCode('12345')).toMatchObject({ status: 400, error: 'Số định danh cá nhân gồm đúng 12 chữ số.' });
  });

  it('refuses the right code after 5 wrong ones', async () => {
    const citizen = await newCitizen();
    const flow = await ForgotPassword.open();
    await flow.askCode(citizen.personalId);
    const code = await latestCode(citizen.phone);
    const wrong = (i: number) => String((Number(code) + i) % 1_000_000).padStart(6, '0');
    for (let i = 1; i <= 5; i++) expect((await flow.confirm(wrong(i), NEW_PASSWORD)).error).toBe(vi.invalidCode);
    expect(await flow.confirm(code, NEW_PASSWORD)).toMatchObject({ status: 400, error: vi.invalidCode });
    expect(await signsIn(citizen.personalId, SANDBOX_PASSWORD)).toBe(citizen.personalId);
  });

  it('counts guesses sent all at once against the same 5 attempts', async () => {
    const citizen = await newCitizen();
    const flow = await ForgotPassword.open();
    await flow.askCode(citizen.personalId);
    const code = await latestCode(citizen.phone);
    // Twenty guesses at the same moment, the right one last: only five are ever tried.
    const guesses = Array.from({ length: 20 }, (_, i) => (i === 19 ? code : String((Number(code) + i + 1) % 1_000_000).padStart(6, '0')));
    const outcomes = await Promise.all(
      guesses.map((guess) => resetPassword(suite.provider.services.passwordReset, { personalId: citizen.personalId, code: guess, password: NEW_PASSWORD, confirmation: NEW_PASSWORD })),
    );
    expect(outcomes.every((o) => !o.ok && o.problem === 'invalid_code')).toBe(true);
    expect(await signsIn(citizen.personalId, SANDBOX_PASSWORD)).toBe(citizen.personalId);
  });

  it('lets a code reset the password once, even when it is sent several times at once', async () => {
    const citizen = await newCitizen();
    const flow = await ForgotPassword.open();
    await flow.askCode(citizen.personalId);
    const code = await latestCode(citizen.phone);
    const passwords = Array.from({ length: 5 }, (_, i) => `${NEW_PASSWORD}-${i}`);
    const outcomes = await Promise.all(
      passwords.map((password) => resetPassword(suite.provider.services.passwordReset, { personalId: citizen.personalId, code, password, confirmation: password })),
    );
    expect(outcomes.filter((o) => o.ok)).toHaveLength(1);
    expect(outcomes.filter((o) => !o.ok).every((o) => !o.ok && o.problem === 'invalid_code')).toBe(true);
    const winner = passwords[outcomes.findIndex((o) => o.ok)]!;
    expect(await signsIn(citizen.personalId, winner)).toBe(citizen.personalId);
  });

  it('refuses a code once RESET_CODE_SECONDS have passed', async () => {
    const citizen = await newCitizen();
    const flow = await ForgotPassword.open();
    await flow.askCode(citizen.personalId);
    const code = await latestCode(citizen.phone);
    clock.advance(CODE_SECONDS + 1);
    expect(await flow.confirm(code, NEW_PASSWORD)).toMatchObject({ status: 400, error: vi.invalidCode });
    expect(await signsIn(citizen.personalId, SANDBOX_PASSWORD)).toBe(citizen.personalId);
  });

  it('sends no second SMS within RESET_RESEND_SECONDS, and a later one replaces the first code', async () => {
    const citizen = await newCitizen();
    const flow = await ForgotPassword.open();
    const first = await flow.askCode(citizen.personalId);
    const firstCode = await latestCode(citizen.phone);
    clock.advance(RESEND_SECONDS - 1);
    const again = await ForgotPassword.open();
    const second = await again.askCode(citizen.personalId);
    expect(second.status).toBe(first.status);
    expect(second.html).toContain(vi.sent);
    expect(await smsCount(citizen.phone)).toBe(1);
    // The code already sent still works from the second page.
    clock.advance(2);
    const third = await ForgotPassword.open();
    await third.askCode(citizen.personalId);
    expect(await smsCount(citizen.phone)).toBe(2);
    const secondCode = await latestCode(citizen.phone);
    if (secondCode !== firstCode) expect((await third.confirm(firstCode, NEW_PASSWORD)).error).toBe(vi.invalidCode);
    expect((await third.confirm(secondCode, NEW_PASSWORD)).status).toBe(303);
    expect(await signsIn(citizen.personalId, NEW_PASSWORD)).toBe(citizen.personalId);
  });

  it('sends one SMS for many requests at once: parallel pages cannot slip past the resend limit', async () => {
    const citizen = await newCitizen();
    const pages = await Promise.all(Array.from({ length: 8 }, () => ForgotPassword.open()));
    const asked = await Promise.all(pages.map((page) => page.askCode(citizen.personalId)));
    expect(asked.every((a) => a.html.includes(vi.sent))).toBe(true);
    expect(await smsCount(citizen.phone)).toBe(1);
    // The one code sent is the one that works.
    const last = pages.at(-1)!;
    expect((await last.confirm(await latestCode(citizen.phone), NEW_PASSWORD)).status).toBe(303);
  });

  it('sends at most five codes to one phone in 24 hours', async () => {
    const citizen = await newCitizen();
    for (let i = 0; i < 7; i++) {
      const flow = await ForgotPassword.open();
      const asked = await flow.askCode(citizen.personalId);
      // The page never tells that the limit was reached (it would tell that the number has an account).
      expect(asked.html).toContain(vi.sent);
      await suite.provider.background.idle();
      clock.advance(RESEND_SECONDS + 1);
    }
    expect(await smsCount(citizen.phone)).toBe(5);
    clock.advance(24 * 3600);
    await (await ForgotPassword.open()).askCode(citizen.personalId);
    expect(await smsCount(citizen.phone)).toBe(6);
  });

  it('lifts a lock from failed sign-ins: proving the phone is enough', async () => {
    const citizen = await newCitizen();
    const attempts = [];
    for (let i = 0; i < 3; i++) attempts.push((await signInAttempt(citizen.personalId, 'not-the-password')).status);
    expect(attempts).toEqual([401, 401, 429]);
    expect((await signInAttempt(citizen.personalId, SANDBOX_PASSWORD)).status).toBe(429);

    const flow = await ForgotPassword.open();
    await flow.askCode(citizen.personalId);
    expect((await flow.confirm(await latestCode(citizen.phone), NEW_PASSWORD)).status).toBe(303);
    expect(await signsIn(citizen.personalId, NEW_PASSWORD)).toBe(citizen.personalId);
    const officer = await officerClient(suite.provider.url, 'canbo');
    expect((await officer.call('GET', `/admin/accounts/${citizen.id}`)).body).toMatchObject({ status: 'active', lock_reason: null });
  });

  it('sends no code to an account an officer locked, and an officer lock voids a code already sent', async () => {
    const officer = await officerClient(suite.provider.url, 'canbo');
    const lockedFirst = await newCitizen();
    expect((await officer.call('POST', `/admin/accounts/${lockedFirst.id}/lock`, { reason: 'Nghi bị chiếm đoạt tài khoản' })).status).toBe(200);
    const flow = await ForgotPassword.open();
    const page = await flow.askCode(lockedFirst.personalId);
    expect(page.status).toBe(200);
    expect(page.html).toContain(vi.sent);
    expect(await smsCount(lockedFirst.phone)).toBe(0);

    const lockedLater = await newCitizen();
    const later = await ForgotPassword.open();
    await later.askCode(lockedLater.personalId);
    const code = await latestCode(lockedLater.phone);
    expect((await officer.call('POST', `/admin/accounts/${lockedLater.id}/lock`, { reason: 'Nghi bị chiếm đoạt tài khoản' })).status).toBe(200);
    expect(await later.confirm(code, NEW_PASSWORD)).toMatchObject({ status: 400, error: vi.invalidCode });
    // The password did not change behind the lock: after the officer's unlock the old one still works.
    expect((await officer.call('POST', `/admin/accounts/${lockedLater.id}/unlock`)).status).toBe(200);
    expect(await signsIn(lockedLater.personalId, SANDBOX_PASSWORD)).toBe(lockedLater.personalId);
  });

  it('keeps the flow when the citizen switches to English and back', async () => {
    const citizen = await newCitizen();
    const flow = await ForgotPassword.open();
    const english = await flow.switchLanguage();
    expect(english.status).toBe(200);
    expect(english.html).toContain('<html lang="en">');
    expect(english.html).toContain('Reset your password');
    expect(english.html).toContain('id="password-reset-request"');

    const asked = await flow.askCode(citizen.personalId);
    expect(asked.html).toContain('<html lang="en">');
    expect(asked.html).toContain('If this number has an e-ID account, a confirmation code has been sent to the registered phone.');
    const code = await latestCode(citizen.phone);
    expect(await flow.confirm(code, NEW_PASSWORD, 'something else')).toMatchObject({ status: 400, error: 'The two passwords you typed are not the same.' });

    // Back to Vietnamese on the code page: still the code page, for the same number.
    const vietnamese = await flow.switchLanguage();
    expect(vietnamese.status).toBe(200);
    expect(vietnamese.html).toContain('<html lang="vi">');
    expect(vietnamese.html).toContain('id="password-reset"');
    expect(vietnamese.html).toContain(`name="username" value="${citizen.personalId}"`);
    expect(await smsCount(citizen.phone)).toBe(1);

    const done = await flow.confirm(code, NEW_PASSWORD);
    expect(done.status).toBe(303);
    const login = await flow.get(new URL(done.location!, suite.provider.url).href);
    expect(noticeOf(login.html)).toBe(vi.reset);
  });
});
