// What a request leaves behind for the old generation. Objects that outlive two young-generation collections are
// promoted, and only a full (mark-compact) collection frees them: under load every promoted kilobyte brings the
// next full GC closer, and each one stalls answers for tens of milliseconds. A userinfo answer should promote
// next to nothing: its objects die with it.
import { Agent, get } from 'node:http';
import { GCProfiler } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { SANDBOX_CITIZENS, SANDBOX_PASSWORD } from '../../src/sandbox/seed.ts';
import { ENGINE } from '../helpers/database.ts';
import { authorizationRequest, redeem, sandboxProviderForSuite } from '../helpers/relying-party.ts';
import { signInThroughPages, UserAgent } from '../helpers/user-agent.ts';

const binh = SANDBOX_CITIZENS.find((c) => c.level === 1)!;
const suite = sandboxProviderForSuite();
// Bytes per answer. Measured here: 1.1 KB on PostgreSQL (5.7 KB when pg stored a callback on each query, 11 KB
// with oidc-provider's per-request getter unpatched); PGlite's own query queue promotes about 5 KB more.
const BOUND = ENGINE === 'postgres' ? 2560 : 8192;

const OLD_SPACES = new Set(['old_space', 'large_object_space', 'code_space']);
type Space = { spaceName: string; spaceUsedSize: number };
const oldBytes = (spaces: Space[]) => spaces.filter((s) => OLD_SPACES.has(s.spaceName)).reduce((sum, s) => sum + s.spaceUsedSize, 0);

/** Bytes young-generation collections moved to the old generation while `work` ran. */
async function promotedBy(work: () => Promise<unknown>): Promise<number> {
  const profiler = new GCProfiler();
  profiler.start();
  await work();
  const { statistics } = profiler.stop();
  return statistics
    .filter((gc) => gc.gcType === 'Scavenge')
    .reduce((sum, gc) => sum + Math.max(0, oldBytes(gc.afterGC.heapSpaceStatistics) - oldBytes(gc.beforeGC.heapSpaceStatistics)), 0);
}

describe('the old generation under load', () => {
  it('userinfo answers promote next to nothing to the old generation', async () => {
    const request = await authorizationRequest(suite.rp, { scope: 'openid profile', prompt: 'consent' });
    const tokens = await redeem(suite.rp, request, await signInThroughPages(new UserAgent(), request.url.href, { username: binh.personalId, password: SANDBOX_PASSWORD }));
    // node:http rather than fetch: fetch's own objects would be counted too (the client shares this heap).
    const agent = new Agent({ keepAlive: true });
    const url = `${suite.provider.url}/me`;
    const headers = { authorization: `Bearer ${tokens.access_token}` };
    const userinfo = () => new Promise<void>((resolve, reject) => {
      get(url, { agent, headers }, (response) => {
        response.resume();
        response.on('end', () => (response.statusCode === 200 ? resolve() : reject(new Error(`userinfo answered ${response.statusCode}`))));
      }).on('error', reject);
    });
    // Eight callers at a time, as relying parties arrive, until each has had its answers.
    const load = (calls: number) => Promise.all(Array.from({ length: 8 }, async () => { for (let i = 0; i < calls / 8; i++) await userinfo(); }));
    await load(400); // warm: code compiled, caches and pools filled
    const calls = 2000;
    const promoted = await promotedBy(() => load(calls));
    agent.destroy();
    await suite.provider.background.idle();
    console.log(`promoted ${(promoted / calls).toFixed(0)} bytes per userinfo answer`);
    expect(promoted / calls).toBeLessThan(BOUND);
  }, 120_000);
});
