// Sharing at a counter by QR (issue 10 item 4): a credential issued to the citizen's device, presented with the
// chosen attributes only and a key binding by the device, verified once at /verify; refusals say why.
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { SANDBOX_CITIZENS } from '../../src/sandbox/seed.ts';
import { sharingService } from '../../src/sharing/service.ts';
import { presentCredential } from '../../src/sharing/presentation.ts';
import { testClock } from '../helpers/clock.ts';
import { verifyJson, verifyOnPage, withChangedDisclosure, withChangedPayload, withoutKeyBinding } from '../helpers/counter.ts';
import { sandboxProviderForSuite } from '../helpers/relying-party.ts';

const clock = testClock();
const suite = sandboxProviderForSuite({ clock: clock.now });
const an = SANDBOX_CITIZENS.find((c) => c.personalId === '001090012345')!;

async function deviceKey(): Promise<JWK> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  return exportJWK(privateKey);
}

async function share(attributes: string[], key?: JWK) {
  const device = key ?? (await deviceKey());
  const account = (await suite.provider.services.accounts.findByPersonalId(an.personalId))!;
  const service = sharingService({ db: suite.provider.database.db, issuer: suite.provider.url, accounts: suite.provider.services.accounts, now: clock.now });
  const issued = await service.issue({ accountId: account.id, deviceId: 'device-1', deviceKey: device, attributes: attributes as never });
  return { credential: issued.credential, device };
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

  it('refuses the /verify form without its CSRF token', async () => {
    const response = await fetch(`${suite.provider.url}/verify`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' }, body: 'presentation=x' });
    expect(response.status).toBe(403);
    expect(await response.text()).toContain('id="verify"');
  });
});
