import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isAcceptableText, printable, unacceptableParameter } from '../../src/http/acceptable-text.ts';

describe('acceptable text', () => {
  it('refuses NUL, other control characters and unpaired surrogates; keeps tab, line breaks and any well-formed Unicode', () => {
    expect(isAcceptableText('Nguyễn Văn An\r\n\t😀')).toBe(true);
    for (const bad of ['a\u0000b', '\u0007', '\u001b[31m', '\u007f', '\u0085', '\ud800', 'x\udfff']) expect(isAcceptableText(bad), JSON.stringify(bad)).toBe(false);
    fc.assert(fc.property(fc.string(), fc.string(), (a, b) => !isAcceptableText(`${a}\u0000${b}`)));
    fc.assert(fc.property(fc.string({ unit: 'grapheme' }), (text) => isAcceptableText(text) === !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/.test(text)));
  });

  it('names the first unacceptable parameter, at any depth, printably', () => {
    expect(unacceptableParameter({ client_id: 'sandbox', state: 'a\u0000' })).toBe('state');
    expect(unacceptableParameter({ claims: { userinfo: ['ok', '\ud800'] } })).toBe('claims.userinfo');
    expect(unacceptableParameter({ 'x\u0000y': '1' })).toBe('x\\u0000y');
    expect(unacceptableParameter({ a: 1, b: null, c: ['x'] })).toBeUndefined();
    expect(printable('a'.repeat(100))).toHaveLength(41);
  });
});
