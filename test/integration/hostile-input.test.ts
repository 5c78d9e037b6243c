// Hostile input on every route and parameter of the running provider: never a 5xx, never a personal value in the log.
import { Writable } from 'node:stream';
import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.ts';
import { SANDBOX_CITIZENS, SANDBOX_PASSWORD } from '../../src/sandbox/seed.ts';
import { createTestDatabase, ENGINE, type TestDatabase } from '../helpers/database.ts';
import { CHALLENGE, PLANTED_ID, PLANTED_PHONE, REDIRECT, TARGETS, type Target } from '../helpers/hostile-targets.ts';
import { officerClient } from '../helpers/officer-api.ts';
import { SANDBOX_SECRET, startProvider, type RunningProvider } from '../helpers/provider.ts';
import { csrfToken, UserAgent } from '../helpers/user-agent.ts';

// A sandbox citizen's personal ID number and phone (hostile-targets.ts) are planted in the inputs: neither may ever
// reach the log.
const PHONE_DIGITS = PLANTED_PHONE.slice(3); // 912345678: in +84…, 84… and 0… forms alike

const BASIC = `Basic ${Buffer.from(`sandbox:${SANDBOX_SECRET}`).toString('base64')}`;
// A sandbox client approved for CIBA (registered below), so that hostile back-channel requests reach the CIBA checks.
const CIBA_SECRET = 'ciba-hostile-secret-for-tests';
const CIBA_BASIC = `Basic ${Buffer.from(`ciba-hostile:${CIBA_SECRET}`).toString('base64')}`;
const FORM = 'application/x-www-form-urlencoded';

let testDb: TestDatabase;
let provider: RunningProvider;
let officerToken: string;

beforeAll(async () => {
  testDb = await createTestDatabase();
  // Form posts are rate limited per address; the test sends them all from one, and wants them to reach the handlers.
  provider = await startProvider(testDb, { env: { SIGN_IN_RATE_PER_MINUTE: '100000' } });
  officerToken = (await officerClient(provider.url, 'giamsat')).token;
  await provider.addClient({
    client_id: 'ciba-hostile', client_secret: CIBA_SECRET, profile: 'sandbox', assurance_level: 2, scope: 'openid profile personal_id',
    grant_types: ['urn:openid:params:grant-type:ciba'], response_types: [], redirect_uris: [], backchannel_token_delivery_mode: 'poll',
    subject_type: 'public', token_endpoint_auth_method: 'client_secret_basic',
  } as Parameters<RunningProvider['addClient']>[0]);
});
afterAll(async () => {
  await provider?.close();
  await testDb?.drop();
});

/** Percent-encodes every UTF-16 code unit, lone surrogates included (as the WTF-8 bytes no decoder accepts). */
function percent(value: string): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const unit = value.charCodeAt(i);
    const next = value.charCodeAt(i + 1);
    if (unit >= 0xd800 && unit <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      out += encodeURIComponent(value.slice(i, i + 2));
      i++;
    } else if (unit >= 0xd800 && unit <= 0xdfff) {
      out += [0xe0 | (unit >> 12), 0x80 | ((unit >> 6) & 0x3f), 0x80 | (unit & 0x3f)].map((b) => `%${b.toString(16).toUpperCase()}`).join('');
    } else {
      out += encodeURIComponent(value[i]!);
    }
  }
  return out;
}

const encodePairs = (pairs: [string, string][], raw = false) => pairs.map(([k, v]) => `${percent(k)}=${raw ? v : percent(v)}`).join('&');

