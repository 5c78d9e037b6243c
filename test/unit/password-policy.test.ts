// The password policy a citizen meets when choosing a password: at least 8 characters, not the ID number,
// not the birthdate (however it is typed), not a common password (also with digits or symbols appended).
import { describe, expect, it } from 'vitest';
import { checkPassword, MAX_LENGTH, MIN_LENGTH } from '../../src/accounts/password-policy.ts';

const an = { personalId: '001090012345', birthdate: '1990-05-12' };
const dung = { personalId: '031303007890', birthdate: '2003-07-30' };
const khoi = { personalId: '001216000654', birthdate: '2016-10-01' };

const check = (password: string, citizen = an) => checkPassword(password, password, citizen);

describe('checkPassword', () => {
  it('accepts a password of the citizen\'s own', () => {
    for (const password of ['Hoa-Sen-Tím-42', 'Đà Lạt mùa sương', 'trâu-vàng-gặm-cỏ', 'passwordless garden', 'x7#Kq!v2', 'Ngày 12 tháng 5 đi Huế']) {
      expect(check(password), password).toBeNull();
    }
  });

  it('says when the two passwords typed are not the same, before anything else', () => {
    expect(checkPassword('Hoa-Sen-Tím-42', 'Hoa-Sen-Tím-43', an)).toBe('mismatch');
    expect(checkPassword('abc', 'abd', an)).toBe('mismatch');
    expect(checkPassword('Hoa-Sen-Tím-42', '', an)).toBe('mismatch');
  });

  it(`needs at least ${MIN_LENGTH} characters, counting letters with diacritics as one however they were typed`, () => {
    expect(MIN_LENGTH).toBe(8);
    expect(check('')).toBe('too_short');
    expect(check('Xe7#kQv')).toBe('too_short');
    expect(check('Xe7#kQv!')).toBeNull();
    expect(check('Tháng7!')).toBe('too_short');
    // The same seven characters from a keyboard that types the accent as a combining mark ("Unicode tổ hợp").
    expect(check('Tháng7!'.normalize('NFD'))).toBe('too_short');
    // Eight letters, each with its diacritics: eight characters, not more.
    expect(check('Đường-Xá')).toBeNull();
  });

  it(`allows at most ${MAX_LENGTH} characters`, () => {
    const base = 'Ngựa-phi-đường-xa-';
    const exactly = (n: number) => (base.repeat(20)).slice(0, n);
    expect(check(exactly(MAX_LENGTH))).toBeNull();
    expect(check(exactly(MAX_LENGTH + 1))).toBe('too_long');
    // Characters, not UTF-16 units: 128 characters outside the basic plane are still 128.
    expect(check('😀a'.repeat(MAX_LENGTH / 2))).toBeNull();
  });

  it('refuses the personal ID number anywhere in the password, also typed in groups', () => {
    expect(check(an.personalId)).toBe('contains_personal_id');
    expect(check(`An${an.personalId}!`)).toBe('contains_personal_id');
    expect(check('001 090 012345')).toBe('contains_personal_id');
    expect(check('001.090.012345')).toBe('contains_personal_id');
    expect(check('001-090-012345')).toBe('contains_personal_id');
    // Someone else's number is only digits.
    expect(check('Ma-079185000123')).toBeNull();
  });

  it('refuses the birthdate in the ways people write it', () => {
    for (const form of ['12051990', '19900512', '120590', '05121990', '12/05/1990', '12-05-1990', '12.05.1990', '1990-05-12', '12/05/90', '12 05 1990', '12/5/1990', '1251990']) {
      expect(check(`An@${form}`), form).toBe('contains_birthdate');
    }
    for (const form of ['30072003', '20030730', '300703', '30/07/2003', '30/7/2003', '3072003']) {
      expect(check(`Dung#${form}`, dung), form).toBe('contains_birthdate');
    }
    for (const form of ['01102016', '011016', '1/10/2016', '1102016', '2016-10-01']) {
      expect(check(`Khoi_${form}`, khoi), form).toBe('contains_birthdate');
    }
    // Another person's birthdate, or a year alone, is not this citizen's birthdate.
    expect(check('An@30072003')).toBeNull();
    expect(check('Mùa-xuân-1990')).toBeNull();
  });

  it('refuses common passwords, in any case, with digits or symbols appended, with or without diacritics', () => {
    for (const password of [
      'password', 'PASSWORD', 'Password1', 'password123', 'p@ssw0rd!', 'iloveyou2024', 'iloveyou!!',
      'matkhau123', 'Matkhau@2024', 'Mậtkhẩu123', 'mật khẩu 2024', 'anhyeuem', 'Anh yêu em 99', 'Emyeuanh@1',
      'Vietnam2024', 'Việt Nam 1975', 'hanoi123456', 'qwerty2024', 'qwertyuiop', '1qaz2wsx',
      '12345678', '123456789', '1234567890', '12345678!', '123456789012', '87654321', '9876543210',
      '11111111', '1111111111', 'aaaaaaaa', 'abc12345678', 'admin2024', 'congan113', 'dinhdanh2026',
    ]) {
      expect(check(password), password).toBe('common');
    }
  });

  it('puts the rules in a fixed order: mismatch, length, ID number, birthdate, common', () => {
    expect(checkPassword('1234', '12345', an)).toBe('mismatch');
    expect(check('1234')).toBe('too_short');
    expect(check(`${an.personalId}12051990`)).toBe('contains_personal_id');
    expect(check('password12051990')).toBe('contains_birthdate');
  });
});
