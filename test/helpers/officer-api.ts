// Calls the officer API as an officer would: sign in for a bearer token, then JSON requests.
import { SANDBOX_OFFICER_PASSWORD } from '../../src/sandbox/seed.ts';

export interface OfficerClient {
  token: string;
  call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
}

// One session per officer per provider, as a desk would keep it: officer sign-in is rate limited per address.
const sessions = new Map<string, Promise<OfficerClient>>();

/** fresh: a new session instead of the shared one (for tests that sign out or move the clock past expiry). */
export function officerClient(baseUrl: string, username: string, options: { fresh?: boolean; password?: string } = {}): Promise<OfficerClient> {
  const key = `${baseUrl} ${username}`;
  if (options.fresh || options.password) return signIn(baseUrl, username, options.password ?? SANDBOX_OFFICER_PASSWORD);
  if (!sessions.has(key)) sessions.set(key, signIn(baseUrl, username, SANDBOX_OFFICER_PASSWORD));
  return sessions.get(key)!;
}

async function signIn(baseUrl: string, username: string, password: string): Promise<OfficerClient> {
  const response = await fetch(`${baseUrl}/admin/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (response.status !== 201) throw new Error(`officer ${username} could not sign in: ${response.status} ${await response.text()}`);
  const { token } = (await response.json()) as { token: string };
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
