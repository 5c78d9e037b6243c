// Security events reach the JSON log and the audit trail, and neither carries personal data: failed sign-ins,
// lockouts, wrong SMS codes, SMS queued.
import { describe, expect, it } from 'vitest';
import { SANDBOX_CITIZENS, SANDBOX_PASSWORD } from '../../src/sandbox/seed.ts';
import { officerClient } from '../helpers/officer-api.ts';
import { authorizationRequest, sandboxProviderForSuite } from '../helpers/relying-party.ts';
import { csrfToken, formAction, UserAgent, type FormPage } from '../helpers/user-agent.ts';

const suite = sandboxProviderForSuite({ env: { LOCKOUT_MAX_FAILURES: '3', SIGN_IN_RATE_PER_MINUTE: '10000' } });

async function submit(agent: UserAgent, page: FormPage, formId: string, fields: Record<string, string>) {
  return agent.follow(new URL(formAction(page.html, formId), page.url).href, suite.provider.url, { form: { _csrf: csrfToken(page.html), ...fields } });
}

async function loginPage(params: Record<string, string> = {}) {
  const agent = new UserAgent();
  const request = await authorizationRequest(suite.rp, params);
  return { agent, page: (await agent.follow(request.url.href, suite.provider.url)).page! };
}

const events = () => suite.provider.logs.map((line) => JSON.parse(line) as { event?: string; reason?: string; level: number }).filter((l) => l.event);
const audit = async (action: string) => suite.provider.database.db.selectFrom('audit_events').selectAll().where('action', '=', action).execute();

describe('security events', () => {
  it('logs failed sign-ins and the lockout with their reason, never the number typed', async () => {
    const binh = SANDBOX_CITIZENS[1]!;
    for (let i = 0; i < 4; i++) {
      const { agent, page } = await loginPage();
      await submit(agent, page, 'login', { username: binh.personalId, password: `sai-mat-khau-${i}` });
    }
    const failed = events().filter((e) => e.event === 'sign_in.failed');
    expect(failed.map((e) => e.reason)).toEqual(expect.arrayContaining(['invalid_credentials', 'throttled']));
    expect(failed.every((e) => e.level === 30)).toBe(true);
    const account = await suite.provider.services.accounts.findByPersonalId(binh.personalId);
    expect((await audit('account.locked')).some((e) => e.subject_id === account!.id)).toBe(true);
    // Each wrong password for the account is in its audit trail too (written after the answer went out).
    await suite.provider.background.idle();
    expect((await audit('account.sign_in_failed')).filter((e) => e.subject_id === account!.id).length).toBeGreaterThanOrEqual(3);
    expect(suite.provider.logs.join('')).not.toContain(binh.personalId);
  });

  it('records wrong SMS codes and queued SMS in the log and the audit trail, without the code or the phone', async () => {
    const an = SANDBOX_CITIZENS[0]!;
    const { agent, page } = await loginPage({ acr_values: 'urn:vn:eid:loa:2' });
    const codePage = (await submit(agent, page, 'login', { username: an.personalId, password: SANDBOX_PASSWORD })).page!;
    const code = /là (\d{6}),/.exec((await suite.provider.lastSms(an.phone)) ?? '')![1]!;
    const wrong = String((Number(code) + 314_159) % 1_000_000).padStart(6, '0');
    await submit(agent, codePage, 'otp', { otp: wrong });

    const account = await suite.provider.services.accounts.findByPersonalId(an.personalId);
    expect(events().some((e) => e.event === 'sign_in_code.wrong')).toBe(true);
    expect(events().some((e) => e.event === 'sms.queued')).toBe(true);
    expect((await audit('account.sign_in_code_wrong')).some((e) => e.subject_id === account!.id)).toBe(true);
    const queued = await audit('sms.queued');
    expect(queued.some((e) => (e.detail as { purpose?: string }).purpose === 'sign_in_code')).toBe(true);
    const everything = suite.provider.logs.join('') + JSON.stringify(queued);
    // Whole numbers only: six digits also occur inside timestamps.
    for (const secret of [code, wrong, an.phone.slice(1), an.phone.slice(3), an.personalId]) expect(everything).not.toMatch(new RegExp(`(?<!\\d)${secret}(?!\\d)`));
  });

  it('logs every officer action with the officer, the route pattern and the outcome, never the number looked up', async () => {
    const officer = await officerClient(suite.provider.url, 'canbo');
    const hoa = '001188000321';
    expect((await officer.call('GET', `/admin/citizens/${hoa}`)).status).toBe(200);
    const line = suite.provider.logs
      .map((l) => JSON.parse(l) as { event?: string; route?: string; method?: string; status?: number; officer?: string })
      .find((l) => l.event === 'officer.action' && l.route === '/admin/citizens/:personalId');
    expect(line).toMatchObject({ method: 'GET', status: 200 });
    expect(line?.officer).toMatch(/^[0-9a-f-]{36}$/);
    expect(suite.provider.logs.join('')).not.toMatch(new RegExp(`(?<!\\d)${hoa}(?!\\d)`));
  });
});
