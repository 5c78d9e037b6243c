import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse as parseQuery } from 'node:querystring';
import { decodesToPrintableAscii, isAcceptableText, printable, unacceptableParameter } from '../../src/http/acceptable-text.ts';

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

  it('tells URL-encoded text that decodes to printable ASCII without parsing it, and never passes what parsing would refuse', () => {
    expect(decodesToPrintableAscii('grant_type=client_credentials&resource=https%3A%2F%2Fapi.thue.gov.vn%2F&scope=tax%3Aread+x')).toBe(true);
    expect(decodesToPrintableAscii(Buffer.from('a=100%25&b=%zz&c=%4'))).toBe(true);
    for (const closer of ['a=%00', 'a=%7f', 'a=%0A', 'a=%C3%A9', 'a=caf\u00e9', 'a=\u0001', 'a=%ED%A0%80']) {
      expect(decodesToPrintableAscii(closer), closer).toBe(false);
      expect(decodesToPrintableAscii(Buffer.from(closer)), closer).toBe(false);
    }
    const encoded = fc.array(fc.oneof(fc.constantFrom('%', '=', '&', '+', 'a', 'F', '0', '7', '%00', '%1f', '%7F', '%80', '%ed%a0%80', '%2', '\u0000', '\u009f', 'é'), fc.string({ maxLength: 3 })), { maxLength: 12 }).map((parts) => parts.join(''));
    fc.assert(fc.property(encoded, (text) => {
      if (decodesToPrintableAscii(text)) expect(unacceptableParameter(parseQuery(text))).toBeUndefined();
      // Every character here is one byte in latin1: the bytes say what the text says.
      expect(decodesToPrintableAscii(Buffer.from(text, 'latin1'))).toBe(decodesToPrintableAscii(text));
    }), { numRuns: 2000 });
  });
});
