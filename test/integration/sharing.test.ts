// Sharing at a counter by QR (issue 10 item 4): a credential issued to the citizen's device, presented with the
// chosen attributes only and a key binding by the device, verified once at /verify; refusals say why.
import { createHash } from 'node:crypto';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, importJWK, jwtVerify, type JSONWebKeySet, type JWK } from 'jose';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rotateSigningKeys } from '../../src/oidc/key-rotation.ts';
import { SANDBOX_CITIZENS } from '../../src/sandbox/seed.ts';
import { presentCredential } from '../../src/sharing/presentation.ts';
import { enrolDevice, generateDeviceKey, smsCode } from '../helpers/app-device.ts';
import { testClock } from '../helpers/clock.ts';
import { verifyJson, verifyOnPage, withChangedDisclosure, withChangedPayload, withoutKeyBinding } from '../helpers/counter.ts';
import { sandboxProviderForSuite } from '../helpers/relying-party.ts';
import { csrfToken, formAction, UserAgent } from '../helpers/user-agent.ts';
import { SANDBOX_PASSWORD } from '../../src/sandbox/seed.ts';

const clock = testClock();
const suite = sandboxProviderForSuite({ clock: clock.now });
const an = SANDBOX_CITIZENS.find((c) => c.personalId === '001090012345')!;

async function deviceKey(): Promise<JWK> {
  return (await generateDeviceKey()).privateJwk;
}

// The citizen's phone, enrolled once through the real /app API, its proofs dated by the provider's clock.
let phone: Promise<Awaited<ReturnType<typeof enrolDevice>>> | undefined;

/** The app's sharing: POST /app/sharings signed by the device; the device's private key makes the key binding. */
async function share(attributes: string[]) {
  phone ??= enrolDevice(suite.provider, { personalId: an.personalId, password: SANDBOX_PASSWORD, readSmsCode: smsCode(suite.provider, an.phone), now: clock.now });
  const device = await phone;
  const created = await device.request('POST', '/app/sharings', { attributes });
  expect(created.status).toBe(201);
  return { credential: created.body.credential as string, device: device.key.privateJwk };
}

