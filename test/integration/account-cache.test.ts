// The provider keeps accounts in memory between the steps of a sign-in and the calls that follow, and drops one
// the moment the database announces a change to it (migrations/0018_account_changes.sql), whatever made the
// change: shown by a change made with the announcement switched off, and then one made with it on.
import { sql } from 'kysely';
import * as oidc from 'openid-client';
import { expect, it } from 'vitest';
import { SANDBOX_CITIZENS, SANDBOX_PASSWORD } from '../../src/sandbox/seed.ts';
import { authorizationRequest, redeem, sandboxProviderForSuite } from '../helpers/relying-party.ts';
import { signInThroughPages, UserAgent } from '../helpers/user-agent.ts';

const an = SANDBOX_CITIZENS.find((c) => c.level === 2)!;
const suite = sandboxProviderForSuite();

async function signedIn() {
  const request = await authorizationRequest(suite.rp, { scope: 'openid profile email' });
  const tokens = await redeem(suite.rp, request, await signInThroughPages(new UserAgent(), request.url.href, { username: an.personalId, password: SANDBOX_PASSWORD }));
  const sub = tokens.claims()!.sub;
  const userinfo = () => oidc.fetchUserInfo(suite.rp, tokens.access_token, sub);
  // What the relying party is told: 200, or the status and the error of the WWW-Authenticate challenge.
  const answer = async () => {
    const response = await fetch(`${suite.provider.url}/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    return `${response.status} ${/error="([^"]+)"/.exec(response.headers.get('www-authenticate') ?? '')?.[1] ?? ''}`.trim();
  };
  return Object.assign(userinfo, { answer });
}

it('serves the account from memory, and the next call after any announced change sees the change', async () => {
  const userinfo = await signedIn();
  const db = suite.provider.database.db;
  expect((await userinfo()).family_name).toBe(an.familyName);

  // A change the database does not announce (its trigger switched off) is not seen: the account came from memory.
  await sql`ALTER TABLE citizens DISABLE TRIGGER citizens_announce_change`.execute(db);
  await sql`UPDATE citizens SET family_name = 'Đặng' WHERE personal_id = ${an.personalId}`.execute(db);
  await sql`ALTER TABLE citizens ENABLE TRIGGER citizens_announce_change`.execute(db);
  expect((await userinfo()).family_name).toBe(an.familyName);

  // The same change made as any tool would make it is announced, and the next answers carry it.
  await sql`UPDATE citizens SET family_name = 'Đặng' WHERE personal_id = ${an.personalId}`.execute(db);
  await expect.poll(async () => (await userinfo()).family_name, { timeout: 10_000 }).toBe('Đặng');

  // The account row itself: a new e-mail address reaches the relying party the same way.
  await sql`UPDATE accounts SET email = 'an.moi@example.vn' WHERE personal_id = ${an.personalId}`.execute(db);
  await expect.poll(async () => (await userinfo()).email, { timeout: 10_000 }).toBe('an.moi@example.vn');
});

it('ends a revoked account’s access on the next call, even for a token issued before', async () => {
  const userinfo = await signedIn();
  expect(await userinfo.answer()).toBe('200');
  // Only the status changes here (no session or token is deleted), so what refuses is the fresh account.
  await sql`UPDATE accounts SET status = 'revoked' WHERE personal_id = ${an.personalId}`.execute(suite.provider.database.db);
  await expect.poll(() => userinfo.answer(), { timeout: 10_000 }).toBe('401 invalid_token');
});
