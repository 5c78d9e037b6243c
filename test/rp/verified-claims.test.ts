// OpenID Connect for Identity Assurance 1.0: verified_claims for level-2 sessions, with the evidence of the
// in-person verification, and malformed requests refused.
import * as oidc from 'openid-client';
import { describe, expect, it } from 'vitest';
import { SANDBOX_CITIZENS, SANDBOX_PASSWORD } from '../../src/sandbox/seed.ts';
import { authorizationRequest, redeem, relyingParty, sandboxProviderForSuite } from '../helpers/relying-party.ts';
import { csrfToken, formAction, UserAgent, type FormPage } from '../helpers/user-agent.ts';

const suite = sandboxProviderForSuite();
const an = SANDBOX_CITIZENS[0]!;
const LOA2 = 'urn:vn:eid:loa:2';

const request = (verified: unknown) => JSON.stringify({ userinfo: { verified_claims: verified } });
const wanted = { verification: { trust_framework: null }, claims: { given_name: null, family_name: null, birthdate: null, personal_id: null, address: null, email: null } };

async function userinfoFor(params: Record<string, string>, level: 1 | 2, rp = suite.rp) {
  const agent = new UserAgent();
  const auth = await authorizationRequest(rp, params);
  const submit = (page: FormPage, form: string, fields: Record<string, string>) =>
    agent.follow(new URL(formAction(page.html, form), page.url).href, suite.provider.url, { form: { _csrf: csrfToken(page.html), ...fields } });
  let step = await agent.follow(auth.url.href, suite.provider.url);
  step = await submit(step.page!, 'login', { username: an.personalId, password: SANDBOX_PASSWORD });
  if (level === 2) step = await submit(step.page!, 'otp', { otp: /là (\d{6}),/.exec((await suite.provider.lastSms(an.phone)) ?? '')![1]! });
  if (step.page?.html.includes('id="consent"')) step = await submit(step.page, 'consent', { decision: 'approve' });
  const tokens = await redeem(rp, auth, step.redirect!);
  return oidc.fetchUserInfo(rp, tokens.access_token, tokens.claims()!.sub) as Promise<Record<string, any>>;
}

describe('verified_claims', () => {
  it('is advertised in discovery', async () => {
    const metadata = suite.rp.serverMetadata() as Record<string, unknown>;
    expect(metadata).toMatchObject({
      verified_claims_supported: true,
      trust_frameworks_supported: ['vn_eid'],
      evidence_supported: ['document'],
      documents_supported: ['idcard'],
      claims_in_verified_claims_supported: expect.arrayContaining(['given_name', 'family_name', 'birthdate', 'personal_id', 'address']),
    });
  });

  it('carries the in-person verification against the chip ID card and the verified claims asked for', async () => {
    const userinfo = await userinfoFor({ scope: 'openid profile personal_id address id_card', acr_values: LOA2, claims: request(wanted) }, 2);
    const verified = userinfo.verified_claims;
    expect(verified.verification).toMatchObject({ trust_framework: 'vn_eid', time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
    expect(verified.verification.evidence).toEqual([
      expect.objectContaining({
        type: 'document',
        check_details: [expect.objectContaining({ check_method: 'vpip' })],
        document_details: { type: 'idcard', document_number: an.personalId, issuer: { name: 'Bộ Công an', country: 'VN' }, date_of_issuance: '2021-04-15', date_of_expiry: '2030-05-12' },
      }),
    ]);
    expect(verified.claims).toMatchObject({ given_name: 'An', family_name: 'Nguyễn', birthdate: an.birthdate, personal_id: an.personalId, address: expect.objectContaining({ region: 'Hà Nội' }) });
    // Not a claim the catalogue verifies at the desk, and not in the request's scopes: left out.
    expect(verified.claims).not.toHaveProperty('email');
  });

  it('shows the card\'s number and dates only to a token whose scopes release them', async () => {
    const details = async (scope: string) =>
      (await userinfoFor({ scope, acr_values: LOA2, claims: request({ verification: { trust_framework: null }, claims: { given_name: null } }) }, 2)).verified_claims.verification
        .evidence[0].document_details;
    // Without personal_id or id_card, the evidence says what kind of document was checked, not its number.
    expect(await details('openid profile')).toEqual({ type: 'idcard', issuer: { name: 'Bộ Công an', country: 'VN' } });
    expect(await details('openid profile personal_id')).toEqual({ type: 'idcard', document_number: an.personalId, issuer: { name: 'Bộ Công an', country: 'VN' } });
  });

  it('names the verification by a reference two services cannot match up, and never by a subject', async () => {
    await suite.provider.addClient({
      client_id: 'portal-public-sub',
      client_secret: 'portal-public-sub-secret-0123456789',
      redirect_uris: ['http://127.0.0.1:8080/callback'],
      scope: 'openid profile',
      assurance_level: 2,
      subject_type: 'public',
    });
    const portal = await relyingParty(suite.provider.url, 'portal-public-sub', 'portal-public-sub-secret-0123456789');
    const asked = { scope: 'openid profile', acr_values: LOA2, claims: request({ verification: { trust_framework: null }, claims: { given_name: null } }) };
    const atSandbox = await userinfoFor(asked, 2);
    const atPortal = await userinfoFor({ ...asked, redirect_uri: 'http://127.0.0.1:8080/callback' }, 2, portal);
    const reference = (userinfo: Record<string, any>) => userinfo.verified_claims.verification.verification_process as string;
    expect(reference(atSandbox)).toMatch(/^[\w-]{20,}$/);
    expect(reference(atPortal)).not.toBe(reference(atSandbox));
    expect([atSandbox.sub, atPortal.sub]).not.toContain(reference(atPortal));
    expect([atSandbox.sub, atPortal.sub]).not.toContain(reference(atSandbox));
    // The same service sees the same reference each time.
    expect(reference(await userinfoFor(asked, 2))).toBe(reference(atSandbox));
  });

  it('is never released at level 1, nor for another trust framework', async () => {
    const atLevel1 = await userinfoFor({ scope: 'openid profile personal_id', claims: request(wanted) }, 1);
    expect(atLevel1).not.toHaveProperty('verified_claims');
    const otherFramework = await userinfoFor({ scope: 'openid profile', acr_values: LOA2, claims: request({ ...wanted, verification: { trust_framework: { value: 'de_aml' } } }) }, 2);
    expect(otherFramework).not.toHaveProperty('verified_claims');
    expect(otherFramework.name).toBe('Nguyễn Văn An');
  });

  it.each([
    ['no verification', { claims: { given_name: null } }, 'verification is required'],
    ['no trust framework', { verification: {}, claims: { given_name: null } }, 'trust_framework is required'],
    ['empty claims', { verification: { trust_framework: null }, claims: {} }, 'claims is required and must be a non-empty object'],
    ['a claim that is neither null nor an object', { verification: { trust_framework: null }, claims: { given_name: true } }, 'claims.given_name must be null or an object'],
    ['not an object', 'yes please', 'must be an object or an array of objects'],
  ])('refuses a request with %s as invalid_request', async (_name, verified, message) => {
    const auth = await authorizationRequest(suite.rp, { scope: 'openid profile', claims: request(verified) });
    const response = await fetch(auth.url, { redirect: 'manual' });
    const params = new URL(response.headers.get('location')!).searchParams;
    expect(params.get('error')).toBe('invalid_request');
    expect(params.get('error_description')).toContain(message);
  });
});
