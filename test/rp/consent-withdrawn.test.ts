// A citizen withdraws a service's access (the account page, another tab) while a consent page for more of it is
// open. Whatever order the two land in, what was withdrawn stays withdrawn: approving the page gives the service
// only what that page asked for, and the provider asks again for the rest.
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { revokeClientGrants } from '../../src/oidc/grants.ts';
import { SANDBOX_CITIZENS, SANDBOX_PASSWORD } from '../../src/sandbox/seed.ts';
import { betweenReadAndWrite } from '../helpers/database.ts';
import { authorizationRequest, redeem, sandboxProviderForSuite } from '../helpers/relying-party.ts';
import { csrfToken, formAction, signInThroughPages, UserAgent, type FormPage } from '../helpers/user-agent.ts';

const suite = sandboxProviderForSuite();

/** The scopes of every grant the sandbox service holds for the account, sorted. */
async function grantedScopes(accountId: string): Promise<string[][]> {
  const rows = await suite.provider.database.db
    .selectFrom('oidc_payloads')
    .select('payload')
    .where('model', '=', 'Grant')
    .where(sql<string>`payload->>'accountId'`, '=', accountId)
    .where(sql<string>`payload->>'clientId'`, '=', 'sandbox')
    .execute();
  return rows.map((row) => ((row.payload as { openid?: { scope?: string } }).openid?.scope ?? '').split(' ').filter(Boolean).sort());
}

/**
 * The citizen signs the service in with `openid profile`, then the service asks for `phone` too: the consent page
 * for `phone` is open. Returns it with the grant the service holds.
 */
async function consentForMore(citizen: (typeof SANDBOX_CITIZENS)[number]) {
  const agent = new UserAgent();
  const first = await authorizationRequest(suite.rp, { scope: 'openid profile' });
  await redeem(suite.rp, first, await signInThroughPages(agent, first.url.href, { username: citizen.personalId, password: SANDBOX_PASSWORD }));
  const grant = await suite.provider.database.db
    .selectFrom('oidc_payloads')
    .select(['id', sql<string>`payload->>'accountId'`.as('accountId')])
    .where('model', '=', 'Grant')
    .where(sql<string>`payload->>'clientId'`, '=', 'sandbox')
    .orderBy('expires_at', 'desc')
    .executeTakeFirstOrThrow();
  const more = await authorizationRequest(suite.rp, { scope: 'openid profile phone' });
  const page = (await agent.follow(more.url.href, suite.provider.url)).page!;
  expect(page.html).toContain('id="consent"');
  expect(await grantedScopes(grant.accountId)).toEqual([['openid', 'profile']]);
  return { agent, page, more, grantId: grant.id, accountId: grant.accountId };
}

const approve = (agent: UserAgent, page: FormPage) =>
  agent.follow(new URL(formAction(page.html, 'consent'), page.url).href, suite.provider.url, { form: { _csrf: csrfToken(page.html), decision: 'approve' } });

describe('consent and a withdrawal of the same service', () => {
  it('withdrawn before the page is approved: the service gets only what the page asked, and the rest is asked again', async () => {
    const { agent, page, more, accountId } = await consentForMore(SANDBOX_CITIZENS[1]!);
    expect(await revokeClientGrants(suite.provider.database.db, accountId, 'sandbox')).toBe(1);

    const asked = await approve(agent, page);
    // Not an error for the service: the citizen is asked for what they withdrew, on a page of its own.
    expect(asked.redirect).toBeUndefined();
    expect(asked.page?.html).toContain('id="consent"');
    expect(await grantedScopes(accountId)).toEqual([['phone']]);

    const back = await approve(agent, asked.page!);
    const tokens = await redeem(suite.rp, more, back.redirect!);
    expect(tokens.scope?.split(' ').sort()).toEqual(['openid', 'phone', 'profile']);
    expect(await grantedScopes(accountId)).toEqual([['openid', 'phone', 'profile']]);
  });
});

// Two connections at once, one holding a row lock: the PostgreSQL pass only (.ci/run sets TEST_DATABASE_URL).
// Without it this describe does not exist; the embedded engine's one connection cannot interleave two requests'
// statements at a chosen point.
if (process.env.TEST_DATABASE_URL) {
  describe('consent and a withdrawal of the same service, at the same moment (PostgreSQL)', () => {
    it('the withdrawal landing between the consent reading the grant and saving it is not undone by the save', async () => {
      const { agent, page, grantId, accountId } = await consentForMore(SANDBOX_CITIZENS[2]!);
      // The withdrawal commits after the consent has read the grant and before it saves it.
      const { acted: asked, meant: withdrawn } = await betweenReadAndWrite(suite.provider.database.db, { model: 'Grant', id: grantId }, () => approve(agent, page), (trx) => revokeClientGrants(trx, accountId, 'sandbox'));
      expect(withdrawn).toBe(1);
      expect(asked.redirect).toBeUndefined();
      expect(asked.page?.html).toContain('id="consent"');
      expect(await grantedScopes(accountId)).toEqual([['phone']]);
    });
  });
}
