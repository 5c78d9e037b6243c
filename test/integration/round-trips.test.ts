// Database round trips per protocol request, as an operator sizing PostgreSQL counts them on /metrics: a token's
// grant and session come with the token in one query, introspection looks the token up under every kind at once,
// and what the read brought along is never served to a later request.
import * as oidc from 'openid-client';
import { describe, expect, it } from 'vitest';
import { SANDBOX_CITIZENS, SANDBOX_PASSWORD } from '../../src/sandbox/seed.ts';
import { ENGINE } from '../helpers/database.ts';
import { SANDBOX_SECRET } from '../helpers/provider.ts';
import { authorizationRequest, redeem, sandboxProviderForSuite } from '../helpers/relying-party.ts';
import { csrfToken, formAction, signInThroughPages, untilConsent, UserAgent } from '../helpers/user-agent.ts';

const binh = SANDBOX_CITIZENS.find((c) => c.level === 1)!;
const suite = sandboxProviderForSuite();

/** Queries the provider has run so far, by its own /metrics. */
async function queriesSoFar(): Promise<number> {
  const text = await (await fetch(`${suite.provider.url}/metrics`)).text();
  return [...text.matchAll(/^dinhdanh_db_query_duration_seconds_count\{[^}]*\} (\d+)/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
}

/** Inserts the provider has run so far. */
async function insertsSoFar(): Promise<number> {
  const text = await (await fetch(`${suite.provider.url}/metrics`)).text();
  return Number(/^dinhdanh_db_query_duration_seconds_count\{operation="insert"\} (\d+)/m.exec(text)?.[1] ?? 0);
}

/** Procedure calls the provider has run so far: each writes what one request changed (write_provider_state). */
async function callsSoFar(): Promise<number> {
  const text = await (await fetch(`${suite.provider.url}/metrics`)).text();
  return Number(/^dinhdanh_db_query_duration_seconds_count\{operation="call"\} (\d+)/m.exec(text)?.[1] ?? 0);
}

/** Selects the provider has run so far (the scrapes themselves run none). */
async function selectsSoFar(): Promise<number> {
  const text = await (await fetch(`${suite.provider.url}/metrics`)).text();
  return Number(/^dinhdanh_db_query_duration_seconds_count\{operation="select"\} (\d+)/m.exec(text)?.[1] ?? 0);
}

/** Asked every 20 ms until true (a guard against a hang, not a measure). */
async function until(condition: () => Promise<boolean>) {
  const deadline = Date.now() + 30_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('the answers did not all read their token within 30 s');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Queries `call` made, without those of the scrapes that count them. */
async function queriesOf(call: () => Promise<unknown>): Promise<number> {
  const a = await queriesSoFar();
  const b = await queriesSoFar();
  await call();
  await suite.provider.background.idle();
  const c = await queriesSoFar();
  return c - b - (b - a);
}

async function signIn(scope = 'openid profile') {
  const request = await authorizationRequest(suite.rp, { scope, prompt: 'consent' });
  const callback = await signInThroughPages(new UserAgent(), request.url.href, { username: binh.personalId, password: SANDBOX_PASSWORD });
  return redeem(suite.rp, request, callback);
}

const introspect = (token: string, hint?: string) =>
  fetch(`${suite.provider.url}/token/introspection`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`sandbox:${SANDBOX_SECRET}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token, ...(hint ? { token_type_hint: hint } : {}) }),
  }).then((r) => r.json() as Promise<{ active: boolean }>);

describe('database round trips', () => {
  it('userinfo reads the token with its grant and session in one query, then records the disclosure', async () => {
    const tokens = await signIn();
    const sub = tokens.claims()!.sub;
    await oidc.fetchUserInfo(suite.rp, tokens.access_token, sub); // the account is now in the instance's cache
    expect(await queriesOf(() => oidc.fetchUserInfo(suite.rp, tokens.access_token, sub))).toBe(2);
  });

  it('introspection finds the token under every kind in one query, with or without a hint', async () => {
    const tokens = await signIn('openid profile offline_access');
    for (const [token, hint] of [[tokens.access_token, undefined], [tokens.access_token, 'access_token'], [tokens.refresh_token!, 'refresh_token'], [tokens.refresh_token!, undefined]] as const) {
      let answer: { active: boolean } | undefined;
      // The lookup and the disclosure record.
      expect(await queriesOf(async () => (answer = await introspect(token, hint)))).toBe(2);
      expect(answer!.active).toBe(true);
    }
    expect(await queriesOf(async () => expect(await introspect('no-such-token')).toEqual({ active: false }))).toBe(1);
  });

  it('a refresh and the code redemption read the grant with the token', async () => {
    const request = await authorizationRequest(suite.rp, { scope: 'openid profile offline_access', prompt: 'consent' });
    const callback = await signInThroughPages(new UserAgent(), request.url.href, { username: binh.personalId, password: SANDBOX_PASSWORD });
    // The code with its grant and session, its consumption, the access and refresh tokens written together, the
    // disclosure of the ID token.
    let tokens: oidc.TokenEndpointResponse | undefined;
    expect(await queriesOf(async () => (tokens = await redeem(suite.rp, request, callback)))).toBe(4);
    // The refresh token with its grant, its consumption, the new refresh and access tokens together, the ID token's disclosure.
    expect(await queriesOf(() => oidc.refreshTokenGrant(suite.rp, tokens!.refresh_token!))).toBe(4);
  });

  it('records answers given at once, every one of them, together in fewer inserts than answers on PostgreSQL', async () => {
    const tokens = await signIn();
    const sub = tokens.claims()!.sub;
    await oidc.fetchUserInfo(suite.rp, tokens.access_token, sub);
    const { db } = suite.provider.database;
    const recorded = async () => Number((await db.selectFrom('disclosures').select((eb) => eb.fn.countAll().as('n')).where('channel', '=', 'userinfo').executeTakeFirstOrThrow()).n);
    const before = { recorded: await recorded(), inserts: await insertsSoFar(), selects: await selectsSoFar() };
    // On PostgreSQL the table is held (as a slow disk or a busy moment would hold it) until every answer has read
    // its token: the answers then arrive while a record is being written, which is when they are grouped. Whether
    // 40 calls overlap by themselves depends on how fast the machine answers each one.
    const holder = ENGINE === 'postgres' ? await suite.provider.database.connect!() : undefined;
    await holder?.query('BEGIN');
    await holder?.query('LOCK TABLE disclosures IN EXCLUSIVE MODE');
    const answering = Promise.all(Array.from({ length: 40 }, () => oidc.fetchUserInfo(suite.rp, tokens.access_token, sub)));
    if (holder) {
      try {
        await until(async () => (await selectsSoFar()) - before.selects >= 40);
      } finally {
        await holder.query('COMMIT');
        await holder.end();
      }
    }
    const answers = await answering;
    expect(answers.every((answer) => answer.sub === sub)).toBe(true);
    await suite.provider.background.idle();
    expect(await recorded()).toBe(before.recorded + 40);
    // The embedded database runs each statement to its end before the next answer is ready: nothing to group there.
    if (ENGINE === 'postgres') expect(await insertsSoFar() - before.inserts).toBeLessThan(40);
  });

  it('a password sign-in counts the attempt and reads the account in one statement', async () => {
    const post = async (password: string) => {
      const request = await authorizationRequest(suite.rp, { scope: 'openid profile', prompt: 'consent' });
      const agent = new UserAgent();
      const login = (await agent.follow(request.url.href, suite.provider.url)).page!;
      const action = new URL(formAction(login.html, 'login'), login.url).toString();
      let status = 0;
      const queries = await queriesOf(async () => {
        status = (await agent.request(action, { form: { _csrf: csrfToken(login.html), username: binh.personalId, password } })).status;
      });
      return { status, queries };
    };
    // The address's rate-limit counter, the interaction, the attempt with the account, the count cleared on
    // success, the interaction's result.
    expect(await post(SANDBOX_PASSWORD)).toEqual({ status: 303, queries: 5 });
    // A wrong password: the counter, the interaction, the attempt with the account, the page again with a new QR
    // code, and (once the answer is out) the account's audit trail.
    expect(await post('Sai@MatKhau2026')).toEqual({ status: 401, queries: 5 });
  });

  it('the consent and the resume after it read with two selects and write with one call each: the resume reads its session and the interaction it names at once', async () => {
    const request = await authorizationRequest(suite.rp, { scope: 'openid profile', prompt: 'consent' });
    const agent = new UserAgent();
    const origin = suite.provider.url;
    const consent = await untilConsent(agent, request.url.href, { username: binh.personalId, password: SANDBOX_PASSWORD });
    const before = { selects: await selectsSoFar(), calls: await callsSoFar() };
    let step: Awaited<ReturnType<UserAgent['follow']>> | undefined;
    const queries = await queriesOf(async () => {
      step = await agent.follow(new URL(formAction(consent.html, 'consent'), consent.url).toString(), origin, { form: { _csrf: csrfToken(consent.html), decision: 'approve' } });
    });
    // The consent post reads its interaction (with its session); the resume its session with that interaction.
    expect(await selectsSoFar() - before.selects).toBe(2);
    // Each writes once: the grant with the interaction's result; then the interaction's end, the code, and the
    // session under its new id (its old row deleted first) in one call. 4 queries, where they were 8.
    expect(await callsSoFar() - before.calls).toBe(2);
    expect(queries).toBe(4);
    // And the sign-in goes on with what was read: the code is redeemed for the citizen who signed in.
    const tokens = await redeem(suite.rp, request, step!.redirect!);
    expect(tokens.claims()!.sub).toBe((await signIn()).claims()!.sub);
  });

  it('serve what a read brought along to the same request only: a session ended between two calls ends the token', async () => {
    const tokens = await signIn();
    const sub = tokens.claims()!.sub;
    await oidc.fetchUserInfo(suite.rp, tokens.access_token, sub);
    // The session row goes, as at sign-out on another instance; the grant stays.
    const { db } = suite.provider.database;
    const deleted = await db.deleteFrom('oidc_payloads').where('model', '=', 'Session').where('uid', '=', await sessionOf(tokens.access_token)).executeTakeFirst();
    expect(Number(deleted.numDeletedRows)).toBe(1);
    await expect(oidc.fetchUserInfo(suite.rp, tokens.access_token, sub)).rejects.toMatchObject({ status: 401 });
  });
});

/** The uid of the session an access token is bound to, as the provider stored it. */
async function sessionOf(token: string): Promise<string> {
  const row = await suite.provider.database.db.selectFrom('oidc_payloads').select('payload').where('model', '=', 'AccessToken').where('id', '=', token).executeTakeFirstOrThrow();
  return (row.payload as { sessionUid: string }).sessionUid;
}
