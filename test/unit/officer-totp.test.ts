// The officers' TOTP rules: codes of one step either side are current, others not; a sealed secret opens only
// under the key it was sealed with and shows nothing of the secret.
import { describe, expect, it } from 'vitest';
import { matchingStep, newTotpSecret, totpCode, totpSealer, totpStep } from '../../src/admin/totp.ts';

const at = new Date('2026-11-28T10:00:10Z');

describe('officer TOTP', () => {
  it('accepts the codes of the step before, the current one and the next, and says which step matched', () => {
    const secret = newTotpSecret();
    for (const offset of [-1, 0, 1]) expect(matchingStep(secret, totpCode(secret, at, offset), at)).toBe(totpStep(at) + offset);
    for (const offset of [-3, -2, 2, 3]) expect(matchingStep(secret, totpCode(secret, at, offset), at)).toBeNull();
    expect(matchingStep(secret, '12345', at)).toBeNull();
    expect(matchingStep(secret, 'abcdef', at)).toBeNull();
    const code = totpCode(secret, at);
    expect(matchingStep(secret, `${code.slice(0, 3)} ${code.slice(3)}`, at)).toBe(totpStep(at));
  });

  it('seals a secret so that only the same provider key opens it, and tampering is detected', () => {
    const secret = newTotpSecret();
    const sealer = totpSealer('cookie-secret-one');
    const sealed = sealer.seal(secret);
    expect(sealed).toMatch(/^v1\./);
    expect(sealed).not.toContain(secret);
    expect(sealer.seal(secret)).not.toBe(sealed);
    expect(sealer.open(sealed)).toBe(secret);
    expect(() => totpSealer('cookie-secret-two').open(sealed)).toThrow();
    const [v, iv, body, tag] = sealed.split('.');
    const flipped = `${body![0] === 'A' ? 'B' : 'A'}${body!.slice(1)}`;
    expect(() => sealer.open([v, iv, flipped, tag].join('.'))).toThrow();
  });
});
