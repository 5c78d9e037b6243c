// The signing-key lifecycle rules: which key signs, which are only published, when the set next changes.
import { expect, it } from 'vitest';
import { keySetAt, keyState, nextChange, type SigningKeyRow } from '../../src/oidc/key-lifecycle.ts';

const t = (minutes: number) => new Date(Date.UTC(2026, 10, 28, 12, minutes));
const key = (kid: string, alg: string, activatesAt: Date, ends: { deactivatedAt?: Date; retiredAt?: Date } = {}): SigningKeyRow => ({
  kid,
  alg,
  material: { kid, alg, kty: alg === 'ES256' ? 'EC' : 'RSA' },
  createdAt: t(0),
  activatesAt,
  deactivatedAt: ends.deactivatedAt ?? null,
  retiredAt: ends.retiredAt ?? null,
});

// A rotation of ES256 at minute 0: the next key signs from minute 60, the old one is withdrawn at minute 120.
const rows = [
  key('rs-1', 'RS256', t(0)),
  key('es-old', 'ES256', t(0), { deactivatedAt: t(60), retiredAt: t(120) }),
  key('ps-1', 'PS256', t(0)),
  key('es-new', 'ES256', t(60)),
];
const kids = (now: Date) => keySetAt(rows, now).keys.map((k) => k.kid);

it('publishes the next key at once behind the active one, signs with it from its activation, withdraws the old one at its time', () => {
  expect(kids(t(1))).toEqual(['rs-1', 'es-old', 'ps-1', 'es-new']);
  expect(keyState(rows[3]!, rows, t(1))).toBe('next');
  expect(keyState(rows[1]!, rows, t(1))).toBe('active');

  expect(kids(t(60))).toEqual(['rs-1', 'es-new', 'ps-1', 'es-old']);
  expect(keyState(rows[3]!, rows, t(60))).toBe('active');
  expect(keyState(rows[1]!, rows, t(60))).toBe('retiring');

  expect(kids(t(120))).toEqual(['rs-1', 'es-new', 'ps-1']);
  expect(keyState(rows[1]!, rows, t(120))).toBe('withdrawn');
});

it('names the next instant the set changes, and the algorithms nothing signs', () => {
  expect(nextChange(rows, t(1))).toEqual(t(60));
  expect(nextChange(rows, t(60))).toEqual(t(120));
  expect(nextChange(rows, t(120))).toBeUndefined();
  expect(keySetAt(rows.slice(0, 2), t(1)).missing).toEqual(['PS256']);
  // A clock behind the instance that stored the only key: it signs with it rather than with nothing.
  expect(keySetAt([key('es-soon', 'ES256', t(60))], t(1))).toMatchObject({ keys: [{ kid: 'es-soon' }], missing: ['RS256', 'PS256'] });
});
