// The personal ID rules over generated numbers: every valid one is accepted, every corruption is refused
// with the reason an operator would read in the import's reject report.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkAgainstRecord, makePersonalId, parsePersonalId, PROVINCES, type Sex } from '../../src/registry/personal-id.ts';
import { validateRecord } from '../../src/registry/records.ts';

const CODES = [...PROVINCES.keys()];
const UNKNOWN_CODES = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0')).filter((c) => !PROVINCES.has(c));

const bornIn = (year: number, dayOfYear: number) => new Date(Date.UTC(year, 0, 1 + dayOfYear)).toISOString().slice(0, 10);
const sexes = fc.constantFrom<Sex>('male', 'female');
const valid = fc
  .record({
    province: fc.constantFrom(...CODES),
    sex: sexes,
    year: fc.integer({ min: 1800, max: 2299 }),
    serial: fc.integer({ min: 0, max: 999_999 }),
    dayOfYear: fc.integer({ min: 0, max: 364 }),
  })
  .map((p) => ({ ...p, id: makePersonalId(p.province, p.sex, p.year, p.serial), birthdate: bornIn(p.year, p.dayOfYear) }));
const other = (sex: Sex): Sex => (sex === 'male' ? 'female' : 'male');
const record = (id: string, birthdate: string, sex: Sex) => ({ personal_id: id, family_name: 'Nguyễn', given_name: 'An', birthdate, sex });
const TODAY = '2299-12-31';

describe('personal ID numbers, property-based', () => {
  it('a number built from its parts parses back to them and agrees with any record born that year', () => {
    fc.assert(
      fc.property(valid, (v) => {
        expect(v.id).toMatch(/^\d{12}$/);
        expect(parsePersonalId(v.id)).toEqual({
          provinceCode: v.province,
          province: PROVINCES.get(v.province),
          sex: v.sex,
          birthYear: v.year,
          serial: String(v.serial).padStart(6, '0'),
        });
        expect(checkAgainstRecord(v.id, { birthdate: v.birthdate, sex: v.sex })).toBeNull();
      }),
    );
  });

  it('disagrees with a record of the other sex', () => {
    fc.assert(
      fc.property(valid, (v) => {
        expect(checkAgainstRecord(v.id, { birthdate: v.birthdate, sex: other(v.sex) })).toBe('sex_mismatch');
      }),
    );
  });

  it('disagrees with a record born in any other year, in any century', () => {
    fc.assert(
      fc.property(valid, fc.integer({ min: 1800, max: 2299 }), (v, year) => {
        fc.pre(year !== v.year);
        expect(checkAgainstRecord(v.id, { birthdate: `${year}${v.birthdate.slice(4)}`, sex: v.sex })).toBe('birth_year_mismatch');
      }),
    );
  });

  it('a changed century/sex digit gives another century or the other sex, never a valid number for the record', () => {
    fc.assert(
      fc.property(valid, fc.integer({ min: 0, max: 9 }), (v, digit) => {
        fc.pre(String(digit) !== v.id[3]);
        const corrupted = `${v.id.slice(0, 3)}${digit}${v.id.slice(4)}`;
        const sameSex = digit % 2 === Number(v.id[3]) % 2;
        expect(checkAgainstRecord(corrupted, { birthdate: v.birthdate, sex: v.sex })).toBe(sameSex ? 'birth_year_mismatch' : 'sex_mismatch');
      }),
    );
  });

  it('changed year digits disagree with the date of birth', () => {
    fc.assert(
      fc.property(valid, fc.integer({ min: 0, max: 99 }), (v, yy) => {
        const digits = String(yy).padStart(2, '0');
        fc.pre(digits !== v.id.slice(4, 6));
        expect(checkAgainstRecord(`${v.id.slice(0, 4)}${digits}${v.id.slice(6)}`, v)).toBe('birth_year_mismatch');
      }),
    );
  });

  it('a province code that is not in provinces.json is refused', () => {
    fc.assert(
      fc.property(valid, fc.constantFrom(...UNKNOWN_CODES), (v, code) => {
        expect(parsePersonalId(`${code}${v.id.slice(3)}`)).toEqual({ problem: 'unknown_province' });
      }),
    );
  });

  it('anything but twelve digits is not a number at all', () => {
    const notTwelveDigits = fc.oneof(
      fc.stringMatching(/^\d{0,11}$/),
      fc.stringMatching(/^\d{13,20}$/),
      valid.chain((v) => fc.tuple(fc.integer({ min: 0, max: 11 }), fc.constantFrom('a', ' ', '-', '٣', 'O')).map(([i, c]) => `${v.id.slice(0, i)}${c}${v.id.slice(i + 1)}`)),
    );
    fc.assert(
      fc.property(notTwelveDigits, (text) => {
        expect(parsePersonalId(text)).toEqual({ problem: 'format' });
      }),
    );
  });

  it('the serial carries no check digit: any serial is valid', () => {
    fc.assert(
      fc.property(valid, fc.stringMatching(/^\d{6}$/), (v, serial) => {
        expect(checkAgainstRecord(`${v.id.slice(0, 6)}${serial}`, v)).toBeNull();
      }),
    );
  });
});

describe('the import refuses a record whose number disagrees with it, with the reason', () => {
  it('accepts every valid number with its own sex and date of birth', () => {
    fc.assert(
      fc.property(valid, (v) => {
        expect(validateRecord(record(v.id, v.birthdate, v.sex), TODAY)).toMatchObject({ ok: true });
      }),
    );
  });

  it('names the disagreement: sex, date of birth, province, or not a number', () => {
    const corruption = fc.constantFrom('sex', 'year', 'province', 'format');
    fc.assert(
      fc.property(valid, corruption, fc.constantFrom(...UNKNOWN_CODES), (v, kind, unknown) => {
        const cases = {
          sex: [record(v.id, v.birthdate, other(v.sex)), 'id_disagrees_with_sex'],
          year: [record(v.id, bornIn(v.year === 2299 ? 1800 : v.year + 1, v.dayOfYear), v.sex), 'id_disagrees_with_birthdate'],
          province: [record(`${unknown}${v.id.slice(3)}`, v.birthdate, v.sex), 'unknown_province'],
          format: [record(v.id.slice(1), v.birthdate, v.sex), 'bad_id_number'],
        } as const;
        const [input, reason] = cases[kind];
        const result = validateRecord(input, TODAY);
        expect(result.ok).toBe(false);
        if (!result.ok) expect(result.reject.reason).toBe(reason);
      }),
    );
  });
});
