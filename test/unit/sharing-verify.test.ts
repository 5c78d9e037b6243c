// The verifier's rules one by one, on keys made here: what a counter is told for each way a presentation fails.
import { createHash } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { issueCredential, SHARING_SECONDS } from '../../src/sharing/credential.ts';
import { presentCredential } from '../../src/sharing/presentation.ts';
import { QR_CAPACITY, qrSvg } from '../../src/sharing/qr.ts';
import { parseMultipartText } from '../../src/sharing/upload.ts';
import { verifyPresentation } from '../../src/sharing/verify.ts';

const issuer = 'https://id.example.vn';
const now = new Date('2026-12-02T03:00:00Z');

async function key(): Promise<JWK> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = await exportJWK(privateKey);
  return { ...jwk, alg: 'ES256', use: 'sig', kid: await calculateJwkThumbprint(jwk) };
}
const publicOf = ({ d: _d, ...rest }: JWK) => rest;

const values = {
  name: 'Nguyễn Văn An',
  birthdate: '1990-05-12',
  age_over_18: true,
  gender: 'male',
  personal_id: '001090012345',
  nationality: 'Việt Nam',
  address: { formatted: 'Số 12 ngõ 34 phố Hàng Bông, Phường Hàng Gai, Quận Hoàn Kiếm, Hà Nội, Việt Nam', street_address: 'Số 12 ngõ 34 phố Hàng Bông', locality: 'Phường Hàng Gai, Quận Hoàn Kiếm', region: 'Hà Nội', country: 'VN' },
  place_of_origin: 'Xã Đông Hội, huyện Đông Anh, Hà Nội',
  id_card: { number: '001090012345', issue_date: '2021-04-15', expiry_date: '2030-05-12', issuer: 'Cục Cảnh sát quản lý hành chính về trật tự xã hội' },
};

async function setup() {
  const provider = await key();
  const device = await key();
  const issued = await issueCredential({ issuer, signingKey: provider, deviceKey: device, values, now });
  const verify = (text: string, at = now) => verifyPresentation(text, { issuer, keys: [publicOf(provider)], now: at });
  return { provider, device, issued, verify };
}

/** A key-binding JWT made by hand, to get one field wrong at a time. */
async function keyBinding(withoutKb: string, device: JWK, claims: Record<string, unknown>) {
  const sd_hash = createHash('sha256').update(withoutKb).digest('base64url');
  return new SignJWT({ sd_hash, ...claims }).setProtectedHeader({ alg: 'ES256', typ: 'kb+jwt' }).sign(await importJWK(device, 'ES256'));
}

describe('verifyPresentation', () => {
  it('accepts a presentation of every attribute, which still fits one QR code', async () => {
    const { device, issued, verify } = await setup();
    const presentation = await presentCredential(issued.credential, device, { now });
    const result = await verify(presentation);
    expect(result).toMatchObject({ ok: true, id: issued.id, claims: values });
    expect(presentation.length).toBeLessThan(QR_CAPACITY);
    expect(await qrSvg(presentation)).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  });

  it('refuses a credential signed by a key the provider does not publish', async () => {
    const { device, issued } = await setup();
    const presentation = await presentCredential(issued.credential, device, { now });
    expect(await verifyPresentation(presentation, { issuer, keys: [publicOf(await key())], now })).toMatchObject({ ok: false, reason: 'unknown_key' });
  });

  it('refuses from the second after expiry, not before', async () => {
    const { device, issued, verify } = await setup();
    const presentation = await presentCredential(issued.credential, device, { now });
    expect((await verify(presentation, new Date(now.getTime() + SHARING_SECONDS * 1000 - 1000))).ok).toBe(true);
    expect(await verify(presentation, new Date(now.getTime() + (SHARING_SECONDS + 1) * 1000))).toMatchObject({ ok: false, reason: 'expired' });
  });

  it('refuses key bindings for another audience, another credential, another time, or other disclosures', async () => {
    const { device, issued, verify } = await setup();
    const withoutKb = issued.credential;
    const iat = Math.floor(now.getTime() / 1000);
    const good = { aud: 'urn:vn:eid:counter', nonce: issued.id, iat };
    expect((await verify(withoutKb + (await keyBinding(withoutKb, device, good)))).ok).toBe(true);
    for (const wrong of [{ aud: 'https://bank.example' }, { nonce: 'another' }, { iat: iat - 3600 }, { iat: iat + 3600 }]) {
      expect(await verify(withoutKb + (await keyBinding(withoutKb, device, { ...good, ...wrong })))).toMatchObject({ ok: false, reason: 'key_binding' });
    }
    // Signed over the full credential, then a disclosure dropped: the device did not sign what is shown.
    const parts = withoutKb.split('~');
    const fewer = [parts[0], ...parts.slice(2)].join('~');
    expect(await verify(fewer + (await keyBinding(withoutKb, device, good)))).toMatchObject({ ok: false, reason: 'tampered' });
  });

  it('refuses a disclosure given twice', async () => {
    const { device, issued, verify } = await setup();
    const presentation = await presentCredential(issued.credential, device, { now, show: ['name'] });
    const parts = presentation.split('~');
    const doubled = [parts[0], parts[1], ...parts.slice(1)].join('~');
    expect(await verify(doubled)).toMatchObject({ ok: false, reason: 'tampered' });
  });

  it('says malformed for text that is not an SD-JWT', async () => {
    const { verify } = await setup();
    for (const text of ['', 'hello world', 'a~b', '{"a":1}', 'é~', 'x'.repeat(9000)]) expect(await verify(text)).toMatchObject({ ok: false });
    expect(await verify('hello')).toMatchObject({ reason: 'malformed' });
  });
});

describe('parseMultipartText', () => {
  it('reads text fields and a text file, first value wins', () => {
    const body = ['--b', 'Content-Disposition: form-data; name="_csrf"', '', 'tok', '--b', 'Content-Disposition: form-data; name="file"; filename="scan.txt"', 'Content-Type: text/plain', '', 'abc~def~', '--b', 'Content-Disposition: form-data; name="_csrf"', '', 'other', '--b--', ''].join('\r\n');
    expect(parseMultipartText(body, 'multipart/form-data; boundary=b')).toEqual({ _csrf: 'tok', file: 'abc~def~' });
    expect(parseMultipartText(body, 'multipart/form-data')).toBeUndefined();
  });
});
