// Page text in Vietnamese (default) and English. Keys are shared; every key exists in both languages.
import { en } from './messages-en.ts';
import { vi, type MessageKey } from './messages-vi.ts';

export type { MessageKey };

export const LANGUAGES = ['vi', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];

const CATALOGS: Record<Language, Record<MessageKey, string>> = { vi, en };

export type Translate = (key: MessageKey, vars?: Record<string, string>) => string;

export function translator(lang: Language): Translate {
  const catalog = CATALOGS[lang];
  return (key, vars) => catalog[key].replace(/\{(\w+)\}/g, (_, name: string) => vars?.[name] ?? `{${name}}`);
}

export function isLanguage(value: unknown): value is Language {
  return typeof value === 'string' && (LANGUAGES as readonly string[]).includes(value);
}

/** First supported language in a space-separated preference list (ui_locales, BCP 47 tags). */
export function pickLanguage(preferences: string | undefined): Language | undefined {
  for (const tag of (preferences ?? '').split(/\s+/)) {
    const base = tag.toLowerCase().split('-')[0];
    if (isLanguage(base)) return base;
  }
  return undefined;
}

// Claims that say one thing to a person are shown once (name parts, the "verified" flags).
const CLAIM_LABEL: Record<string, MessageKey> = {
  sub: 'claim.sub',
  name: 'claim.name',
  family_name: 'claim.name',
  middle_name: 'claim.name',
  given_name: 'claim.name',
  birthdate: 'claim.birthdate',
  gender: 'claim.gender',
  personal_id: 'claim.personal_id',
  phone_number: 'claim.phone_number',
  phone_number_verified: 'claim.phone_number',
  email: 'claim.email',
  email_verified: 'claim.email',
  address: 'claim.address',
  place_of_origin: 'claim.place_of_origin',
  nationality: 'claim.nationality',
  ethnicity: 'claim.ethnicity',
  religion: 'claim.religion',
  id_card: 'claim.id_card',
  driver_licenses: 'claim.driver_licenses',
  vehicles: 'claim.vehicles',
  health_insurance: 'claim.health_insurance',
  social_insurance_number: 'claim.social_insurance_number',
  dependents: 'claim.dependents',
  age_over_18: 'claim.age_over_18',
  verified_claims: 'claim.verified_claims',
};

/** Labels, in order and without repeats, for the claims a relying party will receive. */
export function claimLabels(claims: Iterable<string>, t: Translate): string[] {
  const keys = new Set<MessageKey>();
  for (const claim of claims) {
    const key = CLAIM_LABEL[claim];
    if (key) keys.add(key);
  }
  return [...keys].map((key) => t(key));
}
