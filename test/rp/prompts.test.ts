// prompt and max_age as a relying party uses them: each forced step is asked once, then the browser goes back.
import { describe, expect, it } from 'vitest';
import { SANDBOX_CITIZENS, SANDBOX_PASSWORD } from '../../src/sandbox/seed.ts';
import { authorizationRequest, redeem, sandboxProviderForSuite } from '../helpers/relying-party.ts';
import { csrfToken, formAction, signInThroughPages, UserAgent } from '../helpers/user-agent.ts';

const an = SANDBOX_CITIZENS[0]!;
const suite = sandboxProviderForSuite();

/** Walks the pages as a person would, counting each kind, until the provider sends the browser back. */
async function walk(agent: UserAgent, url: string) {
  const seen: Record<'login' | 'consent' | 'otp', number> = { login: 0, consent: 0, otp: 0 };
  let step = await agent.follow(url, suite.provider.url);
  for (let pages = 0; pages < 8 && step.page; pages++) {
    const { html, url: at } = step.page;
    const kind = html.includes('id="login"') ? 'login' : html.includes('id="consent"') ? 'consent' : html.includes('id="otp"') ? 'otp' : undefined;
    if (!kind) throw new Error(`unexpected page (${step.page.status}):\n${html.slice(0, 1000)}`);
    seen[kind]++;
    const code = async () => /là (\d{6}),/.exec((await suite.provider.lastSms(an.phone)) ?? '')![1]!;
    const fields: Record<string, string> =
      kind === 'login' ? { username: an.personalId, password: SANDBOX_PASSWORD } : kind === 'otp' ? { otp: await code() } : { decision: 'approve' };
    step = await agent.follow(new URL(formAction(html, kind), at).href, suite.provider.url, { form: { _csrf: csrfToken(html), ...fields } });
  }
  return { seen, redirect: step.redirect };
}

async function signedInAgent() {
  const agent = new UserAgent();
  const first = await authorizationRequest(suite.rp);
  await redeem(suite.rp, first, await signInThroughPages(agent, first.url.href, { username: an.personalId, password: SANDBOX_PASSWORD }));
  return agent;
}

describe('forced re-authentication and consent', () => {
  for (const params of [{ prompt: 'login' }, { max_age: '0' }] as Record<string, string>[]) {
    it(`asks for the password exactly once on ${new URLSearchParams(params)} and returns with a fresh auth_time`, async () => {
      const agent = await signedInAgent();
      await new Promise((resolve) => setTimeout(resolve, 1100));
      const before = Math.floor(Date.now() / 1000);
      const request = await authorizationRequest(suite.rp, params);
      const { seen, redirect } = await walk(agent, request.url.href);
      expect(seen).toEqual({ login: 1, consent: 0, otp: 0 });
      expect(redirect).toBeDefined();
      const tokens = await redeem(suite.rp, request, redirect!);
      expect(tokens.claims()!.auth_time).toBeGreaterThanOrEqual(before);
    });
  }

  it('asks once for the password and once for consent on prompt="login consent", then returns', async () => {
    const agent = await signedInAgent();
    const request = await authorizationRequest(suite.rp, { prompt: 'login consent' });
    const { seen, redirect } = await walk(agent, request.url.href);
    expect(seen).toEqual({ login: 1, consent: 1, otp: 0 });
    expect((await redeem(suite.rp, request, redirect!)).claims()?.sub).toBeTruthy();
  });

  it('asks consent once on prompt=consent in a session, without the password', async () => {
    const agent = await signedInAgent();
    const request = await authorizationRequest(suite.rp, { prompt: 'consent' });
    const { seen, redirect } = await walk(agent, request.url.href);
    expect(seen).toEqual({ login: 0, consent: 1, otp: 0 });
    expect(redirect).toBeDefined();
  });

  it('asks password and SMS code once each on prompt=login at level 2, then returns at level 2', async () => {
    const agent = await signedInAgent();
    const request = await authorizationRequest(suite.rp, { prompt: 'login', acr_values: 'urn:vn:eid:loa:2' });
    const { seen, redirect } = await walk(agent, request.url.href);
    expect(seen).toEqual({ login: 1, consent: 0, otp: 1 });
    expect((await redeem(suite.rp, request, redirect!)).claims()?.acr).toBe('urn:vn:eid:loa:2');
  });
});
