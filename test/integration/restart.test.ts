// Keys, sessions and tokens live in the database: a restart keeps them, and a second instance shares them.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_CITIZENS, SANDBOX_PASSWORD } from '../../src/sandbox/seed.ts';
import { createTestDatabase, ENGINE, type TestDatabase } from '../helpers/database.ts';
import { freePort, SANDBOX_SECRET, startProvider, type RunningProvider } from '../helpers/provider.ts';
import { authorizationRequest, redeem, relyingParty } from '../helpers/relying-party.ts';
import { signInThroughPages, UserAgent } from '../helpers/user-agent.ts';

const citizen = { username: SANDBOX_CITIZENS[0]!.personalId, password: SANDBOX_PASSWORD };
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

let testDb: TestDatabase;
beforeAll(async () => {
  testDb = await createTestDatabase({ persistent: true });
});
afterAll(async () => {
  await testDb?.drop();
});

describe('restart on the same database', () => {
  it('keeps signing keys, tokens and the browser session', async () => {
    const port = await freePort();
    let provider: RunningProvider | undefined = await startProvider(testDb, { port });
    try {
      const rp = await relyingParty(provider.url, 'sandbox', SANDBOX_SECRET);
      const agent = new UserAgent();
      const request = await authorizationRequest(rp, { scope: 'openid profile offline_access', prompt: 'consent' });
      const tokens = await redeem(rp, request, await signInThroughPages(agent, request.url.href, citizen));
      const sub = tokens.claims()!.sub;
      const jwksBefore = await (await fetch(`${provider.url}/jwks`)).json();

      await provider.close();
      provider = await startProvider(testDb, { port });

      expect(await (await fetch(`${provider.url}/jwks`)).json()).toEqual(jwksBefore);
      const rpAfter = await relyingParty(provider.url, 'sandbox', SANDBOX_SECRET);
      // The access token issued before the restart still works, and so does the refresh token.
      expect(await oidc.fetchUserInfo(rpAfter, tokens.access_token, sub)).toMatchObject({ sub, name: 'Nguyễn Văn An' });
      const refreshed = await oidc.refreshTokenGrant(rpAfter, tokens.refresh_token!);
      expect(refreshed.claims()?.sub).toBe(sub);
      // The browser's session survived: a new sign-in request completes without showing any page.
      const again = await authorizationRequest(rpAfter);
      const step = await agent.follow(again.url.href, provider.url);
      expect(step.page?.html).toBeUndefined();
      const tokensAgain = await redeem(rpAfter, again, step.redirect!);
      expect(tokensAgain.claims()?.sub).toBe(sub);
    } finally {
      await provider?.close();
    }
  });
});

describe('two instances on one database', () => {
  let first: RunningProvider;
  let second: { url: string; stop(): Promise<number | null> };

  beforeAll(async () => {
    first = await startProvider(testDb);
    second = ENGINE === 'postgres'
      ? await startProcess(first.url, (testDb.location as { url: string }).url)
      : await startSecondInstance(first);
  });
  afterAll(async () => {
    await second?.stop();
    await first?.close();
  });

  it('redeems at the second instance a code the first one issued, with an ID token both can verify', async () => {
    const rpFirst = await relyingParty(first.url, 'sandbox', SANDBOX_SECRET);
    const request = await authorizationRequest(rpFirst);
    const callback = await signInThroughPages(new UserAgent(), request.url.href, citizen);

    // Same issuer, but the token and JWKS requests go to the second instance.
    const discovery = (await (await fetch(`${first.url}/.well-known/openid-configuration`)).json()) as oidc.ServerMetadata;
    const viaSecond = new oidc.Configuration(
      { ...discovery, token_endpoint: `${second.url}/token`, jwks_uri: `${second.url}/jwks`, userinfo_endpoint: `${second.url}/me` },
      'sandbox',
      undefined,
      oidc.ClientSecretBasic(SANDBOX_SECRET),
    );
    oidc.allowInsecureRequests(viaSecond);
    oidc.enableNonRepudiationChecks(viaSecond);
    const tokens = await redeem(viaSecond, request, callback);
    expect(tokens.claims()?.iss).toBe(first.url);
    // A token from the second instance works at the first.
    expect(await oidc.fetchUserInfo(rpFirst, tokens.access_token, tokens.claims()!.sub)).toMatchObject({ name: 'Nguyễn Văn An' });
  });
});

/** PGlite is one process's database: the second instance is another provider in this process on the same data. */
async function startSecondInstance(first: RunningProvider) {
  const other = await startProvider(testDb, { database: first.database, env: { ISSUER: first.url } });
  let stopped = false;
  return {
    url: other.url,
    async stop() {
      if (!stopped) await other.close();
      stopped = true;
      return 0;
    },
  };
}

/** On PostgreSQL the second instance is a real second process: `node src/main.ts`, as an operator runs it. */
async function startProcess(issuer: string, databaseUrl: string) {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, ['src/main.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, NODE_ENV: 'test', HOST: '127.0.0.1', PORT: String(port), ISSUER: issuer, DATABASE_URL: databaseUrl, SEED_SANDBOX: 'false', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += String(chunk)));
  child.stderr!.on('data', (chunk) => (output += String(chunk)));
  const deadline = Date.now() + 30_000;
  while (!output.includes('Server listening')) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`second process did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  let exit: Promise<number | null> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    stop() {
      exit ??= (async () => {
        if (child.exitCode !== null) return child.exitCode;
        child.kill('SIGTERM');
        const [code] = (await once(child, 'exit')) as [number | null];
        return code;
      })();
      return exit;
    },
  };
}
