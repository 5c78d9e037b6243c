// Claims follow the level: every scope of the catalogue at level 1 and level 2, in the ID token and userinfo,
// and nothing beyond what the relying party is approved for, whatever it asks.
import * as oidc from 'openid-client';
import { beforeAll, describe, expect, it } from 'vitest';
import { CATALOGUE, type CatalogueScope } from '../../src/oidc/claims.ts';
import { SANDBOX_CITIZENS, SANDBOX_PASSWORD } from '../../src/sandbox/seed.ts';
import { authorizationRequest, redeem, relyingParty, sandboxProviderForSuite } from '../helpers/relying-party.ts';
import { csrfToken, formAction, UserAgent, type FormPage } from '../helpers/user-agent.ts';

const suite = sandboxProviderForSuite();
const an = SANDBOX_CITIZENS[0]!; // level 2, with a full record, integrated documents and a dependent
const ALL_SCOPES = Object.keys(CATALOGUE).join(' ');
const ALL_CLAIMS = Object.values(CATALOGUE).flatMap((entry) => [...entry.claims]);
// Ask for every claim in the ID token too, so both places are checked.
const CLAIMS_PARAM = JSON.stringify({ id_token: Object.fromEntries(ALL_CLAIMS.map((c) => [c, null])) });

interface Released {
  idToken: Record<string, unknown>;
  userinfo: Record<string, unknown>;
  introspection: Record<string, unknown>;
}

async function signIn(config: oidc.Configuration, params: Record<string, string>, level: 1 | 2, agent = new UserAgent()): Promise<Released> {
  const request = await authorizationRequest(config, params);
  const origin = suite.provider.url;
  const submit = (page: FormPage, form: string, fields: Record<string, string>) =>
    agent.follow(new URL(formAction(page.html, form), page.url).href, origin, { form: { _csrf: csrfToken(page.html), ...fields } });
  // Whatever pages this browser is shown (none, if its session already suffices), answer them as the citizen.
  let step = await agent.follow(request.url.href, origin);
  for (let i = 0; i < 4 && step.page; i++) {
    const html = step.page.html;
    if (html.includes('id="login"')) step = await submit(step.page, 'login', { username: an.personalId, password: SANDBOX_PASSWORD });
    else if (html.includes('id="otp"')) step = await submit(step.page, 'otp', { otp: /là (\d{6}),/.exec((await suite.provider.lastSms(an.phone)) ?? '')![1]! });
    else if (html.includes('id="consent"')) step = await submit(step.page, 'consent', { decision: 'approve' });
    else throw new Error(`unexpected page ${step.page.status}`);
  }
  const tokens = await redeem(config, request, step.redirect!);
  const idToken = tokens.claims() as unknown as Record<string, unknown>;
  expect(idToken.acr).toBe(`urn:vn:eid:loa:${level}`);
  return {
    idToken,
    userinfo: (await oidc.fetchUserInfo(config, tokens.access_token, idToken.sub as string)) as Record<string, unknown>,
    introspection: (await oidc.tokenIntrospection(config, tokens.access_token)) as Record<string, unknown>,
  };
}

const released: Record<1 | 2, Released> = {} as never;
beforeAll(async () => {
  released[1] = await signIn(suite.rp, { scope: `openid ${ALL_SCOPES}`, claims: CLAIMS_PARAM }, 1);
  released[2] = await signIn(suite.rp, { scope: `openid ${ALL_SCOPES}`, claims: CLAIMS_PARAM, acr_values: 'urn:vn:eid:loa:2' }, 2);
});

const cells = Object.entries(CATALOGUE)
  .filter(([scope]) => scope !== 'openid')
  .flatMap(([scope, entry]) => ([1, 2] as const).map((level) => ({ scope: scope as CatalogueScope, level, claims: [...entry.claims], released: entry.level <= level })));

describe('every scope × level', () => {
  it.each(cells)('$scope at level $level: released=$released', ({ level, claims, released: expected }) => {
    for (const claim of claims) {
      // Verified flags ride with their value; everything in the sandbox record is present for An.
      expect(claim in released[level].userinfo, `userinfo ${claim}`).toBe(expected);
      expect(claim in released[level].idToken, `id_token ${claim}`).toBe(expected);
    }
  });

  it.each([1, 2] as const)('openid at level %i: sub, acr, amr and auth_time in the ID token', (level) => {
    expect(released[level].idToken).toMatchObject({ sub: expect.any(String), acr: `urn:vn:eid:loa:${level}`, amr: expect.any(Array), auth_time: expect.any(Number) });
  });

  it('releases the level-2 record in the shapes the catalogue documents', () => {
    expect(released[2].userinfo).toMatchObject({
      address: { street_address: 'Số 12 ngõ 34 phố Hàng Bông', locality: 'Phường Hàng Gai, Quận Hoàn Kiếm', region: 'Hà Nội', country: 'VN' },
      place_of_origin: 'Xã Đông Hội, huyện Đông Anh, Hà Nội',
      nationality: 'Việt Nam',
      ethnicity: 'Kinh',
      id_card: { number: an.personalId, issue_date: '2021-04-15', expiry_date: '2030-05-12' },
      driver_licenses: [{ number: '010123456789', classes: ['A1', 'B2'] }],
      vehicles: [{ plate: '29A-123.45', type: 'car' }],
      health_insurance: { card_number: 'DN4010123456789', clinic: 'Bệnh viện Bạch Mai' },
      social_insurance_number: '0112345678',
      dependents: [{ name: 'Nguyễn Ngọc Mai', birthdate: '2018-06-01', personal_id: '001318004321' }],
    });
  });

  it('never puts personal claims in introspection', () => {
    for (const level of [1, 2] as const) {
      const introspection = released[level].introspection;
      expect(introspection).toMatchObject({ active: true, acr: `urn:vn:eid:loa:${level}` });
      for (const claim of ALL_CLAIMS.filter((c) => !['sub', 'acr'].includes(c))) expect(introspection).not.toHaveProperty(claim);
    }
  });
});

describe('approval of the relying party', () => {
  it('releases nothing a client is not approved for, even when the claims parameter asks and the session is level 2', async () => {
    // The citizen's browser already holds a level-2 session (from the sandbox service).
    const agent = new UserAgent();
    await signIn(suite.rp, { acr_values: 'urn:vn:eid:loa:2' }, 2, agent);
    // A portal approved for profile only, at level 1.
    await suite.provider.addClient({ client_id: 'portal-narrow', client_secret: 'portal-narrow-secret-0123456789', redirect_uris: ['http://localhost:8080/callback'], scope: 'openid profile', assurance_level: 1 });
    const portal = await relyingParty(suite.provider.url, 'portal-narrow', 'portal-narrow-secret-0123456789');
    const got = await signIn(portal, { scope: 'openid profile', claims: JSON.stringify({ userinfo: { personal_id: null, address: null, phone_number: null }, id_token: { personal_id: null, id_card: null } }) }, 2, agent);
    for (const claim of ['personal_id', 'address', 'phone_number', 'id_card']) {
      expect(got.userinfo).not.toHaveProperty(claim);
      expect(got.idToken).not.toHaveProperty(claim);
    }
    expect(got.userinfo.name).toBe('Nguyễn Văn An');
  });

  it('sends the personal ID number only with the personal_id scope, not through the claims parameter alone', async () => {
    const got = await signIn(suite.rp, { scope: 'openid profile', claims: JSON.stringify({ userinfo: { personal_id: null } }) }, 1);
    expect(got.userinfo).not.toHaveProperty('personal_id');
  });
});
