// Signing-key rotation with two instances on one database. A relying party that caches the JWKS by kid, and
// refreshes its copy only when it is older than its max age (never because of an unknown kid), verifies every
// ID token and JWT access token from both instances: before the rotation, once the next keys are published,
// once they sign, and once the old ones are withdrawn. Then `keys rotate` and `keys list` as real processes.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addResourceServer, grantResourceAccess } from '../../src/clients/resource-servers.ts';
import { SIGNING_ALGS } from '../../src/oidc/key-lifecycle.ts';
import { listSigningKeys, rotateSigningKeys } from '../../src/oidc/key-rotation.ts';
import { DEFAULT_TTL, verificationWindowSeconds } from '../../src/oidc/token-lifetimes.ts';
import { SANDBOX_CITIZENS, SANDBOX_PASSWORD } from '../../src/sandbox/seed.ts';
import { testClock } from '../helpers/clock.ts';
import { createTestDatabase, ENGINE, type TestDatabase } from '../helpers/database.ts';
import { ROOT } from '../helpers/process.ts';
import { SANDBOX_SECRET, startProvider, type RunningProvider } from '../helpers/provider.ts';
import { authorizationRequest, redeem, relyingParty } from '../helpers/relying-party.ts';
import { csrfToken, formAction, signInThroughPages, UserAgent } from '../helpers/user-agent.ts';

const citizen = { username: SANDBOX_CITIZENS[0]!.personalId, password: SANDBOX_PASSWORD };
const TAX = 'https://tax.api.example.gov.vn/';
const SYNC = { client_id: 'tax-sync', client_secret: 'tax-sync-secret-0123456789abcdef' };
const DELAY = 3600;
/** The relying party's JWKS cache: shorter than the activation delay, as the delay is chosen for. */
const CACHE_MAX_AGE = 3000;

const jwksKids = async (instance: { url: string }) => ((await (await fetch(`${instance.url}/jwks`)).json()) as JSONWebKeySet).keys.map((k) => k.kid!);

