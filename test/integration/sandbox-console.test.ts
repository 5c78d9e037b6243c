// The sandbox console a developer reads instead of the database: /sandbox (personas, the client) and the SMS inbox
// (/sandbox/sms, /sandbox/sms.json) with sandbox phones' messages only, live codes marked. Absent without the sandbox.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_CITIZENS, SANDBOX_PASSWORD, SANDBOX_UNREGISTERED } from '../../src/sandbox/seed.ts';
import type { InboxMessage } from '../../src/sandbox/inbox.ts';
import { requestResetCode } from '../../src/accounts/password-reset.ts';
import { officerClient } from '../helpers/officer-api.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { startProvider, type RunningProvider } from '../helpers/provider.ts';
import { authorizationRequest, redeem, sandboxProviderForSuite } from '../helpers/relying-party.ts';
import { csrfToken, formAction, UserAgent, type FormPage } from '../helpers/user-agent.ts';

const suite = sandboxProviderForSuite();
const an = SANDBOX_CITIZENS[0]!;
const locked = SANDBOX_CITIZENS.find((c) => c.locked)!;

async function submit(agent: UserAgent, page: FormPage, formId: string, fields: Record<string, string>) {
  return agent.follow(new URL(formAction(page.html, formId), page.url).href, suite.provider.url, { form: { _csrf: csrfToken(page.html), ...fields } });
}

async function inbox(query = ''): Promise<InboxMessage[]> {
  const response = await fetch(`${suite.provider.url}/sandbox/sms.json${query}`);
  expect(response.status).toBe(200);
  return ((await response.json()) as { messages: InboxMessage[] }).messages;
}

describe('/sandbox', () => {
  it('lists the personas with their ID numbers, the password and what each shows, in Vietnamese and in English', async () => {
    const vi = await (await fetch(`${suite.provider.url}/sandbox`)).text();
    expect(vi).toContain('<html lang="vi">');
    for (const id of ['079185000123', '001090012345', '001318004321', '079090006789', '048201004567', '092075001122', '001188000321']) expect(vi).toContain(id);
    expect(vi).toContain(SANDBOX_PASSWORD);
    expect(vi).toContain('Thẻ căn cước hết hạn');
    const en = await (await fetch(`${suite.provider.url}/sandbox?lang=en`)).text();
    expect(en).toContain('<html lang="en">');
    expect(en).toContain('Expired ID card');
    expect(en).toContain('2026-02-20');
    expect(en).toMatch(/<code id="client-id">sandbox<\/code>/);
    expect(en).toContain('sandbox-secret-for-tests-only');
    expect(en).toContain('http://localhost:8080/callback');
    expect(en).toContain('client_credentials');
    expect(en).toContain(`${suite.provider.url}/.well-known/openid-configuration`);
    // The "try it" link leads to the sign-in page as it stands.
    const tryIt = /id="try-it" href="([^"]+)"/.exec(en)![1]!.replace(/&amp;/g, '&');
    expect((await new UserAgent().follow(tryIt, suite.provider.url)).page?.html).toContain('id="login"');
  });

  it('has a locked persona whose sign-in says the account is locked', async () => {
    const agent = new UserAgent();
    const start = await agent.follow((await authorizationRequest(suite.rp)).url.href, suite.provider.url);
    const refused = await submit(agent, start.page!, 'login', { username: locked.personalId, password: SANDBOX_PASSWORD });
    expect(refused.page?.status).toBe(403);
    expect(refused.page?.html).toContain('Tài khoản của bạn đang bị khóa');
  });
});