describe('sharing by QR', () => {
  it('shows the counter only the attributes the citizen chose, with the values services get', async () => {
    const { credential, device } = await share(['name', 'birthdate', 'personal_id', 'address', 'id_card']);
    const presentation = await presentCredential(credential, device, { now: clock.now(), show: ['name', 'birthdate', 'address'] });
    const answer = await verifyJson(suite.provider.url, presentation);
    expect(answer.status).toBe(200);
    expect(answer.body.verified).toBe(true);
    expect(Object.keys(answer.body.claims).sort()).toEqual(['address', 'birthdate', 'name']);
    expect(answer.body.claims.name).toBe('Nguyễn Văn An');
    expect(answer.body.claims.birthdate).toBe(an.birthdate);
    expect(answer.body.claims.address.formatted).toContain('Số 12 ngõ 34 phố Hàng Bông');
    expect(JSON.stringify(answer.body)).not.toContain(an.personalId);
  });

  it('salts every disclosure with 128 random bits, so a counter cannot guess an undisclosed value from its digest', async () => {
    const { credential } = await share(['name', 'birthdate', 'age_over_18', 'gender']);
    const disclosures = credential.split('~').slice(1).filter(Boolean);
    expect(disclosures).toHaveLength(4);
    const salts = disclosures.map((disclosure) => (JSON.parse(Buffer.from(disclosure, 'base64url').toString()) as [string, string, unknown])[0]);
    for (const salt of salts) {
      expect(salt).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(Buffer.from(salt, 'base64url').length, salt).toBeGreaterThanOrEqual(16);
    }
    expect(new Set(salts).size).toBe(salts.length);
  });

  it('shows the chosen attributes on the /verify page, pasted or uploaded, in Vietnamese and English', async () => {
    const first = await share(['name', 'gender', 'age_over_18']);
    const pasted = await verifyOnPage(suite.provider.url, await presentCredential(first.credential, first.device, { now: clock.now() }));
    expect(pasted.status).toBe(200);
    expect(pasted.html).toContain('data-result="verified"');
    expect(pasted.html).toContain('Nguyễn Văn An');
    expect(pasted.html).toMatch(/data-claim="gender">Nam</);
    expect(pasted.html).toMatch(/data-claim="age_over_18">Có</);
    expect(pasted.html).not.toContain('data-claim="birthdate"');

    const second = await share(['personal_id']);
    const uploaded = await verifyOnPage(suite.provider.url, await presentCredential(second.credential, second.device, { now: clock.now() }), { lang: 'en', upload: true });
    expect(uploaded.html).toContain('<html lang="en">');
    expect(uploaded.html).toContain('Valid: signed by the national e-ID system');
    expect(uploaded.html).toMatch(new RegExp(`data-claim="personal_id">${an.personalId}<`));
    expect(uploaded.html).not.toContain('data-claim="name"');
  });

  it('answers an upload larger than any presentation with a page, not a failure', async () => {
    const tooLarge = await verifyOnPage(suite.provider.url, 'x'.repeat(20_000), { lang: 'en', upload: true });
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.html).toContain('<html lang="en">');
  });

  it('refuses a presentation whose disclosure or signed payload was changed', async () => {
    const { credential, device } = await share(['name', 'birthdate']);
    const presentation = await presentCredential(credential, device, { now: clock.now() });
    const older = await verifyJson(suite.provider.url, withChangedDisclosure(presentation, 'birthdate', '1980-01-01'));
    expect(older.status).toBe(400);
    expect(older.body).toMatchObject({ error: 'invalid_presentation', reason: 'tampered' });
    const longer = await verifyJson(suite.provider.url, withChangedPayload(presentation, { exp: Math.floor(clock.now().getTime() / 1000) + 86_400 }));
    expect(longer.body.reason).toBe('tampered');
    // Changed before the device signed its key binding: the device cannot make the provider sign it either.
    const page = await verifyOnPage(suite.provider.url, withChangedDisclosure(presentation, 'name', 'Someone Else'));
    expect(page.status).toBe(422);
    expect(page.html).toContain('data-reason="tampered"');
    expect(page.html).toContain('Mã đã bị sửa đổi');
    // None of these used the sharing up: the real one still verifies, once.
    expect((await verifyJson(suite.provider.url, presentation)).status).toBe(200);
  });

  it('refuses an expired sharing: five minutes after it was made', async () => {
    const { credential, device } = await share(['name']);
    const presentation = await presentCredential(credential, device, { now: clock.now() });
    clock.advance(301);
    const answer = await verifyJson(suite.provider.url, presentation);
    expect(answer.body).toMatchObject({ error: 'invalid_presentation', reason: 'expired' });
    const page = await verifyOnPage(suite.provider.url, presentation, { lang: 'en' });
    expect(page.html).toContain('The code has expired');
  });

  it('verifies at the counter while a lock from wrong passwords lasts: that lock guards the password only', async () => {
    const { credential, device } = await share(['name']);
    const presentation = await presentCredential(credential, device, { now: clock.now() });
    // Someone typed wrong passwords for An's number until it locked.
    for (let i = 0; i < 5; i++) {
      await fetch(`${suite.provider.url}/app/enrolments`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ personal_id: an.personalId, password: `doan-${i}` }) });
    }
    const db = suite.provider.database.db;
    expect(await db.selectFrom('accounts').select(['status', 'lock_reason']).where('personal_id', '=', an.personalId).executeTakeFirstOrThrow()).toEqual({ status: 'locked', lock_reason: 'failed_sign_ins' });
    try {
      expect(await verifyJson(suite.provider.url, presentation)).toMatchObject({ status: 200, body: { verified: true } });
    } finally {
      // Lifted, as an officer would, for the tests after this one.
      await db.updateTable('accounts').set({ status: 'active', lock_reason: null, locked_until: null }).where('personal_id', '=', an.personalId).execute();
      await db.deleteFrom('sign_in_failures').where('personal_id', '=', an.personalId).execute();
    }
  });

  it('refuses a sharing presented a second time', async () => {
    const { credential, device } = await share(['name', 'birthdate']);
    const presentation = await presentCredential(credential, device, { now: clock.now() });
    expect((await verifyJson(suite.provider.url, presentation)).status).toBe(200);
    expect((await verifyJson(suite.provider.url, presentation)).body).toMatchObject({ reason: 'replayed' });
    // Another presentation of the same credential (fewer disclosures, a new key binding) is the same sharing.
    const again = await presentCredential(credential, device, { now: clock.now(), show: ['name'] });
    expect((await verifyJson(suite.provider.url, again)).body.reason).toBe('replayed');
    expect((await verifyOnPage(suite.provider.url, presentation)).html).toContain('data-reason="replayed"');
  });

  it('refuses a key binding made with another key, or none', async () => {
    const { credential } = await share(['name']);
    const thief = await deviceKey();
    const stolen = await presentCredential(credential, thief, { now: clock.now() });
    expect((await verifyJson(suite.provider.url, stolen)).body).toMatchObject({ reason: 'key_binding' });
    expect((await verifyJson(suite.provider.url, withoutKeyBinding(stolen))).body).toMatchObject({ reason: 'key_binding' });
  });

  it('answers malformed text with a reason, never a server error', async () => {
    for (const text of ['hello', '~~~', 'a.b.c~', 'eyJhbGciOiJFUzI1NiJ9.e30.x~eyJ9~', 'x'.repeat(9000)]) {
      const answer = await verifyJson(suite.provider.url, text);
      expect(answer.status).toBe(400);
      expect(answer.body.error).toMatch(/invalid_presentation|invalid_request/);
    }
    const empty = await verifyOnPage(suite.provider.url, '');
    expect(empty.html).toContain('data-reason="malformed"');
  });

  it('answers any text, and any change to a real presentation, with a reason and never a server error', async () => {
    const { credential, device } = await share(['name', 'birthdate']);
    const real = await presentCredential(credential, device, { now: clock.now() });
    // Changes inside the signed text (a signature's last character can change without changing its bytes).
    const signed = real.lastIndexOf('.', real.indexOf('~'));
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string({ maxLength: 300 }), fc.tuple(fc.nat(signed - 1), fc.constantFrom('A', '~', '.', '-', '\u0000', 'ư')).map(([at, c]) => real.slice(0, at) + c + real.slice(at + 1))), async (text) => {
        if (text === real) return;
        const answer = await verifyJson(suite.provider.url, text);
        expect(answer.status).toBe(400);
        expect(answer.body.error).toMatch(/^invalid_(presentation|request)$/);
      }),
      { numRuns: 60 },
    );
    expect((await verifyJson(suite.provider.url, real)).status).toBe(200);
  });

  it('refuses the /verify form without its CSRF token', async () => {
    const response = await fetch(`${suite.provider.url}/verify`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' }, body: 'presentation=x' });
    expect(response.status).toBe(403);
    expect(await response.text()).toContain('id="verify"');
  });
});

