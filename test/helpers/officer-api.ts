// Calls the officer API as an officer would: sign in (password and a TOTP code) for a bearer token, then JSON requests.
import { totpCode, totpStep } from '../../src/admin/totp.ts';
import { SANDBOX_OFFICER_PASSWORD, SANDBOX_OFFICER_TOTP_SECRET } from '../../src/sandbox/seed.ts';
import { providerClock } from './provider.ts';

export interface OfficerClient {
  token: string;
  call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
}

// One session per officer per provider, as a desk would keep it: officer sign-in is rate limited per address.
const sessions = new Map<string, Promise<OfficerClient>>();
// The newest TOTP step each officer used on each provider: a code is accepted once.
const usedSteps = new Map<string, number>();

/**
 * The next code an authenticator app would give, on the provider's clock (tests move it). The provider takes
 * codes from one step either side of its time, once each. Never the step before: by the time the request
 * arrives the provider may be a step further. So on a clock that stands still an officer signs in twice.
 */
export function nextOfficerCode(baseUrl: string, username: string, secret = SANDBOX_OFFICER_TOTP_SECRET): string {
  const key = `${baseUrl} ${username}`;
  const now = providerClock(baseUrl)();
  const current = totpStep(now);
  const step = Math.max(current, (usedSteps.get(key) ?? -Infinity) + 1);
  if (step > current + 1) throw new Error(`officer ${username} has used every current TOTP code on ${baseUrl}; advance the test clock 30 s`);
  usedSteps.set(key, step);
  return totpCode(secret, now, step - current);
}

/** fresh: a new session instead of the shared one (for tests that sign out or move the clock past expiry). */
export function officerClient(baseUrl: string, username: string, options: { fresh?: boolean; password?: string; totpSecret?: string } = {}): Promise<OfficerClient> {
  const key = `${baseUrl} ${username}`;
  const signInNow = () => signIn(baseUrl, username, options.password ?? SANDBOX_OFFICER_PASSWORD, nextOfficerCode(baseUrl, username, options.totpSecret));
  if (options.fresh || options.password || options.totpSecret) return signInNow();
  if (!sessions.has(key)) sessions.set(key, signInNow());
  return sessions.get(key)!;
}

async function signIn(baseUrl: string, username: string, password: string, otp: string): Promise<OfficerClient> {
  const response = await fetch(`${baseUrl}/admin/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password, otp }),
  });
  if (response.status !== 201) throw new Error(`officer ${username} could not sign in: ${response.status} ${await response.text()}`);
  const { token } = (await response.json()) as { token: string };
  return bearerClient(baseUrl, token);
}

export function bearerClient(baseUrl: string, token: string): OfficerClient {
  return {
    token,
    async call(method, path, body) {
      const res = await fetch(`${baseUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    },
  };
}
