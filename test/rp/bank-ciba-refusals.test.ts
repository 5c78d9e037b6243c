// CIBA refusals and the answers that must not tell a bank who has an account, through openid-client 6's backchannel
// functions: a client not approved for CIBA, unknown and unreachable citizens, expiry, slow_down, bad parameters.
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerBank } from '../helpers/bank.ts';
import { bankServer, CIBA_GRANT, dpopFor, localTls, registerCibaBank, type BankServer, type CibaBank, type LocalTls } from '../helpers/ciba-bank.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { startProvider, type RunningProvider } from '../helpers/provider.ts';

let testDb: TestDatabase;
let tls: LocalTls;
let server: BankServer;
let provider: RunningProvider;
let bank: CibaBank;

const AN = '001090012345'; // level 2, no device in the app
const BINH = '079185000123'; // level 1
const PHUC = '079090006789'; // locked
const NOBODY = '001099123456'; // no account at all

beforeAll(async () => {
  testDb = await createTestDatabase();
  tls = await localTls();
  server = await bankServer(tls);
  provider = await startProvider(testDb, { env: { OUTBOUND_EXTRA_CA_FILE: tls.caFile, CIBA_POLL_INTERVAL_SECONDS: '1' } });
  bank = await registerCibaBank(provider, server, 'bank-ciba-refusals');
});
afterAll(async () => {
  await provider?.close();
  await server?.close();
  await tls?.remove();
  await testDb?.drop();
});

const ask = (loginHint: string, extra: Record<string, string> = {}, client = bank) =>
  oidc.initiateBackchannelAuthentication(client.config, { scope: 'openid profile', login_hint: loginHint, binding_message: 'GD 4821', ...extra });

async function refusal(promise: Promise<unknown>): Promise<{ error: string; error_description?: string }> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(oidc.ResponseBodyError);
  return (error as oidc.ResponseBodyError).cause as unknown as { error: string; error_description?: string };
}

