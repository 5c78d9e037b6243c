// The device key rules and device names: what enrolment accepts, and the reason it gives when it refuses.
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import { describe, expect, it } from 'vitest';
import { checkDeviceKey, signsChallenge } from '../../src/devices/device-key.ts';
import { generateDeviceKey, signChallenge } from '../../src/devices/device-client.ts';
import { deviceName } from '../../src/devices/devices.ts';

describe('checkDeviceKey', () => {
  it('keeps only the members of a P-256 public key and names it by its RFC 7638 thumbprint', async () => {
    const { publicJwk } = await generateDeviceKey();
    const checked = await checkDeviceKey({ ...publicJwk, alg: 'ES256', use: 'sig', kid: 'chosen-by-the-app', extra: 'dropped' });
    expect(checked).toEqual({ ok: true, jwk: publicJwk, jkt: await calculateJwkThumbprint(publicJwk, 'sha256') });
  });

  it('refuses everything else with the reason', async () => {
    const { publicJwk, privateJwk } = await generateDeviceKey();
    const p256k = { ...publicJwk, crv: 'secp256k1' };
    const okp = await exportJWK((await generateKeyPair('EdDSA', { extractable: true })).publicKey);
    const cases: Array<[unknown, string]> = [
      [privateJwk, 'private key material'],
      [{ kty: 'oct', k: 'c2VjcmV0' }, 'private key material'],
      [okp, 'kty must be "EC"'],
      [p256k, 'crv must be "P-256"'],
      [{ ...publicJwk, x: publicJwk.x!.slice(1) }, 'x and y'],
      [{ ...publicJwk, alg: 'ES384' }, 'alg'],
      [{ ...publicJwk, use: 'enc' }, 'use'],
      [null, 'JWK object'],
      [[publicJwk], 'JWK object'],
    ];
    for (const [input, reason] of cases) {
      const checked = await checkDeviceKey(input);
      expect(checked.ok).toBe(false);
      if (!checked.ok) expect(checked.description).toContain(reason);
    }
  });
});

describe('signsChallenge', () => {
  it('holds only for a JWS by that key over exactly the challenge', async () => {
    const key = await generateDeviceKey();
    const other = await generateDeviceKey();
    expect(await signsChallenge(key.publicJwk, await signChallenge(key.privateJwk, 'abc'), 'abc')).toBe(true);
    expect(await signsChallenge(key.publicJwk, await signChallenge(key.privateJwk, 'abcd'), 'abc')).toBe(false);
    expect(await signsChallenge(key.publicJwk, await signChallenge(other.privateJwk, 'abc'), 'abc')).toBe(false);
    expect(await signsChallenge(key.publicJwk, 'not.a.jws', 'abc')).toBe(false);
  });
});

describe('deviceName', () => {
  it('trims and collapses spaces, and refuses empty or overlong names', () => {
    expect(deviceName('  iPhone   của\tAn ')).toBe('iPhone của An');
    expect(deviceName('   ')).toBeUndefined();
    expect(deviceName('x'.repeat(60))).toHaveLength(60);
    expect(deviceName('x'.repeat(61))).toBeUndefined();
  });
});