describe('two instances through a rotation', () => {
  const clock = testClock();
  let testDb: TestDatabase;
  let first: RunningProvider;
  let second: RunningProvider;
  let refreshToken: string;
  const fetchedAt: number[] = [];

  beforeAll(async () => {
    testDb = await createTestDatabase();
    first = await startProvider(testDb, { clock: clock.now });
    // PGlite is one process's database: the second instance shares it; on PostgreSQL it has its own pool.
    second = await startProvider(testDb, { ...(ENGINE === 'pglite' ? { database: first.database } : {}), clock: clock.now, env: { ISSUER: first.url } });
    const db = first.database.db;
    await first.addClient({ ...SYNC, profile: 'service', grant_types: ['client_credentials'], response_types: [], redirect_uris: [], token_endpoint_auth_method: 'client_secret_basic' });
    await addResourceServer(db, { identifier: TAX, name: 'Tax records', scopes: ['tax:read'], accessTokenFormat: 'jwt', accessTokenTtl: 300 });
    await grantResourceAccess(db, SYNC.client_id, TAX, ['tax:read']);

    const rp = await relyingParty(first.url, 'sandbox', SANDBOX_SECRET);
    const request = await authorizationRequest(rp, { scope: 'openid profile offline_access', prompt: 'consent' });
    refreshToken = (await redeem(rp, request, await signInThroughPages(agent, request.url.href, citizen))).refresh_token!;
  });
  afterAll(async () => {
    await second?.close();
    await first?.close();
    await testDb?.drop();
  });

  const agent = new UserAgent();
  let cache: { jwks: JSONWebKeySet; at: number } | undefined;

  /** The relying party's verification: its cached JWKS, refreshed (from either instance) only once stale. */
  async function verify(jwt: string, from: RunningProvider) {
    const now = clock.now().getTime();
    if (!cache || now - cache.at > CACHE_MAX_AGE * 1000) {
      cache = { jwks: (await (await fetch(`${from.url}/jwks`)).json()) as JSONWebKeySet, at: now };
      fetchedAt.push(now);
    }
    const { protectedHeader } = await jwtVerify(jwt, createLocalJWKSet(cache.jwks), { issuer: first.url });
    return `${protectedHeader.alg}:${protectedHeader.kid}`;
  }

  /** The token endpoint of one instance, for the same issuer. */
  async function via(instance: RunningProvider, client: { client_id: string; client_secret: string }) {
    const metadata = (await (await fetch(`${first.url}/.well-known/openid-configuration`)).json()) as oidc.ServerMetadata;
    const config = new oidc.Configuration({ ...metadata, token_endpoint: `${instance.url}/token` }, client.client_id, undefined, oidc.ClientSecretBasic(client.client_secret));
    oidc.allowInsecureRequests(config);
    return config;
  }

  /** An ID token (by refresh) and a JWT access token from each instance, each verified; the keys they name. */
  async function tokensFromBoth(): Promise<string[]> {
    const signers: string[] = [];
    for (const instance of [first, second]) {
      const refreshed = await oidc.refreshTokenGrant(await via(instance, { client_id: 'sandbox', client_secret: SANDBOX_SECRET }), refreshToken);
      refreshToken = refreshed.refresh_token ?? refreshToken;
      signers.push(await verify(refreshed.id_token!, instance));
      const access = await oidc.clientCredentialsGrant(await via(instance, SYNC), { scope: 'tax:read', resource: TAX });
      signers.push(await verify(access.access_token, instance));
    }
    return signers;
  }

  const refreshBoth = () => Promise.all([first.signingKeys.refresh(), second.signingKeys.refresh()]);
  const states = async () => Object.fromEntries((await listSigningKeys(first.database.db, clock.now())).map((k) => [k.kid, k.state]));

  it('verifies every token before, during and after a rotation of every algorithm', async () => {
    const before = await listSigningKeys(first.database.db, clock.now());
    expect(before.map((k) => k.state)).toEqual(['active', 'active', 'active']);
    const old = Object.fromEntries(before.map((k) => [k.alg, k.kid]));
    const signedBy = (keys: Record<string, string>) => [`RS256:${keys.RS256}`, `ES256:${keys.ES256}`, `RS256:${keys.RS256}`, `ES256:${keys.ES256}`];
    expect(await tokensFromBoth()).toEqual(signedBy(old));

    // Publication: the next keys are in both instances' JWKS at once; the old ones still sign.
    const { rotated, refused } = await rotateSigningKeys(first.database.db, { algs: SIGNING_ALGS, now: clock.now(), activationDelaySeconds: DELAY });
    expect(refused).toEqual([]);
    const next = Object.fromEntries(rotated.map((plan) => [plan.alg, plan.next]));
    const window = verificationWindowSeconds(DEFAULT_TTL, 300);
    expect(rotated[0]!.withdrawnAt!.getTime() - rotated[0]!.activatesAt.getTime()).toBe(window * 1000);
    await refreshBoth();
    for (const instance of [first, second]) {
      const kids = await jwksKids(instance);
      expect(kids.slice(0, 3)).toEqual([old.RS256, old.ES256, old.PS256]);
      expect(kids.slice(3).sort()).toEqual(Object.values(next).sort());
    }
    expect(await tokensFromBoth()).toEqual(signedBy(old));
    const again = await rotateSigningKeys(first.database.db, { algs: ['ES256'], now: clock.now(), activationDelaySeconds: DELAY });
    expect(again).toMatchObject({ rotated: [], refused: [{ alg: 'ES256', pending: next.ES256 }] });

    // Meanwhile the relying party's cache expires and it fetches the JWKS again, with the next keys in it.
    clock.advance(CACHE_MAX_AGE + 100);
    await refreshBoth();
    expect(await tokensFromBoth()).toEqual(signedBy(old));

    // Activation: the next keys sign; the old ones stay published. A sign-in begun before the swap ends after it,
    // the browser's session survives it, and requests under way while it happens are answered.
    const pending = await authorizationRequest(await relyingParty(first.url, 'sandbox', SANDBOX_SECRET), { prompt: 'login' });
    const beforeSwap = new UserAgent();
    const loginPage = await beforeSwap.follow(pending.url.href, first.url);
    expect(loginPage.page?.html).toContain('id="login"');
    // To the activation instant itself.
    clock.advance(DELAY - CACHE_MAX_AGE - 100);
    const during = await Promise.all([refreshBoth(), ...Array.from({ length: 6 }, async (_, i) => (await oidc.clientCredentialsGrant(await via(i % 2 ? first : second, SYNC), { scope: 'tax:read', resource: TAX })).access_token)]);
    for (const token of during.slice(1) as string[]) expect([old.ES256, next.ES256]).toContain(decodeProtectedHeader(token).kid);
    expect(await states()).toMatchObject({ [old.RS256!]: 'retiring', [next.RS256!]: 'active', [next.PS256!]: 'active' });
    for (const instance of [first, second]) expect((await jwksKids(instance)).sort()).toEqual([...Object.values(old), ...Object.values(next)].sort());
    const fetchesBeforeActivation = fetchedAt.length;
    expect(await tokensFromBoth()).toEqual(signedBy(next));
    // Verified from the cached JWKS: the relying party did not need to fetch it again for the new kid.
    expect(fetchedAt.length).toBe(fetchesBeforeActivation);

    const rp = await relyingParty(first.url, 'sandbox', SANDBOX_SECRET);
    let step = await beforeSwap.follow(new URL(formAction(loginPage.page!.html, 'login'), loginPage.page!.url).href, first.url, { form: { _csrf: csrfToken(loginPage.page!.html), ...citizen } });
    if (step.page?.html.includes('id="consent"')) {
      step = await beforeSwap.follow(new URL(formAction(step.page.html, 'consent'), step.page.url).href, first.url, { form: { _csrf: csrfToken(step.page.html), decision: 'approve' } });
    }
    const finished = await redeem(rp, pending, step.redirect!);
    expect(await verify(finished.id_token!, second)).toBe(`RS256:${next.RS256}`);
    const silent = await authorizationRequest(rp);
    const resumed = await agent.follow(silent.url.href, first.url);
    expect(resumed.page?.html).toBeUndefined();
    expect(await verify((await redeem(rp, silent, resumed.redirect!)).id_token!, first)).toBe(`RS256:${next.RS256}`);

    // Withdrawal: once every token the old keys signed has expired, they leave both JWKS.
    clock.advance(window - 1);
    await refreshBoth();
    expect((await jwksKids(second)).length).toBe(6);
    clock.advance(2);
    await refreshBoth();
    for (const instance of [first, second]) expect(await jwksKids(instance)).toEqual([next.RS256, next.ES256, next.PS256]);
    expect(await states()).toMatchObject({ [old.ES256!]: 'withdrawn', [next.ES256!]: 'active' });
    expect(await tokensFromBoth()).toEqual(signedBy(next));
  });
});

