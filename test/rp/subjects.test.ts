// Subjects: pairwise per sector by default, so two unrelated services cannot match their users up; a
// public-service client may be registered for the public subject.
import * as oidc from 'openid-client';
import { describe, expect, it } from 'vitest';
import { SANDBOX_CITIZENS, SANDBOX_PASSWORD } from '../../src/sandbox/seed.ts';
import { officerClient } from '../helpers/officer-api.ts';
import { authorizationRequest, redeem, relyingParty, sandboxProviderForSuite } from '../helpers/relying-party.ts';
import { signInThroughPages, UserAgent } from '../helpers/user-agent.ts';

const suite = sandboxProviderForSuite();
const an = SANDBOX_CITIZENS[0]!;

async function subjectAt(client: { client_id: string; client_secret: string; redirect_uri: string }) {
  const rp = await relyingParty(suite.provider.url, client.client_id, client.client_secret);
  const request = await authorizationRequest(rp, { redirect_uri: client.redirect_uri });
  const tokens = await redeem(rp, request, await signInThroughPages(new UserAgent(), request.url.href, { username: an.personalId, password: SANDBOX_PASSWORD }));
  const sub = tokens.claims()!.sub;
  expect((await oidc.fetchUserInfo(rp, tokens.access_token, sub)).sub).toBe(sub);
  return sub;
}

async function register(id: string, redirect: string, extra: Record<string, unknown> = {}) {
  const client = { client_id: id, client_secret: `${id}-secret-0123456789`, redirect_uri: redirect };
  await suite.provider.addClient({ client_id: id, client_secret: client.client_secret, redirect_uris: [redirect], scope: 'openid profile', ...extra });
  return client;
}

describe('subjects', () => {
  it('differ between services of different sectors and stay the same for each service', async () => {
    const bank = await register('bank-a', 'https://bank-a.example/callback');
    const portal = await register('portal-b', 'https://portal-b.example/cb');
    const atBank = await subjectAt(bank);
    const atPortal = await subjectAt(portal);
    expect(atBank).not.toBe(atPortal);
    expect(await subjectAt(bank)).toBe(atBank);
    // Neither is the account's internal id nor the personal ID number.
    const accountId = (await (await officerClient(suite.provider.url, 'canbo')).call('GET', `/admin/citizens/${an.personalId}`)).body.account.id;
    for (const sub of [atBank, atPortal]) {
      expect(sub).not.toBe(accountId);
      expect(sub).not.toContain(an.personalId);
    }
  });

  it('are shared by two clients of the same sector', async () => {
    const web = await register('ministry-web', 'https://dichvucong.example/callback');
    const mobile = await register('ministry-app', 'https://dichvucong.example/app/callback');
    expect(await subjectAt(web)).toBe(await subjectAt(mobile));
  });

  it('is the public subject for a public-service client registered for it, the same at every such client', async () => {
    const one = await register('portal-public-1', 'https://one.example/cb', { subject_type: 'public' });
    const two = await register('portal-public-2', 'https://two.example/cb', { subject_type: 'public' });
    const accountId = (await (await officerClient(suite.provider.url, 'canbo')).call('GET', `/admin/citizens/${an.personalId}`)).body.account.id;
    expect(await subjectAt(one)).toBe(accountId);
    expect(await subjectAt(two)).toBe(accountId);
  });
});
