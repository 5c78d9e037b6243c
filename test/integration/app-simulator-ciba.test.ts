// The app simulator's CIBA panel: a developer plays the citizen's app for a bank's back-channel request — sees who
// asks, the binding message and the data, and approves or denies through the real /app API.
import type { ClientMetadata } from 'oidc-provider';
import * as oidc from 'openid-client';
import { beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_CITIZENS } from '../../src/sandbox/seed.ts';
import { CIBA_GRANT } from '../helpers/ciba-bank.ts';
import { sandboxProviderForSuite } from '../helpers/relying-party.ts';
import { csrfToken, UserAgent } from '../helpers/user-agent.ts';

const suite = sandboxProviderForSuite({ env: { CIBA_POLL_INTERVAL_SECONDS: '1', OTP_MAX_CODES_PER_DAY: '100' } });
const an = SANDBOX_CITIZENS.find((c) => c.personalId === '001090012345')!;
const SECRET = 'ciba-sandbox-secret-for-tests';
let bank: oidc.Configuration;

beforeAll(async () => {
  // A developer's sandbox CIBA client, as /reg would make it: a client secret and public subjects.
  await suite.provider.addClient({
    client_id: 'sandbox-ciba-bank', client_secret: SECRET, client_name: 'Ngân hàng thử nghiệm', profile: 'sandbox', assurance_level: 2,
    grant_types: [CIBA_GRANT], response_types: [], redirect_uris: [], backchannel_token_delivery_mode: 'poll',
    subject_type: 'public', token_endpoint_auth_method: 'client_secret_basic', scope: 'openid profile personal_id',
  } as ClientMetadata);
  bank = await oidc.discovery(new URL(suite.provider.url), 'sandbox-ciba-bank', undefined, oidc.ClientSecretBasic(SECRET), { execute: [oidc.allowInsecureRequests] });
});

/** Binds a simulated device for An on /sandbox/app and opens its CIBA panel from the device page. */
async function simulatedPhone(agent: UserAgent, lang = 'vi') {
  const start = await agent.follow(`${suite.provider.url}/sandbox/app`, suite.provider.url);
  const enrolled = await agent.follow(`${suite.provider.url}/sandbox/app/enrol?lang=${lang}`, suite.provider.url, {
    form: { _csrf: csrfToken(start.page!.html), personal_id: an.personalId, device_name: 'Điện thoại mô phỏng' },
  });
  const link = /href="(\/sandbox\/app\/ciba\?device=[\w-]+)"/.exec(enrolled.page!.html)?.[1];
  expect(link, 'the device page links to the CIBA panel').toBeTruthy();
  return `${suite.provider.url}${link!.replace(/&amp;/g, '&')}`;
}

const panel = async (agent: UserAgent, url: string) => (await agent.follow(url, suite.provider.url)).page!;
const requestSection = (html: string, binding: string) => html.split('<section class="ciba-request"').find((part) => part.includes(binding));
const actionIn = (section: string, kind: 'approve' | 'deny') => new RegExp(`<form method="post" action="([^"]+)" class="ciba-${kind}"`).exec(section)![1]!.replace(/&amp;/g, '&');

describe('/sandbox/app/ciba', () => {
  it('shows the bank\'s request with its binding message and data; approving with a fingerprint gives the bank its tokens', async () => {
    const agent = new UserAgent();
    const url = await simulatedPhone(agent);
    expect((await panel(agent, url)).html).toContain('Không có yêu cầu nào đang chờ.');

    const started = await oidc.initiateBackchannelAuthentication(bank, { scope: 'openid profile personal_id', login_hint: an.personalId, binding_message: 'Mở tài khoản 4821' });
    const page = await panel(agent, url);
    const section = requestSection(page.html, 'Mở tài khoản 4821')!;
    expect(section).toContain('Ngân hàng thử nghiệm');
    expect(section).toContain('<span class="binding">Mở tài khoản 4821</span>');
    expect(section).toContain('Mức độ 2');

    const approved = await agent.follow(`${suite.provider.url}${actionIn(section, 'approve')}`, suite.provider.url, { form: { _csrf: csrfToken(page.html), user_verification: 'biometric' } });
    expect(approved.page?.html).toContain('Đã đồng ý: ngân hàng nhận được token.');
    expect(requestSection(approved.page!.html, 'Mở tài khoản 4821')).toBeUndefined();

    const tokens = await oidc.pollBackchannelAuthenticationGrant(bank, started);
    expect(tokens.claims()).toMatchObject({ acr: 'urn:vn:eid:loa:2', amr: ['hwk', 'fpt', 'mfa'] });
  });

  it('denies in English: the bank is told access_denied', async () => {
    const agent = new UserAgent();
    const url = await simulatedPhone(agent, 'en');
    const started = await oidc.initiateBackchannelAuthentication(bank, { scope: 'openid profile', login_hint: an.personalId, binding_message: 'Card 77' });
    const page = await panel(agent, `${url}&lang=en`);
    expect(page.html).toContain('Bank requests');
    const section = requestSection(page.html, 'Card 77')!;
    const denied = await agent.follow(`${suite.provider.url}${actionIn(section, 'deny')}`, suite.provider.url, { form: { _csrf: csrfToken(page.html) } });
    expect(denied.page?.html).toContain('Denied: the bank is told access_denied.');
    const error = await oidc.pollBackchannelAuthenticationGrant(bank, started).catch((e: unknown) => e);
    expect((error as oidc.ResponseBodyError).error).toBe('access_denied');
  });

  it('refuses a device it does not hold and a form without its CSRF token, answering nothing', async () => {
    const agent = new UserAgent();
    const missing = await panel(agent, `${suite.provider.url}/sandbox/app/ciba?device=${'x'.repeat(24)}`);
    expect(missing.status).toBe(404);
    expect(missing.html).toContain('Thiết bị này không phải thiết bị mô phỏng');

    const url = await simulatedPhone(agent);
    const started = await oidc.initiateBackchannelAuthentication(bank, { scope: 'openid', login_hint: an.personalId, binding_message: 'GD 9009' });
    const section = requestSection((await panel(agent, url)).html, 'GD 9009')!;
    const forged = await agent.request(`${suite.provider.url}${actionIn(section, 'approve')}`, { form: { _csrf: 'forged', user_verification: 'pin' } });
    expect(forged.status).toBe(403);
    expect(requestSection((await panel(agent, url)).html, 'GD 9009')).toBeDefined();
    const pending = await oidc.genericGrantRequest(bank, CIBA_GRANT, { auth_req_id: started.auth_req_id }).catch((e: unknown) => e);
    expect((pending as oidc.ResponseBodyError).error).toBe('authorization_pending');
  });
});