/** A fresh sign-in in progress: the interaction's cookies, its uid and the CSRF token of its login page. */
async function interaction(params: Record<string, string> = {}) {
  const agent = new UserAgent();
  const query = new URLSearchParams({ client_id: 'sandbox', response_type: 'code', scope: 'openid', redirect_uri: REDIRECT, code_challenge: CHALLENGE, code_challenge_method: 'S256', state: 's', ...params });
  const start = await agent.request(`${provider.url}/auth?${query}`);
  const location = start.headers.get('location');
  if (!location) throw new Error(`no interaction: ${start.status} ${await start.text()}`);
  const uid = location.split('/').pop()!;
  const page = await agent.request(new URL(location, provider.url).toString());
  const html = await page.text();
  const cookie = [...agent.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  return { uid, cookie, csrf: csrfToken(html), agent };
}

describe('the log (findings 8 and 13)', () => {
  it("writes a PostgreSQL error's code and message but none of the values around it (detail, where, parameters)", async () => {
    // The shape of finding 8: a NUL in one parameter, a personal ID number in the one beside it.
    const payload = JSON.stringify({ phone: '+84912345678', login_hint: '001090012345', state: 'a\u0000b' });
    const error = await sql`SELECT ${payload}::jsonb`.execute(provider.database.db).catch((e: unknown) => e);
    expect(JSON.stringify({ ...(error as object) })).toMatch(/001090012345|912345678/); // the raw error does carry them

    const lines: string[] = [];
    createLogger('info', new Writable({ write: (chunk, _encoding, done) => (lines.push(String(chunk)), done()) })).error({ err: error }, 'provider server error');
    expect(lines.join('')).not.toContain('001090012345');
    expect(lines.join('')).not.toContain('912345678');
    const err = JSON.parse(lines[0]!).err;
    expect(err).toMatchObject({ code: '22P05', message: expect.stringContaining('unsupported Unicode escape sequence') });
    expect(err).not.toHaveProperty('where');
    expect(err).not.toHaveProperty('detail');
  });


  it('keeps pino\'s level on the sign-in line: the assurance level has its own field', async () => {
    const { uid, cookie, csrf } = await interaction();
    const response = await fetch(`${provider.url}/interaction/${uid}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie, 'content-type': FORM },
      body: new URLSearchParams({ _csrf: csrf, username: SANDBOX_CITIZENS[3]!.personalId, password: SANDBOX_PASSWORD }).toString(),
    });
    expect(response.status).toBe(303);
    const signedIn = provider.logs.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.msg === 'citizen signed in');
    expect(signedIn).toHaveLength(1);
    expect(signedIn[0]).toMatchObject({ level: 30, assuranceLevel: 1 });
  });

  it('writes one line per request: its id, masked URL, status and time, never a header, cookie or credential', async () => {
    const { cookie } = await interaction();
    const url = `/auth?client_id=sandbox&login_hint=${PLANTED_ID}&state=secret-state-value&redirect_uri=${encodeURIComponent(REDIRECT)}`;
    const response = await fetch(`${provider.url}${url}`, { redirect: 'manual', headers: { cookie, authorization: BASIC } });
    await response.arrayBuffer();
    const lines = () => provider.logs.filter((l) => l.includes('"request completed"') && l.includes('login_hint=%5BRedacted%5D'));
    await expect.poll(lines).toHaveLength(1);
    const line = lines()[0]!;
    expect(JSON.parse(line)).toMatchObject({ level: 30, reqId: expect.any(String), req: { method: 'GET', url: expect.stringContaining('state=%5BRedacted%5D') }, res: { statusCode: response.status }, responseTime: expect.any(Number) });
    for (const leak of [PLANTED_ID, SANDBOX_SECRET, BASIC.slice(6), cookie.split('=')[1]!.slice(0, 20), 'secret-state-value']) expect(line).not.toContain(leak);
  });

  it('masks ID and phone numbers written with separators in a URL (%20, + for a space, dots, dashes)', async () => {
    const id = PLANTED_ID.replace(/(\d{3})(?=\d)/g, '$1 '); // 001 090 012 345
    const phone = `0${PHONE_DIGITS.slice(0, 3)}+${PHONE_DIGITS.slice(3, 6)}+${PHONE_DIGITS.slice(6)}`; // 0912+345+678
    const paths = [
      `/admin/citizens/${encodeURIComponent(id)}`,
      `/admin/citizens/${PLANTED_ID.replace(/(\d{3})(?=\d)/g, '$1.')}`,
      `/sandbox?phone=${phone}`,
      `/sandbox?phone=%2B84+${PHONE_DIGITS.slice(0, 3)}+${PHONE_DIGITS.slice(3, 6)}+${PHONE_DIGITS.slice(6)}`,
      `/sandbox?phone=0${PHONE_DIGITS.slice(0, 3)}-${PHONE_DIGITS.slice(3, 6)}-${PHONE_DIGITS.slice(6)}`,
    ];
    for (const path of paths) {
      const response = await fetch(`${provider.url}${path}`, { headers: { authorization: `Bearer ${officerToken}` } });
      await response.arrayBuffer();
    }
    const lines = () => provider.logs.filter((l) => l.includes('"request completed"') && (l.includes('/admin/citizens/') || l.includes('phone=')));
    await expect.poll(() => lines().length).toBeGreaterThanOrEqual(paths.length);
    const logged = lines().join('\n');
    const decoded = logged.replace(/%[\da-f]{2}/gi, ' ');
    const groups = (text: string) => text.match(/\d{3,}/g)!.join('\\D*');
    for (const value of [PLANTED_ID, PHONE_DIGITS]) expect(decoded).not.toMatch(new RegExp(groups(value.replace(/(\d{3})(?=\d)/g, '$1 '))));
    expect(logged).toContain('/admin/citizens/[number]');
    expect(logged).toContain('phone=[number]');
  });

  it('keeps an IPv4 address readable in an error line (the database host during an outage)', async () => {
    const { default: pg } = await import('pg');
    const client = new pg.Client({ host: '127.0.0.1', port: 1, user: 'x', database: 'x', connectionTimeoutMillis: 2000 });
    const error = await client.connect().catch((e: unknown) => e);
    const lines: string[] = [];
    createLogger('info', new Writable({ write: (chunk, _encoding, done) => (lines.push(String(chunk)), done()) })).warn({ err: error }, 'the database is unavailable');
    expect(JSON.parse(lines[0]!).err.message).toBe('connect ECONNREFUSED 127.0.0.1:1');
  });

  it('says which rule refused a request: the error code is not redacted', async () => {
    const { uid, cookie } = await interaction();
    const response = await fetch(`${provider.url}/interaction/${uid}/login`, { method: 'POST', headers: { cookie, 'content-type': FORM }, body: 'username=1&password=2' });
    expect(response.status).toBe(403);
    const rejected = provider.logs.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.msg === 'request rejected');
    expect(rejected.at(-1)).toMatchObject({ code: 'FST_CSRF_INVALID_TOKEN', status: 403 });
  });
});

describe('a forged Host', () => {
  it("does not move the provider's endpoints off the issuer's host (no TRUST_PROXY: Host and X-Forwarded-Host alike)", async () => {
    const { request } = await import('node:http');
    const body = await new Promise<string>((resolve, reject) => {
      request(`${provider.url}/.well-known/openid-configuration`, { headers: { host: 'evil.example', 'x-forwarded-host': 'evil.example' } }, (answer) => {
        let text = '';
        answer.setEncoding('utf8').on('data', (chunk) => (text += chunk)).on('end', () => resolve(text));
      }).on('error', reject).end();
    });
    expect(body).not.toContain('evil.example');
    expect(JSON.parse(body)).toMatchObject({
      authorization_endpoint: `${provider.url}/auth`,
      token_endpoint: `${provider.url}/token`,
      jwks_uri: `${provider.url}/jwks`,
    });
  });
});

describe('a NUL byte or a prototype key (finding 8)', () => {
  const authQuery = (name: string, value: string) => {
    const params: [string, string][] = [['client_id', 'sandbox'], ['response_type', 'code'], ['scope', 'openid'], ['redirect_uri', REDIRECT], ['code_challenge', CHALLENGE], ['code_challenge_method', 'S256']];
    const i = params.findIndex(([k]) => k === name);
    if (i >= 0) params[i] = [name, value];
    else params.push([name, value]);
    return encodePairs(params);
  };

  it.each(['client_id', 'state', 'nonce', 'login_hint', 'ui_locales', 'acr_values'])('in %s at /auth is refused as invalid_request, on the error page', async (name) => {
    const response = await fetch(`${provider.url}/auth?${authQuery(name, `${PLANTED_ID}\u0000x`)}`, { redirect: 'manual', headers: { accept: 'text/html' } });
    const html = await response.text();
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('text/html');
    expect(html).toContain('invalid_request');
    expect(html).toContain(name);
  });

  it.each([
    ['code', `grant_type=authorization_code&code=a%00b&redirect_uri=${encodeURIComponent(REDIRECT)}&code_verifier=${'v'.repeat(43)}`, '/token'],
    ['refresh_token', 'grant_type=refresh_token&refresh_token=a%00b', '/token'],
    ['token', 'token=a%00b', '/token/introspection'],
    ['token', 'token=a%00b', '/token/revocation'],
    ['access_token', 'access_token=a%00b', '/me'],
  ])('in %s at the back-channel endpoint is refused as invalid_request JSON naming it', async (name, body, path) => {
    const authorization = path === '/me' ? {} : { authorization: BASIC };
    const response = await fetch(`${provider.url}${path}`, { method: 'POST', headers: { ...authorization, 'content-type': FORM }, body });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'invalid_request', error_description: expect.stringContaining(name) });
  });

  // The provider decodes every form body as UTF-8 whatever charset it names, so the check must too (CI, stop 13).
  it.each(['x-no-such-charset', 'iso-8859-1'])('in a CIBA request whose content type names charset=%s is refused as invalid_request', async (charset) => {
    const body = `scope=openid&login_hint=${PLANTED_ID}&binding_message=hi&acr_values=a%00b`;
    const response = await fetch(`${provider.url}/backchannel`, { method: 'POST', headers: { authorization: CIBA_BASIC, 'content-type': `${FORM}; charset=${charset}` }, body });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'invalid_request', error_description: expect.stringContaining('acr_values') });
  });

  it('as a looked-up id (client, token, interaction) is simply not found', async () => {
    await expect(provider.relyingParties.find('sandbox\u0000')).resolves.toBeUndefined();
    await expect(provider.provider.AccessToken.find('a\u0000b')).resolves.toBeUndefined();
    await expect(provider.provider.Interaction.find('\ud800')).resolves.toBeUndefined();
    await expect(provider.provider.Session.findByUid('a\u0000')).resolves.toBeUndefined();
  });

  it('at /session/end is refused as invalid_request', async () => {
    const response = await fetch(`${provider.url}/session/end?client_id=a%00b`);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'invalid_request', error_description: expect.stringContaining('client_id') });
  });

  it('in the password-reset form gets the form again with a 400, not a 500', async () => {
    const { uid, cookie, csrf } = await interaction();
    const response = await fetch(`${provider.url}/interaction/${uid}/reset/confirm`, {
      method: 'POST',
      headers: { cookie, 'content-type': FORM, accept: 'text/html' },
      body: `_csrf=${encodeURIComponent(csrf)}&username=${PLANTED_ID}%00&code=123456&password=x&password_confirm=x`,
    });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('text/html');
  });

  it.each(['toString', '__proto__', 'constructor'])('?notice=%s shows the sign-in page without a notice', async (notice) => {
    const { uid, cookie } = await interaction();
    const response = await fetch(`${provider.url}/interaction/${uid}?notice=${notice}`, { headers: { cookie } });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('id="login"');
  });

  it('leaves no personal ID number in the log', () => {
    expect(provider.logs.filter((line) => line.includes(PLANTED_ID))).toEqual([]);
  });
});

describe('bodies no parser should choke on', () => {
  it('a JSON body nested 12,000 deep, and a multipart body with no boundary, get a 4xx on every route that takes a body', async () => {
    const deep = `{"a":${'['.repeat(12_000)}${']'.repeat(12_000)}}`;
    const paths = [...new Set(TARGETS.filter((t) => t.method !== 'GET').map((t) => t.path(t.segment ?? 'no-such-interaction'))), '/verify', '/verify/presentations', '/reg', '/request', '/backchannel'];
    const answers: string[] = [];
    for (const path of paths) {
      for (const [type, body] of [['application/json', deep], ['multipart/form-data', 'x']] as const) {
        for (const accept of ['application/json', 'text/html']) {
          const response = await fetch(`${provider.url}${path}`, { method: 'POST', headers: { 'content-type': type, accept, authorization: `Bearer ${officerToken}` }, body });
          await response.arrayBuffer();
          answers.push(`${response.status} ${path} ${type} ${accept}`);
        }
      }
    }
    expect(answers.filter((answer) => !/^4\d\d /.test(answer))).toEqual([]);
    expect(provider.logs.filter((line) => line.includes('Maximum call stack') || line.includes('Boundary not found') && line.includes('"level":50'))).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// The property: any route, any parameter, any hostile value and any way of sending it.

const control = fc.oneof({ arbitrary: fc.constant(0), weight: 3 }, fc.integer({ min: 1, max: 0x1f }), fc.constant(0x7f), fc.integer({ min: 0x80, max: 0x9f })).map((c) => String.fromCharCode(c));
const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
const planted = fc.constantFrom(PLANTED_ID, PLANTED_PHONE, `0${PHONE_DIGITS}`, `${PLANTED_ID} ${PLANTED_PHONE}`);
const hostileValue = fc.oneof(
  { weight: 5, arbitrary: fc.tuple(planted, control, planted).map(([a, c, b]) => `${a}${c}${b}`) },
  { weight: 2, arbitrary: fc.tuple(planted, loneSurrogate).map(([a, s]) => `${a}${s}`) },
  { weight: 2, arbitrary: fc.constantFrom('\u0000', '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', '', ' ', '\ufeff', '\u202e', '{}', '[]', 'null') },
  { weight: 1, arbitrary: planted },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
  { weight: 2, arbitrary: fc.string({ unit: fc.oneof(control, loneSurrogate, fc.constantFrom('a', '0', '%', '&', '=', '"', '\\', '\u00e9')), maxLength: 12 }) },
  { weight: 1, arbitrary: fc.constantFrom(10_000, 100_000).map((n) => `${PLANTED_ID}${'x'.repeat(n)}`) },
);
const hostileName = fc.oneof(fc.constantFrom('__proto__', 'constructor', 'toString', 'a\u0000b', `${PLANTED_ID}`, 'x[y]', 'x[]'), fc.string({ unit: 'binary', maxLength: 6 }));
// Percent-encoding no decoder accepts, sent as is.
const malformedPercent = fc.constantFrom('%', '%G0', '%0', '%E0%A4%A', '%C0%80', '%ED%A0%80', '%FF', `${PLANTED_ID}%`, '%%00');
const way = fc.constantFrom('value', 'value', 'value', 'value', 'every', 'every', 'every', 'repeated', 'extra', 'array', 'object', 'raw', 'wrong-type', 'no-type', 'bad-json', 'bad-charset');

interface Sent {
  status: number;
  what: string;
}

async function send(target: Target, choice: { param: string | undefined; value: string; name: string; raw: string; how: string; withInteraction: boolean; withOfficer: boolean }): Promise<Sent> {
  const live = target.interaction && choice.withInteraction ? await interaction() : undefined;
  const uid = live?.uid ?? (target.interaction ? 'no-such-interaction' : '');
  const headers: Record<string, string> = { accept: choice.how === 'wrong-type' ? 'application/json' : 'text/html,application/json;q=0.9' };
  if (live) headers.cookie = live.cookie;
  if (target.headers === 'basic') headers.authorization = BASIC;
  if (target.headers === 'ciba') headers.authorization = CIBA_BASIC;
  if (target.headers === 'officer?' && choice.withOfficer) headers.authorization = `Bearer ${officerToken}`;

  const params: Record<string, unknown> = { ...target.params, ...(live && target.method === 'POST' ? { _csrf: live.csrf } : {}) };
  const param = choice.param ?? choice.name;
  // The hostile value may go into the path's variable segment instead of a parameter.
  const inPath = param === '(path)';
  const segment = inPath ? (choice.how === 'raw' ? choice.raw : percent(choice.value)) : encodeURIComponent(target.interaction ? uid : (target.segment ?? ''));
  let raw: string | undefined;
  if (!inPath) switch (choice.how) {
    case 'extra': params[choice.name] = choice.value; break;
    case 'array': params[param] = [choice.value, 'second']; break;
    case 'object': params[param] = { nested: choice.value, __proto__: { polluted: choice.value } }; break;
    case 'raw': raw = choice.raw; break;
    // Every parameter at once, each with the value cut at a different place.
    case 'every': for (const [i, key] of Object.keys(params).entries()) if (key !== '_csrf') params[key] = choice.value.slice(i % 3); break;
    default: params[param] = choice.value;
  }
  const pairs = (): [string, string][] => Object.entries(params).flatMap(([k, v]) =>
    Array.isArray(v) ? v.map((item) => [k, String(item)] as [string, string])
      : typeof v === 'object' && v ? [[`${k}[nested]`, String((v as { nested: string }).nested)]] as [string, string][]
        : choice.how === 'repeated' && k === param ? [[k, String(v)], [k, 'again']] as [string, string][] : [[k, String(v)]]);
  let query = encodePairs(pairs());
  if (raw !== undefined) query += `&${percent(param)}=${raw}`;

  let body: string | undefined;
  if (target.method !== 'GET' && target.method !== 'DELETE') {
    const asJson = target.channel === 'json' ? choice.how !== 'wrong-type' : choice.how === 'wrong-type';
    if (choice.how === 'bad-json') {
      headers['content-type'] = 'application/json';
      body = `{"${param}": "${choice.value.slice(0, 50)}`;
    } else if (asJson) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(choice.how === 'repeated' ? [params, params] : params);
    } else {
      headers['content-type'] = choice.how === 'bad-charset' ? `${FORM}; charset=x-no-such-charset` : FORM;
      body = query;
    }
    if (choice.how === 'no-type') delete headers['content-type'];
    query = '';
  }
  const url = `${provider.url}${target.path(segment)}${query ? `?${query}` : ''}`;
  const response = await fetch(url, { method: target.method, headers, body, redirect: 'manual' });
  await response.arrayBuffer();
  return { status: response.status, what: `${target.method} ${target.name} ${choice.how} ${JSON.stringify(param).slice(0, 40)}=${JSON.stringify(choice.value).slice(0, 60)}${live ? ' (in a sign-in)' : ''}` };
}

describe('hostile input on every route (property)', () => {
  it('never answers 5xx and never logs a planted ID number or phone', async () => {
    const sent: Sent[] = [];
    // Every (route, parameter) pair equally likely, plus a parameter the route does not know.
    const cases = TARGETS.flatMap((target) => [...Object.keys(target.params), '_csrf', undefined, ...(target.interaction || target.segment ? ['(path)'] : [])].map((param) => ({ target, param })));
    const route = fc.record({
      case: fc.constantFrom(...cases),
      name: hostileName,
      value: hostileValue,
      raw: malformedPercent,
      how: way,
      withInteraction: fc.boolean(),
      withOfficer: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(route, async ({ case: { target, param }, ...choice }) => {
        sent.push(await send(target, { ...choice, param }));
      }),
      { numRuns: Number(process.env.HOSTILE_RUNS ?? 600), seed: process.env.HOSTILE_SEED ? Number(process.env.HOSTILE_SEED) : undefined },
    );
    const byStatus = Object.entries(Object.groupBy(sent, (s) => String(s.status))).map(([status, list]) => `${status}×${list!.length}`).join(' ');
    console.info(`hostile input (${ENGINE}): ${sent.length} requests, ${sent.filter((s) => s.status >= 500).length} answered 5xx; statuses ${byStatus}`);

    expect(sent.filter((s) => s.status >= 500).map((s) => `${s.status} ${s.what}`)).toEqual([]);
    const leaks = provider.logs.filter((line) => line.includes(PLANTED_ID) || line.includes(PHONE_DIGITS));
    expect(leaks.map((line) => line.slice(0, 600))).toEqual([]);
  });

  it('still signs a citizen in afterwards', async () => {
    const { uid, cookie, csrf } = await interaction();
    const response = await fetch(`${provider.url}/interaction/${uid}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie, 'content-type': FORM },
      body: new URLSearchParams({ _csrf: csrf, username: SANDBOX_CITIZENS[1]!.personalId, password: SANDBOX_PASSWORD }).toString(),
    });
    expect(response.status).toBe(303);
  });
});