describe('the SMS inbox', () => {
  it('shows the level-2 sign-in code, live until it is used, newest first, without SQL', async () => {
    const agent = new UserAgent();
    const request = await authorizationRequest(suite.rp, { acr_values: 'urn:vn:eid:loa:2' });
    const start = await agent.follow(request.url.href, suite.provider.url);
    const otp = await submit(agent, start.page!, 'login', { username: an.personalId, password: SANDBOX_PASSWORD });
    expect(otp.page?.html).toContain('id="otp"');
    await suite.provider.background.idle();
    const [newest] = await inbox(`?phone=${encodeURIComponent('0912345678')}`);
    expect(newest).toMatchObject({ to: an.phone, purpose: 'sign_in_code', live: true });
    expect(newest!.secret).toMatch(/^\d{6}$/);
    const page = await (await fetch(`${suite.provider.url}/sandbox/sms?lang=en`)).text();
    expect(page).toContain(newest!.secret!);
    expect(page).toContain('sign-in code');

    let step = await submit(agent, otp.page!, 'otp', { otp: newest!.secret! });
    if (step.page?.html.includes('id="consent"')) step = await submit(agent, step.page, 'consent', { decision: 'approve' });
    expect((await redeem(suite.rp, request, step.redirect!)).claims()?.acr).toBe('urn:vn:eid:loa:2');
    const after = (await inbox()).find((m) => m.id === newest!.id);
    expect(after?.live).toBe(false);
  });

  it('shows the first password of an account issued at the desk and a password reset code, both live', async () => {
    const long = SANDBOX_UNREGISTERED.find((c) => c.givenName === 'Long')!;
    const filed = await (await officerClient(suite.provider.url, 'canbo')).call('POST', '/admin/applications', { personal_id: long.personalId, phone: '0912 111 333', requested_level: 1 });
    expect(filed.status).toBe(201);
    expect((await (await officerClient(suite.provider.url, 'giamsat')).call('POST', `/admin/applications/${filed.body.id}/approve`)).status).toBe(200);
    const [first] = await inbox('?phone=0912111333');
    expect(first).toMatchObject({ purpose: 'first_password', live: true });
    expect(first!.secret).toMatch(/^[A-Za-z2-9]{10}$/);

    const em = SANDBOX_CITIZENS.find((c) => c.givenName === 'Em')!;
    await requestResetCode(suite.provider.services.passwordReset, em.personalId);
    const [reset] = await inbox(`?phone=${encodeURIComponent(em.phone)}`);
    expect(reset).toMatchObject({ purpose: 'password_reset', live: true });
    expect(reset!.secret).toMatch(/^\d{6}$/);
  });

  it('never shows a message sent to a citizen outside the sandbox, even on a phone a sandbox account also has', async () => {
    const db = suite.provider.database.db;
    const dung = SANDBOX_CITIZENS.find((c) => c.givenName === 'Dung')!;
    const hash = await suite.provider.services.passwords.hash(SANDBOX_PASSWORD);
    await db.insertInto('sms_outbox').values({ recipient: dung.phone, purpose: 'password_reset', body: 'mã đặt lại mật khẩu của bạn là 123456' }).execute();
    expect((await inbox()).some((m) => m.to === dung.phone)).toBe(true);
    for (const [personalId, phone] of [['001195654321', '+84977000222'], ['001195654322', dung.phone]] as const) {
      await db.insertInto('citizens').values({ personal_id: personalId, family_name: 'Đỗ', middle_name: 'Thị', given_name: 'Thật', birthdate: '1995-04-04', sex: 'female' }).execute();
      await db.insertInto('accounts').values({ personal_id: personalId, level: 1, phone, password_hash: hash }).execute();
      await db.insertInto('sms_outbox').values({ recipient: phone, purpose: 'password_reset', body: 'mã đặt lại mật khẩu của bạn là 654321' }).execute();
    }
    const messages = await inbox();
    expect(messages.some((m) => m.to === '+84977000222' || m.to === dung.phone)).toBe(false);
    expect(await inbox('?phone=%2B84977000222')).toEqual([]);
    expect((await fetch(`${suite.provider.url}/sandbox/sms.json?phone=12`)).status).toBe(400);
  });
});

describe('without the sandbox', () => {
  let testDb: TestDatabase;
  let provider: RunningProvider;
  beforeAll(async () => {
    testDb = await createTestDatabase();
    provider = await startProvider(testDb, { env: { SEED_SANDBOX: 'false' } });
  });
  afterAll(async () => {
    await provider?.close();
    await testDb?.drop();
  });

  it('has no console, no inbox and no registration endpoint', async () => {
    for (const path of ['/sandbox', '/sandbox/sms', '/sandbox/sms.json']) expect((await fetch(`${provider.url}${path}`)).status).toBe(404);
    const registration = await fetch(`${provider.url}/reg`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ redirect_uris: ['https://rp.example/cb'] }) });
    expect(registration.status).toBe(404);
    const discovery = (await (await fetch(`${provider.url}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(discovery).not.toHaveProperty('registration_endpoint');
  });
});
