// Vietnamese mobile numbers as people write them (0912 345 678, +84 912…), stored in E.164.
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';

/** E.164 (+849…) for a valid Vietnamese mobile number, or null. */
export function normalizeMobile(input: string): string | null {
  const phone = parsePhoneNumberFromString(input.trim(), 'VN');
  if (!phone || phone.country !== 'VN' || !phone.isValid()) return null;
  const type = phone.getType();
  if (type !== 'MOBILE' && type !== 'FIXED_LINE_OR_MOBILE') return null;
  const e164 = phone.number;
  // The same rule the accounts table enforces: +84 then a mobile prefix 3, 5, 7, 8 or 9 and 8 more digits.
  return /^\+84[35789]\d{8}$/.test(e164) ? e164 : null;
}

/** For messages to the citizen: the last three digits only. */
export function maskPhone(e164: string): string {
  return `${e164.slice(0, 3)} •••• ••${e164.slice(-3)}`;
}