describe('npm run cli -- keys', () => {
  let dir: string;
  let testDb: TestDatabase;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dinhdanh-keys-cli-'));
    // PGlite: the directory the CLI opens for DATA_DIR (its pglite/ subdirectory); PostgreSQL: a scratch database.
    testDb = ENGINE === 'postgres' ? await createTestDatabase() : { location: { engine: 'pglite', dataDir: join(dir, 'data', 'pglite') }, drop: async () => {} };
  });
  afterAll(async () => {
    await testDb?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const cli = (args: string[]) => {
    const location = testDb.location;
    const env = { PATH: process.env.PATH ?? '', NODE_ENV: 'development', DATA_DIR: join(dir, 'data'), KEY_ACTIVATION_DELAY_SECONDS: '7200', ...(location.engine === 'postgres' ? { DATABASE_URL: location.url } : {}) };
    return spawnSync(process.execPath, ['src/cli.ts', 'keys', ...args], { cwd: ROOT, env, encoding: 'utf8' });
  };

  it('lists the keys, rotates one algorithm, refuses a second rotation before the first activates; the provider publishes the next key', async () => {
    // The embedded database has one writer: there the provider runs only between CLI commands. On PostgreSQL it
    // keeps running and follows the rotation by itself (it reloads the keys every second here).
    const start = () => startProvider(testDb, { env: { KEY_RELOAD_SECONDS: '1' } });
    let provider = await start();
    const initial = await jwksKids(provider);
    if (ENGINE === 'pglite') await provider.close();

    const listed = cli(['list']);
    expect(listed.status, listed.stderr).toBe(0);
    const lines = listed.stdout.trim().split('\n');
    expect(lines[0]).toBe('state\talg\tkid\tpublished\tsigns from\tsigns until\twithdrawn');
    expect(lines.slice(1).map((line) => line.split('\t').slice(0, 3))).toEqual(expect.arrayContaining(initial.map((kid) => ['active', expect.stringMatching(/^(RS|ES|PS)256$/), kid])));

    const before = Date.now();
    const rotated = cli(['rotate', '--alg', 'ES256']);
    const after = Date.now();
    expect(rotated.status, rotated.stderr).toBe(0);
    const [, next, signsFrom] = /^ES256: published (\S+); it signs from (\S+)$/m.exec(rotated.stdout) ?? [];
    expect(next).toBeDefined();
    // Whole seconds in the output: the activation is the delay after the command ran.
    expect(Date.parse(signsFrom!)).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + 7200_000);
    expect(Date.parse(signsFrom!)).toBeLessThanOrEqual(after + 7200_000);
    expect(rotated.stdout).toMatch(/signs until then and stays in \/jwks until \S+Z/);

    const again = cli(['rotate', '--alg', 'ES256']);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain(`ES256: not rotated: its next key ${next} is already published`);
    const wrong = cli(['rotate', '--alg', 'HS256']);
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toContain('--alg must be one of RS256, ES256, PS256 or all');

    const json = cli(['list', '--json']);
    expect(json.status, json.stderr).toBe(0);
    const keys = JSON.parse(json.stdout) as Array<{ kid: string; alg: string; state: string; activatesAt: string; deactivatedAt: string | null; retiredAt: string | null }>;
    const nextKey = keys.find((k) => k.kid === next);
    expect(nextKey).toMatchObject({ alg: 'ES256', state: 'next', deactivatedAt: null, retiredAt: null });
    // The key it replaces signs until the next one does, and stays published for the longest token lifetime after.
    const replaced = keys.find((k) => k.alg === 'ES256' && k.state === 'active')!;
    expect(replaced.deactivatedAt).toBe(nextKey!.activatesAt);
    expect(Date.parse(replaced.retiredAt!) - Date.parse(replaced.deactivatedAt!)).toBe(verificationWindowSeconds(DEFAULT_TTL) * 1000);

    try {
      if (ENGINE === 'pglite') provider = await start();
      await expect.poll(() => jwksKids(provider), { timeout: 20_000 }).toContain(next);
      // Published, not signing: the replaced key still comes first for ES256.
      expect(provider.signingKeys.current().indexOf(replaced.kid)).toBeLessThan(provider.signingKeys.current().indexOf(next!));
    } finally {
      await provider.close();
    }
  });
});

describe('the activation instant', () => {
  let testDb: TestDatabase;
  let provider: RunningProvider;
  beforeAll(async () => {
    testDb = await createTestDatabase();
    // Reloads every ten minutes: only the timer set for the activation can switch keys within this test.
    provider = await startProvider(testDb, { env: { KEY_RELOAD_SECONDS: '600' } });
  });
  afterAll(async () => {
    await provider?.close();
    await testDb?.drop();
  });

  it('switches to the next key at its activation, not at the next reload', async () => {
    const { rotated } = await rotateSigningKeys(provider.database.db, { algs: ['ES256'], now: new Date(), activationDelaySeconds: 2 });
    const next = rotated[0]!.next;
    // The reload that publishes it (the timer's, within KEY_RELOAD_SECONDS) also sets a timer for its activation.
    await provider.signingKeys.refresh();
    expect((await jwksKids(provider)).indexOf(next)).toBe(3);
    await expect.poll(async () => (await jwksKids(provider))[1], { timeout: 15_000, interval: 200 }).toBe(next);
    expect(provider.signingKeys.current()).toEqual(await jwksKids(provider));
  });
});