/** The README's procedure, step by step, with nothing but the issuer's URL and its public /jwks. */
async function counterVerifies(issuer: string, text: string, seen: Set<string>, currentDate = clock.now()): Promise<Record<string, unknown>> {
  const parts = text.split('~');
  const keyBinding = parts.at(-1)!;
  if (!keyBinding) throw new Error('no key binding');
  const jwks = createLocalJWKSet((await (await fetch(`${issuer}/jwks`)).json()) as JSONWebKeySet);
  const { payload } = await jwtVerify(parts[0]!, jwks, { algorithms: ['ES256'], typ: 'dc+sd-jwt', issuer, currentDate });
  if (payload.vct !== `${issuer}/credentials/identity`) throw new Error('not a sharing credential');
  const claims: Record<string, unknown> = {};
  for (const disclosure of parts.slice(1, -1)) {
    if (!(payload._sd as string[]).includes(createHash('sha256').update(disclosure).digest('base64url'))) throw new Error('disclosure not signed');
    const [, name, value] = JSON.parse(Buffer.from(disclosure, 'base64url').toString());
    claims[name] = value;
  }
  const { payload: kb } = await jwtVerify(keyBinding, await importJWK((payload.cnf as { jwk: JWK }).jwk, 'ES256'), { algorithms: ['ES256'], typ: 'kb+jwt', audience: 'urn:vn:eid:counter', currentDate });
  if (kb.nonce !== payload.jti) throw new Error('key binding for another credential');
  // README step 4: iat at most 60 s ahead of the counter's clock, and at most 60 s before the credential's iat.
  if (kb.iat! > Math.floor(currentDate.getTime() / 1000) + 60 || kb.iat! < payload.iat! - 60) throw new Error('key binding not made during the credential\'s validity');
  if (kb.sd_hash !== createHash('sha256').update(text.slice(0, text.length - keyBinding.length)).digest('base64url')) throw new Error('disclosures changed');
  if (seen.has(payload.jti!)) throw new Error('replayed');
  seen.add(payload.jti!);
  return claims;
}

