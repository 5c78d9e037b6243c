// Runs README.md's "First integration in ten minutes" as written: every block marked `<!-- walkthrough: … -->`
// is taken from the README (so the two cannot drift), pointed at a started provider, and executed — the curl
// commands by sh, the openid-client snippet by node; where a person would use the browser, a user agent does.
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { SANDBOX_PASSWORD } from '../../src/sandbox/seed.ts';
import { sandboxProviderForSuite } from '../helpers/relying-party.ts';
import { csrfToken, formAction, UserAgent } from '../helpers/user-agent.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const README = readFileSync(new URL('README.md', `file://${ROOT}`), 'utf8');
const blocks = new Map([...README.matchAll(/<!-- walkthrough: ([\w-]+) -->\n```\w+\n([\s\S]*?)\n```/g)].map((m) => [m[1]!, m[2]!]));

// The README's own values: the default secret and redirect URI, so nothing but the address changes.
const suite = sandboxProviderForSuite({ env: { SANDBOX_CLIENT_SECRET: 'sandbox-secret-not-for-production', SANDBOX_REDIRECT_URIS: 'http://localhost:8080/callback' } });

function block(name: string, values: Record<string, string> = {}): string {
  const text = blocks.get(name);
  if (!text) throw new Error(`README.md has no walkthrough block "${name}"`);
  let out = text.replaceAll('http://localhost:3000', suite.provider.url);
  for (const [placeholder, value] of Object.entries(values)) out = out.replaceAll(placeholder, value);
  return out;
}

async function sh(name: string, values: Record<string, string> = {}): Promise<any> {
  const { stdout } = await promisify(execFile)('sh', ['-c', block(name, values)]);
  return JSON.parse(stdout);
}

/** What a person does in the browser: sign in, type the SMS code from the inbox if asked, approve. */
async function browser(url: string, personalId: string): Promise<URL> {
  const agent = new UserAgent();
  const origin = suite.provider.url;
  let step = await agent.follow(url.trim(), origin);
  for (let pages = 0; pages < 5 && step.page; pages++) {
    const { html, url: at } = step.page;
    const post = (form: string, fields: Record<string, string>) => agent.follow(new URL(formAction(html, form), at).href, origin, { form: { _csrf: csrfToken(html), ...fields } });
    if (html.includes('id="login"')) step = await post('login', { username: personalId, password: SANDBOX_PASSWORD });
    else if (html.includes('id="otp"')) {
      await suite.provider.background.idle();
      const inbox = await sh('sms-inbox');
      const live = inbox.messages.find((m: { live: boolean; purpose: string }) => m.live && m.purpose === 'sign_in_code');
      step = await post('otp', { otp: live.secret });
    } else if (html.includes('id="consent"')) step = await post('consent', { decision: 'approve' });
    else throw new Error(`unexpected page at ${at}: ${html.slice(0, 800)}`);
  }
  if (!step.redirect) throw new Error('the browser did not return to the relying party');
  return new URL(step.redirect);
}

describe('README: first integration in ten minutes', () => {
  it('1. discovery answers with the endpoints', async () => {
    expect(await sh('discovery')).toMatchObject({ issuer: suite.provider.url, token_endpoint: `${suite.provider.url}/token` });
  });

  it('2–3. the authorization URL, then the code redeemed with curl and userinfo with the access token', async () => {
    const callback = await browser(block('authorize'), '079185000123');
    expect(callback.origin + callback.pathname).toBe('http://localhost:8080/callback');
    const tokens = await sh('token', { PASTE_CODE: callback.searchParams.get('code')! });
    expect(tokens).toMatchObject({ token_type: 'Bearer' });
    expect(tokens.id_token).toBeTruthy();
    const userinfo = await sh('userinfo', { PASTE_ACCESS_TOKEN: tokens.access_token });
    expect(userinfo).toMatchObject({ family_name: 'Trần', given_name: 'Bình' });
  });

  it('4. the openid-client snippet signs in and prints the claims and userinfo', async () => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', block('openid-client')], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const opened = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk) => {
        stdout += chunk;
        const match = /Open: (\S+)/.exec(stdout);
        if (match && stdout.includes('Callback URL')) resolve(match[1]!);
      });
      child.on('close', () => reject(new Error(`the snippet ended early: ${stdout}\n${stderr}`)));
    });
    const callback = await browser(opened, '079185000123');
    child.stdin.end(`${callback.href}\n`);
    expect(await exited, stderr).toBe(0);
    const printed = JSON.parse(stdout.trim().split('\n').at(-1)!.replace(/^Callback URL \(within 60 s\): /, ''));
    expect(printed).toMatchObject({ acr: 'urn:vn:eid:loa:1', userinfo: { given_name: 'Bình' } });
  });

  it('5. level 2 with the SMS inbox', async () => {
    const callback = await browser(block('authorize-level-2'), '001090012345');
    const tokens = await sh('token', { PASTE_CODE: callback.searchParams.get('code')! });
    const claims = JSON.parse(Buffer.from(tokens.id_token.split('.')[1], 'base64url').toString());
    expect(claims.acr).toBe('urn:vn:eid:loa:2');
    const userinfo = await sh('userinfo', { PASTE_ACCESS_TOKEN: tokens.access_token });
    expect(userinfo.id_card).toMatchObject({ number: '001090012345' });
    // The code just used is no longer live in the inbox.
    expect((await sh('sms-inbox')).messages.filter((m: { live: boolean }) => m.live)).toEqual([]);
  });

  it('6. client_credentials', async () => {
    expect(await sh('client-credentials')).toMatchObject({ token_type: 'Bearer' });
  });
});