describe('CIBA: what the bank is told', () => {
  it('publishes the backchannel endpoint, poll and ping, and no user_code support', async () => {
    const discovery = (await (await fetch(`${provider.url}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(discovery).toMatchObject({
      backchannel_authentication_endpoint: `${provider.url}/backchannel`,
      backchannel_token_delivery_modes_supported: ['poll', 'ping'],
      backchannel_user_code_parameter_supported: false,
    });
    expect(discovery.grant_types_supported).toContain(CIBA_GRANT);
  });

  it('answers alike for a citizen with no account, a level-1, a locked and an unenrolled one: the bank cannot tell who has an account', async () => {
    const answers = await Promise.all([NOBODY, BINH, PHUC, AN].map((hint) => ask(hint)));
    for (const answer of answers) {
      expect(Object.keys(answer).sort()).toEqual(['auth_req_id', 'expires_in', 'interval']);
      expect(answer.auth_req_id).toMatch(/^[\w-]{20,}$/);
      expect(answer.interval).toBe(1);
    }
    expect(new Set(answers.map((a) => a.expires_in)).size).toBe(1);
    // And polling says "pending" for all of them, as it would for a citizen who has not answered yet.
    for (const answer of answers) {
      const pending = await refusal(oidc.genericGrantRequest(bank.config, CIBA_GRANT, { auth_req_id: answer.auth_req_id }, { DPoP: await dpopFor(bank) }));
      expect(pending.error).toBe('authorization_pending');
    }
  });

  it('lets a bank have at most 3 requests waiting for one number, counted alike for anyone\'s number and nobody\'s', async () => {
    const EM = '092075001122'; // level 2, no device
    const NOBODY_ELSE = '001099654321';
    for (const hint of [EM, NOBODY_ELSE]) {
      for (let i = 1; i <= 3; i++) await expect(ask(hint, { binding_message: `GD 80${i}` })).resolves.toMatchObject({ auth_req_id: expect.any(String) });
      const fourth = await refusal(ask(hint, { binding_message: 'GD 804' }));
      expect(fourth).toEqual({ error: 'access_denied', error_description: 'this client already has 3 requests waiting for this citizen\'s answer: wait until they are answered or expire' });
    }
    // Another bank is not held back by this one's requests.
    const other = await registerCibaBank(provider, server, 'bank-ciba-other');
    await expect(ask(EM, {}, other)).resolves.toMatchObject({ auth_req_id: expect.any(String) });
  });

  it('holds the limit of 3 for requests sent all at once', async () => {
    const burst = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => ask('001099777888', { binding_message: `GD 9${i}` })));
    expect(burst.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(3);
    for (const outcome of burst.filter((o) => o.status === 'rejected')) {
      expect(((outcome as PromiseRejectedResult).reason as oidc.ResponseBodyError).cause).toMatchObject({ error: 'access_denied' });
    }
  });

  it('lets a request nobody can answer expire: expired_token, as for a citizen who never answered', async () => {
    const started = await ask(NOBODY, { requested_expiry: '2' });
    expect(started.expires_in).toBe(2);
    const outcome = await refusal(
      oidc.pollBackchannelAuthenticationGrant(bank.config, started, undefined, { DPoP: await dpopFor(bank), signal: AbortSignal.timeout(15_000) }),
    );
    expect(outcome.error).toBe('expired_token');
  });

  it('answers slow_down to a bank polling faster than the interval, and pending again at the new pace', async () => {
    const started = await ask(AN);
    const poll = async () => refusal(oidc.genericGrantRequest(bank.config, CIBA_GRANT, { auth_req_id: started.auth_req_id }, { DPoP: await dpopFor(bank) }));
    expect((await poll()).error).toBe('authorization_pending');
    const tooSoon = await poll();
    expect(tooSoon.error).toBe('slow_down');
    expect(tooSoon.error_description).toMatch(/wait at least 6 seconds/);
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    expect((await poll()).error).toBe('authorization_pending');
  }, 20_000);

  it('refuses a bank whose registration is not approved for CIBA: unauthorized_client, saying why', async () => {
    const plainBank = await registerBank(provider, 'bank-no-ciba');
    const outcome = await refusal(
      oidc.initiateBackchannelAuthentication(plainBank.config, { scope: 'openid', login_hint: AN, binding_message: 'GD 1' }),
    );
    expect(outcome.error).toBe('unauthorized_client');
    expect(outcome.error_description).toContain('not approved for CIBA');
    expect(outcome.error_description).toContain(CIBA_GRANT);
  });

  it('refuses what is not a personal ID number, other ways of naming the citizen, and user_code', async () => {
    for (const hint of ['12345', 'an@example.vn', '0010900123456', '00109001234a']) {
      const outcome = await refusal(ask(hint));
      expect(outcome).toMatchObject({ error: 'invalid_request', error_description: expect.stringContaining('personal ID number (12 digits)') });
    }
    const withCode = await refusal(ask(AN, { user_code: '1234' }));
    expect(withCode).toMatchObject({ error: 'invalid_request', error_description: expect.stringContaining('user_code is not supported') });
    const withToken = await refusal(
      oidc.initiateBackchannelAuthentication(bank.config, { scope: 'openid', login_hint_token: 'x.y.z', binding_message: 'GD 1' }),
    );
    expect(withToken).toMatchObject({ error: 'invalid_request', error_description: expect.stringContaining('login_hint only') });
  });

  it('requires a short plain binding_message the app can show', async () => {
    const missing = await refusal(oidc.initiateBackchannelAuthentication(bank.config, { scope: 'openid', login_hint: AN }));
    expect(missing).toMatchObject({ error: 'invalid_binding_message', error_description: expect.stringContaining('required') });
    for (const message of ['<b>GD</b>', 'x'.repeat(41), ' GD 1', 'GD\u200b1']) {
      const outcome = await refusal(ask(AN, { binding_message: message }));
      expect(outcome.error).toBe('invalid_binding_message');
    }
    // Vietnamese text is fine.
    await expect(ask(AN, { binding_message: 'Mở tài khoản – mã 4821'.replace('–', '-') })).resolves.toMatchObject({ auth_req_id: expect.any(String) });
  });

  it('refuses a level or scope beyond the bank\'s approval', async () => {
    const levelOne = await registerCibaBank(provider, server, 'bank-ciba-level-1', { assuranceLevel: 1, scope: 'openid profile' });
    const level = await refusal(ask(AN, { acr_values: 'urn:vn:eid:loa:2' }, levelOne));
    expect(level).toMatchObject({ error: 'access_denied', error_description: expect.stringContaining('not approved for urn:vn:eid:loa:2') });
    // Asked by an essential acr claim instead, the same.
    const essential = JSON.stringify({ id_token: { acr: { essential: true, values: ['urn:vn:eid:loa:2'] } } });
    const byClaim = await refusal(ask(AN, { claims: essential }, levelOne));
    expect(byClaim).toMatchObject({ error: 'access_denied', error_description: expect.stringContaining('not approved for urn:vn:eid:loa:2') });
    const scope = await refusal(ask(AN, { scope: 'openid profile id_card' }));
    expect(scope.error).toBe('invalid_scope');
  });

  it('refuses an essential acr that names no level this provider has', async () => {
    const claims = JSON.stringify({ id_token: { acr: { essential: true, values: ['urn:vn:eid:loa:3'] } } });
    const outcome = await refusal(ask(AN, { claims }));
    expect(outcome).toMatchObject({ error: 'unmet_authentication_requirements', error_description: expect.stringContaining('names no level this provider has') });
  });
});
