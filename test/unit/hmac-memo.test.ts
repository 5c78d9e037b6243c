// Remembered HMACs (src/oidc/hmac-memo.ts): pairwise subjects and cookie signatures must come out exactly as
// before, whether computed or remembered, and whatever was forgotten: a subject that changed would make every
// relying party see its users as strangers; a cookie signature that changed would sign every citizen out.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hmacMemo } from '../../src/oidc/hmac-memo.ts';

describe('remembered HMACs', () => {
  it('give the HMAC of the input (checked against openssl dgst -hmac), first computed and then remembered', () => {
    const subject = hmacMemo('sha256', 'pairwise-salt-for-tests');
    const input = 'https://portal.example.vn\n0b7e1c52-8d7a-4c1e-9f57-3f8f3c1d2a10';
    expect(subject(input)).toBe('gTJDujyXx9jn08rVbBNLs4bKNbcc-9TBlBUbmKEM6KQ');
    expect(subject(input)).toBe('gTJDujyXx9jn08rVbBNLs4bKNbcc-9TBlBUbmKEM6KQ');
    const cookie = hmacMemo('sha1', 'cookie-key');
    expect(cookie('_session=abc123')).toBe('5FrSpI38PQu8HGMs1DffIrcBB6Y');
    expect(cookie('_session=abc123')).toBe('5FrSpI38PQu8HGMs1DffIrcBB6Y');
  });

  it('keep each input apart, and stay right for inputs seen long ago and forgotten', () => {
    const size = 4;
    const memo = hmacMemo('sha256', 'khóa-bí-mật', size);
    const expected = (data: string) => createHmac('sha256', Buffer.from('khóa-bí-mật', 'utf8')).update(data).digest('base64url');
    const inputs = Array.from({ length: 3 * size }, (_, i) => `https://sector-${i % 5}.example.vn\naccount-${i}`);
    for (const input of inputs) expect(memo(input)).toBe(expected(input));
    // Again, in reverse: the newest are remembered, the oldest were forgotten and are computed again.
    for (const input of [...inputs].reverse()) expect(memo(input)).toBe(expected(input));
    expect(new Set(inputs.map(memo)).size).toBe(inputs.length);
  });

  it('are right for inputs too long to remember, such as a long cookie a caller made up', () => {
    const memo = hmacMemo('sha1', 'cookie-key');
    const long = `_session=${'x'.repeat(4000)}`;
    const expected = createHmac('sha1', Buffer.from('cookie-key', 'utf8')).update(long).digest('base64url');
    expect(memo(long)).toBe(expected);
    expect(memo(long)).toBe(expected);
  });

  it('depend on the key', () => {
    expect(hmacMemo('sha256', 'one key')('same input')).not.toBe(hmacMemo('sha256', 'another key')('same input'));
  });
});
