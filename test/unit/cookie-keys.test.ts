// oidc-provider's cookie signatures (src/oidc/cookie-keys.ts): the same as the Keygrip the cookies library would
// build from our keys, so a citizen's session cookie signed before an upgrade or by another instance stays valid.
import Keygrip from 'keygrip';
import { describe, expect, it } from 'vitest';
import { cookieSigner } from '../../src/oidc/cookie-keys.ts';

const keys = ['khóa-mới-nhất-0123456789abcdef', 'older-key-fedcba9876543210'];
const values = ['_session=abc123', '_interaction=Xy-_z', 'phiên=Nguyễn Văn A', ''];

describe('cookie signatures', () => {
  it('are Keygrip\'s, for the newest key and for an older one still accepted', () => {
    const ours = cookieSigner(keys);
    const theirs = new Keygrip(keys);
    const olderOnly = new Keygrip([keys[1]!]);
    for (const value of values) {
      expect(ours.sign(value)).toBe(theirs.sign(value));
      expect(ours.index(value, theirs.sign(value))).toBe(0);
      // Signed before the newest key was added: still valid, and known as the older key's (the cookie is re-signed).
      expect(ours.index(value, olderOnly.sign(value))).toBe(1);
      expect(theirs.index(value, ours.sign(value))).toBe(0);
    }
  });

  it('refuses a signature for other data, a changed one, a truncated one and one that is not text', () => {
    const ours = cookieSigner(keys);
    const good = ours.sign('_session=abc123');
    expect(ours.verify('_session=abc124', good)).toBe(false);
    expect(ours.verify('_session=abc123', `${good.slice(0, -1)}${good.endsWith('A') ? 'B' : 'A'}`)).toBe(false);
    expect(ours.verify('_session=abc123', good.slice(0, -1))).toBe(false);
    expect(ours.verify('_session=abc123', '')).toBe(false);
    expect(ours.verify('_session=abc123', undefined as unknown as string)).toBe(false);
    expect(cookieSigner(['another-key-entirely-0123456789']).verify('_session=abc123', good)).toBe(false);
  });
});