describe('the counter procedure in the README', () => {
  it('verifies a sharing against the public JWKS alone, and refuses what the provider refuses', async () => {
    const { credential, device } = await share(['name', 'nationality', 'id_card']);
    const presentation = await presentCredential(credential, device, { now: clock.now(), show: ['name', 'id_card'] });
    expect(decodeJwt(presentation.split('~')[0]!).iss).toBe(suite.provider.url);
    const seen = new Set<string>();
    const claims = await counterVerifies(suite.provider.url, presentation, seen);
    expect(Object.keys(claims).sort()).toEqual(['id_card', 'name']);
    expect(claims.id_card).toMatchObject({ number: an.personalId, issue_date: '2021-04-15' });
    await expect(counterVerifies(suite.provider.url, presentation, seen)).rejects.toThrow('replayed');
    await expect(counterVerifies(suite.provider.url, withChangedDisclosure(presentation, 'name', 'X'), new Set())).rejects.toThrow('disclosure not signed');
    await expect(counterVerifies(suite.provider.url, withChangedPayload(presentation, { nationality: 'X' }), new Set())).rejects.toThrow(/signature/);
    const stolen = await presentCredential(credential, await deviceKey(), { now: clock.now() });
    await expect(counterVerifies(suite.provider.url, stolen, new Set())).rejects.toThrow(/signature/);
  });
});

describe('the key binding\'s iat, as the README tells counters to check it', () => {
  it('accepts a device clock up to 60 s ahead, as /verify does, and refuses one further ahead, as /verify does', async () => {
    for (const [ahead, accepted] of [[30, true], [90, false]] as const) {
      const { credential, device } = await share(['name']);
      const presentation = await presentCredential(credential, device, { now: new Date(clock.now().getTime() + ahead * 1000) });
      // The counter's own check first: /verify uses the sharing up.
      const own = await counterVerifies(suite.provider.url, presentation, new Set()).then((claims) => claims, (error: Error) => error);
      const answer = await verifyJson(suite.provider.url, presentation);
      if (accepted) {
        expect(own, `${ahead} s ahead`).toMatchObject({ name: 'Nguyễn Văn An' });
        expect(answer.status, `${ahead} s ahead`).toBe(200);
      } else {
        expect(String(own), `${ahead} s ahead`).toContain('validity');
        expect(answer, `${ahead} s ahead`).toMatchObject({ status: 400, body: { reason: 'key_binding' } });
      }
    }
  });
});

describe('the citizen\'s history', () => {
  it('lists each sharing on /account with the attributes, and when a counter checked it', async () => {
    const { credential, device } = await share(['birthdate', 'gender']);
    await verifyJson(suite.provider.url, await presentCredential(credential, device, { now: clock.now(), show: ['birthdate'] }));
    const agent = new UserAgent();
    const first = await agent.follow(`${suite.provider.url}/account`, suite.provider.url);
    const page = await agent.follow(new URL(formAction(first.page!.html, 'login'), first.page!.url).href, suite.provider.url, {
      form: { _csrf: csrfToken(first.page!.html), username: an.personalId, password: SANDBOX_PASSWORD },
    });
    const html = page.page!.html;
    expect(html).toContain('Thông tin bạn đã chia sẻ bằng mã QR');
    expect(html).toContain('<strong>Ngày sinh, Giới tính</strong>');
    expect(html).toMatch(/Được kiểm tra lúc [^<]*: Ngày sinh</);
    // Names in the log, never values.
    const rows = await suite.provider.database.db.selectFrom('disclosures').selectAll().where('channel', '=', 'sharing').execute();
    expect(rows.length).toBeGreaterThan(0);
    expect(JSON.stringify(rows)).not.toContain(an.birthdate);
  });
});

describe('key rotation', () => {
  it('keeps a sharing signed before a rotation verifiable, and signs new ones with the new key', async () => {
    const before = await share(['name']);
    const older = await presentCredential(before.credential, before.device, { now: clock.now() });
    const { rotated } = await rotateSigningKeys(suite.provider.database.db, { algs: ['ES256'], now: clock.now(), activationDelaySeconds: 30 });
    clock.advance(31);
    await suite.provider.signingKeys.refresh();
    const after = await share(['birthdate']);
    const newer = await presentCredential(after.credential, after.device, { now: clock.now() });
    expect(decodeProtectedHeader(newer.split('~')[0]!).kid).toBe(rotated[0]!.next);
    expect(decodeProtectedHeader(older.split('~')[0]!).kid).toBe(rotated[0]!.previous);
    expect((await verifyJson(suite.provider.url, older)).body.claims).toEqual({ name: 'Nguyễn Văn An' });
    expect(await counterVerifies(suite.provider.url, newer, new Set())).toEqual({ birthdate: an.birthdate });
  });
});
