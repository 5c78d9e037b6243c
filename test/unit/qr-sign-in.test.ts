// The pure rules of QR sign-in: what the code says, where a request stands, what the app is shown, the amr.
import { describe, expect, it } from 'vitest';
import { amrFor } from '../../src/devices/qr-sign-in/amr.ts';
import { parseQrPayload, qrPayload, qrSvg } from '../../src/devices/qr-sign-in/code.ts';
import { qrStatus, type QrRequest } from '../../src/devices/qr-sign-in/requests.ts';
import { requestedData } from '../../src/devices/qr-sign-in/shown.ts';

const ISSUER = 'https://id.example.vn';
const ID = 'AbCdEfGhIjKlMnOpQrStUv';

describe('the code', () => {
  it('is a URL under the issuer, and only such a URL gives back its id', () => {
    expect(qrPayload(ISSUER, ID)).toBe(`${ISSUER}/app/qr/${ID}`);
    expect(parseQrPayload(ISSUER, qrPayload(ISSUER, ID))).toBe(ID);
    for (const other of [
      `https://id.example.vn.evil.example/app/qr/${ID}`,
      `http://id.example.vn/app/qr/${ID}`,
      `${ISSUER}/app/qr/${ID}?x=1`,
      `${ISSUER}/app/qr/short`,
      `${ISSUER}/app/qr/${ID}/../../admin`,
      `${ISSUER}/interaction/${ID}`,
      ID,
      '',
    ]) {
      expect(parseQrPayload(ISSUER, other)).toBeUndefined();
    }
  });

  it('is drawn as an SVG named for screen readers, with nothing to load and the label escaped', async () => {
    const svg = await qrSvg(qrPayload(ISSUER, ID), 'Mã QR "đăng nhập" <VNeID>');
    expect(svg).toMatch(/^<svg role="img" aria-label="Mã QR &#34;đăng nhập&#34; &#60;VNeID&#62;"/);
    expect(svg).not.toMatch(/href|<script|<image/);
  });
});

describe('where a request stands', () => {
  const at = new Date('2026-12-02T02:00:00Z');
  const request = (overrides: Partial<QrRequest> = {}): QrRequest => ({
    id: ID,
    interactionUid: 'uid',
    clientId: 'client',
    shown: { service: { client_id: 'client', name: 'Client', domain: 'rp.example', organisation: null }, level: { requested: null, result: 'urn:vn:eid:loa:2' }, data: [] },
    expiresAt: new Date(at.getTime() + 120_000),
    deviceId: null,
    accountId: null,
    decision: null,
    userVerification: null,
    usedAt: null,
    ...overrides,
  });
  const later = (seconds: number) => new Date(at.getTime() + seconds * 1000);

  it('goes pending, scanned, then approved or denied, and used once taken up', () => {
    expect(qrStatus(request(), at)).toBe('pending');
    expect(qrStatus(request({ deviceId: 'd', accountId: 'a' }), at)).toBe('scanned');
    expect(qrStatus(request({ deviceId: 'd', accountId: 'a', decision: 'approved', userVerification: 'pin' }), at)).toBe('approved');
    expect(qrStatus(request({ deviceId: 'd', accountId: 'a', decision: 'denied' }), at)).toBe('denied');
    expect(qrStatus(request({ deviceId: 'd', accountId: 'a', decision: 'approved', userVerification: 'pin', usedAt: at }), at)).toBe('used');
  });

  it('expires after two minutes unless decided; an approval is taken up for a minute more, a denial always', () => {
    expect(qrStatus(request(), later(119))).toBe('pending');
    expect(qrStatus(request(), later(120))).toBe('expired');
    expect(qrStatus(request({ deviceId: 'd', accountId: 'a' }), later(121))).toBe('expired');
    const approved = request({ deviceId: 'd', accountId: 'a', decision: 'approved', userVerification: 'pin' });
    expect(qrStatus(approved, later(179))).toBe('approved');
    expect(qrStatus(approved, later(180))).toBe('expired');
    expect(qrStatus(request({ deviceId: 'd', accountId: 'a', decision: 'denied' }), later(3600))).toBe('denied');
  });
});

describe('what the app is shown', () => {
  it('lists the claims of the scopes and named claims, not those about the authentication itself', () => {
    expect(requestedData({ scope: 'openid profile address' })).toEqual(['name', 'family_name', 'middle_name', 'given_name', 'birthdate', 'gender', 'address', 'place_of_origin']);
    expect(requestedData({ scope: 'openid', claims: JSON.stringify({ id_token: { acr: { essential: true }, personal_id: null }, userinfo: { verified_claims: {} } }) })).toEqual(['personal_id', 'verified_claims']);
    expect(requestedData({ scope: 'openid offline_access' })).toEqual(['offline_access']);
    expect(requestedData({ scope: 'openid', claims: '{not json' })).toEqual([]);
    expect(requestedData({ scope: 'openid', claims: JSON.stringify({ id_token: { toString: null, made_up: null } }) })).toEqual([]);
  });
});

describe('amr', () => {
  it('names the device key and how it was unlocked (RFC 8176)', () => {
    expect(amrFor('pin')).toEqual(['hwk', 'pin', 'mfa']);
    expect(amrFor('biometric')).toEqual(['hwk', 'fpt', 'mfa']);
  });
});
