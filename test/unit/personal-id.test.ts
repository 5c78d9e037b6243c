import { describe, expect, it } from 'vitest';
import { checkAgainstRecord, makePersonalId, parsePersonalId, PROVINCES } from '../../src/registry/personal-id.ts';
import { SANDBOX_CITIZENS } from '../../src/sandbox/seed.ts';

describe('personal identification number', () => {
  it('knows the 63 birth-registration provinces', () => {
    expect(PROVINCES.size).toBe(63);
    expect(PROVINCES.get('001')).toBe('Hà Nội');
    expect(PROVINCES.get('096')).toBe('Cà Mau');
  });

  it('reads province, sex and birth year from the number', () => {
    expect(parsePersonalId('001090012345')).toEqual({ provinceCode: '001', province: 'Hà Nội', sex: 'male', birthYear: 1990, serial: '012345' });
    expect(parsePersonalId('079305000001')).toMatchObject({ sex: 'female', birthYear: 2005 });
    expect(parsePersonalId('079999000001')).toMatchObject({ sex: 'female', birthYear: 1899 });
    expect(parsePersonalId('079899000001')).toMatchObject({ sex: 'male', birthYear: 1899 });
  });

  it('rejects malformed numbers and unknown provinces', () => {
    expect(parsePersonalId('00109001234')).toEqual({ problem: 'format' });
    expect(parsePersonalId('00109001234a')).toEqual({ problem: 'format' });
    expect(parsePersonalId('003090012345')).toEqual({ problem: 'unknown_province' });
  });

  it('checks a number against the record it belongs to', () => {
    expect(checkAgainstRecord('001090012345', { birthdate: '1990-05-12', sex: 'male' })).toBeNull();
    expect(checkAgainstRecord('001090012345', { birthdate: '1990-05-12', sex: 'female' })).toBe('sex_mismatch');
    expect(checkAgainstRecord('001090012345', { birthdate: '1991-05-12', sex: 'male' })).toBe('birth_year_mismatch');
    expect(checkAgainstRecord('001290012345', { birthdate: '1990-05-12', sex: 'male' })).toBe('birth_year_mismatch');
  });

  it('builds numbers that parse back to their parts', () => {
    for (const [province, sex, year] of [['001', 'male', 1990], ['096', 'female', 2024], ['048', 'female', 1899], ['079', 'male', 2100]] as const) {
      const id = makePersonalId(province, sex, year, 4321);
      expect(id).toHaveLength(12);
      expect(parsePersonalId(id)).toMatchObject({ provinceCode: province, sex, birthYear: year, serial: '004321' });
    }
    expect(() => makePersonalId('003', 'male', 1990, 1)).toThrow(/province/);
    expect(() => makePersonalId('001', 'male', 1790, 1)).toThrow(/1800/);
  });

  it('gives every sandbox citizen a number that agrees with their record', () => {
    for (const citizen of SANDBOX_CITIZENS) {
      expect(checkAgainstRecord(citizen.personalId, citizen), citizen.personalId).toBeNull();
    }
  });
});
