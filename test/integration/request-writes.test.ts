// A protocol request writes what it changed in one call, before it answers (src/oidc/request-writes.ts). Nothing is
// answered that was not written: when the write fails, the browser gets an error page instead of the redirect
// carrying a code, a program gets server_error instead of tokens, and once the database takes writes again the
// citizen's retry goes on from where it was.
import { readFile } from 'node:fs/promises';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { SANDBOX_CITIZENS, SANDBOX_PASSWORD } from '../../src/sandbox/seed.ts';
import { SANDBOX_SECRET } from '../helpers/provider.ts';
import { authorizationRequest, redeem, REDIRECT_URI, sandboxProviderForSuite } from '../helpers/relying-party.ts';
import { csrfToken, formAction, signInThroughPages, untilConsent, UserAgent } from '../helpers/user-agent.ts';

const binh = SANDBOX_CITIZENS.find((c) => c.level === 1)!;
const suite = sandboxProviderForSuite();

/** Makes every grouped write fail, as a full disk or a broken constraint would. */
async function refuseWrites() {
  await sql.raw(`CREATE OR REPLACE PROCEDURE write_provider_state(gone jsonb, stored jsonb) LANGUAGE sql AS $$ SELECT 1 / 0 $$`).execute(suite.provider.database.db);
}

afterEach(async () => {
  const migration = await readFile(new URL('../../migrations/0021_found_rows_stay_ended.sql', import.meta.url), 'utf8');
  await sql.raw(migration).execute(suite.provider.database.db);
});

const count = async (model: string) =>
  Number((await suite.provider.database.db.selectFrom('oidc_payloads').select((eb) => eb.fn.countAll().as('n')).where('model', '=', model).executeTakeFirstOrThrow()).n);

describe('a protocol request writes what it changed before it answers', () => {
  it('a resume whose writes fail shows an error page in the citizen\'s language and no code; the retry completes the sign-in', async () => {
    const request = await authorizationRequest(suite.rp, { scope: 'openid profile', prompt: 'consent' });
    const agent = new UserAgent();
    const origin = suite.provider.url;
    const consent = await untilConsent(agent, request.url.href, { username: binh.personalId, password: SANDBOX_PASSWORD });
    // The consent post is answered with the way back to the provider (its own write went through).
    const posted = await agent.request(new URL(formAction(consent.html, 'consent'), consent.url).toString(), { form: { _csrf: csrfToken(consent.html), decision: 'approve' } });
    expect(posted.status).toBe(303);
    const resume = new URL(posted.headers.get('location')!, consent.url).toString();
    const codes = await count('AuthorizationCode');

    await refuseWrites();
    const failed = await agent.request(resume);
    expect(failed.status).toBe(500);
    expect(failed.headers.get('location')).toBeNull();
    const page = await failed.text();
    expect(page).toContain('lang="vi"');
    expect(page).toContain('server_error');
    expect(await count('AuthorizationCode')).toBe(codes);

    // The database takes writes again: the same resume, as the citizen's reload sends it, reaches the relying party.
    await sql.raw((await readFile(new URL('../../migrations/0021_found_rows_stay_ended.sql', import.meta.url), 'utf8'))).execute(suite.provider.database.db);
    const step = await agent.follow(resume, origin);
    expect(step.redirect, `${step.page?.status} ${step.page?.html.replace(/<style[\s\S]*<\/style>/, "").slice(0, 1500)}`).toBeDefined();
    const tokens = await redeem(suite.rp, request, step.redirect!);
    expect(tokens.claims()!.sub).toBeTruthy();
  });

  it('a code redemption whose tokens cannot be written answers server_error, with no token in it', async () => {
    const request = await authorizationRequest(suite.rp, { scope: 'openid profile offline_access', prompt: 'consent' });
    const callback = await signInThroughPages(new UserAgent(), request.url.href, { username: binh.personalId, password: SANDBOX_PASSWORD });
    const refreshTokens = await count('RefreshToken');
    await refuseWrites();
    // openid-client reads an error body only from a 4xx: the answer is read as any program would.
    const answer = await fetch(`${suite.provider.url}/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`sandbox:${SANDBOX_SECRET}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: new URL(callback).searchParams.get('code')!, redirect_uri: REDIRECT_URI, code_verifier: request.verifier }),
    });
    expect(answer.status).toBe(500);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    const body = (await answer.json()) as Record<string, unknown>;
    expect(body).toEqual({ error: 'server_error', error_description: expect.stringContaining('could not be saved') });
    expect(await count('RefreshToken')).toBe(refreshTokens);
  });

  it('writes together what one request changed: a sign-in leaves its session, grant and code, and no interaction', async () => {
    const interactions = await count('Interaction');
    const request = await authorizationRequest(suite.rp, { scope: 'openid profile', prompt: 'consent' });
    const callback = await signInThroughPages(new UserAgent(), request.url.href, { username: binh.personalId, password: SANDBOX_PASSWORD });
    const code = new URL(callback).searchParams.get('code')!;
    const { db } = suite.provider.database;
    const row = await db.selectFrom('oidc_payloads').select(['payload', 'grant_id']).where('model', '=', 'AuthorizationCode').where('id', '=', code).executeTakeFirstOrThrow();
    const payload = row.payload as { sessionUid: string; grantId: string };
    expect(row.grant_id).toBe(payload.grantId);
    // The session under its new id (the old row deleted first: one uid, one row), the grant the code names.
    const sessions = await db.selectFrom('oidc_payloads').select('id').where('model', '=', 'Session').where('uid', '=', payload.sessionUid).execute();
    expect(sessions).toHaveLength(1);
    expect(await db.selectFrom('oidc_payloads').select('id').where('model', '=', 'Grant').where('id', '=', payload.grantId).executeTakeFirst()).toBeDefined();
    // Both of the sign-in's interactions ended.
    expect(await count('Interaction')).toBe(interactions);
    expect((await redeem(suite.rp, request, callback)).access_token).toBeTruthy();
  });
});
