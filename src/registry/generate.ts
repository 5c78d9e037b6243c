// Synthetic population records, household by household: the same seed and count give the same records on
// every machine (seeded PRNG, fixed reference date), and a longer run starts with the shorter one's records.
// Every ID number is valid and unique; licence, plate, card and social insurance numbers are unique too, and
// populations from different seeds share none of them (see seedBlock).
import type { Writable } from 'node:stream';
import { once } from 'node:events';
import type { Relation, VehicleType } from '../db/schema.ts';
import { csvLine, CSV_COLUMNS, recordToCsvCells } from './import/csv-columns.ts';
import type { Format } from './import/readers.ts';
import * as N from './names.ts';
import { makePersonalId, PROVINCES, type Sex } from './personal-id.ts';
import type { DriverLicenseInput, PopulationRecord, RelativeInput, VehicleInput } from './records.ts';

export interface GenerateOptions {
  count: number;
  seed?: string | number;
  /** Ages and document dates are relative to this day (YYYY-MM-DD), not to today: output must not drift. */
  asOf?: string;
}

export const DEFAULT_AS_OF = '2026-01-01';
const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** sfc32, seeded through a string hash: tiny, fast, and identical everywhere (no platform randomness). */
function random(seed: string) {
  let h = 1779033703 ^ seed.length;
  const mix = () => {
    for (let i = 0; i < seed.length; i++) {
      h = Math.imul(h ^ seed.charCodeAt(i), 3432918353);
      h = (h << 13) | (h >>> 19);
    }
    h = Math.imul(h ^ (h >>> 16), 2246822507);
    h = Math.imul(h ^ (h >>> 13), 3266489909);
    return (h ^= h >>> 16) >>> 0;
  };
  let [a, b, c, d] = [mix(), mix(), mix(), mix()];
  const next = () => {
    a >>>= 0; b >>>= 0; c >>>= 0; d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
  const chance = (p: number) => next() < p;
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const weighted = (table: N.Weighted): string => {
    let roll = next() * table.reduce((sum, [, w]) => sum + w, 0);
    for (const [value, weight] of table) if ((roll -= weight) < 0) return value;
    return table[table.length - 1]![0];
  };
  return { next, int, chance, pick, weighted };
}

// n ↦ (n·7919 + offset) mod m is a bijection on 0..m-1 (7919 is prime to 2, 3 and 5), so counters become
// unique, random-looking serials.
const spread = (n: number, modulus: number, key: string) => (n * 7919 + (fnv1a(key) % modulus)) % modulus;
const fnv1a = (text: string) => {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
};
const digits = (n: number, width: number) => String(n).padStart(width, '0');

/**
 * Every number range (ID serials per province, sex and year; licences; plates; social insurance codes) is cut
 * into SEED_BLOCKS equal blocks, and a seed numbers its people only inside its own block: two populations whose
 * seeds have different blocks share no number at all, whatever their counts. Block 0 belongs to the sandbox's
 * seed alone, so nothing generated ever meets the sandbox's population; seeds "1" to "99" take the block of
 * their number; any other seed a hashed block from 1 to 99 (two such seeds share one with probability 1/99).
 */
export const SEED_BLOCKS = 100;
export const SANDBOX_SEED = 'sandbox';
export function seedBlock(seed: string | number): number {
  const text = String(seed);
  if (text === SANDBOX_SEED) return 0;
  if (/^[1-9][0-9]?$/.test(text)) return Number(text);
  return 1 + (fnv1a(`block:${text}`) % (SEED_BLOCKS - 1));
}
/** Room per block: ID serials 100000–999999 for each province, sex and birth year; more is a RangeError. */
export const PEOPLE_PER_YEAR_AND_PROVINCE = 900_000 / SEED_BLOCKS;

/**
 * The hand-made sandbox citizens' document numbers (src/sandbox/seed.ts; a unit test keeps the lists equal):
 * a generated document skips them. Their ID numbers need no list: all have serials below 100000.
 */
export const HAND_MADE_DOCUMENTS: ReadonlySet<string> = new Set(['010123456789', '29A-123.45', 'DN4010123456789', '0112345678', '4812345678']);

interface Person {
  record: PopulationRecord;
  sex: Sex;
  year: number;
  born: number;
  age: number;
  fullName: string;
}
type Residence = NonNullable<PopulationRecord['residence']>;
/** Where a household lives: plates, licences and insurance codes are issued there. */
interface Home {
  code: string;
  residence: Residence;
}

const ADULT_AGES: N.Weighted = [['20', 20], ['30', 22], ['40', 20], ['50', 17], ['60', 12], ['70', 6], ['80', 2.5], ['90', 0.5]];
const PROVINCE_WEIGHTS: N.Weighted = Object.entries(N.PROVINCE_FACTS).map(([code, [population]]) => [code, population]);
const LICENCE_CLASSES: N.Weighted = [['A1', 55], ['A1,A2', 5], ['B2', 25], ['B1', 5], ['C', 7], ['D', 2], ['E', 1]];
const MOTORCYCLE_SERIES = 'BCDEFGHKLMNPSTUVXYZ';
const CAR_SERIES = 'AEFGHK';
const TRUCK_SERIES = 'CD';

export function* generateRecords(options: GenerateOptions): Generator<PopulationRecord> {
  const seed = String(options.seed ?? 1);
  const rng = random(seed);
  const block = seedBlock(seed);
  const asOfDate = options.asOf ?? DEFAULT_AS_OF;
  const asOf = Date.parse(`${asOfDate}T00:00:00Z`);
  const asOfYear = new Date(asOf).getUTCFullYear();
  const counters = new Map<string, number>();
  const count = (key: string) => {
    const n = counters.get(key) ?? 0;
    counters.set(key, n + 1);
    return n;
  };
  const birthday = (p: Person, age: number) => Date.UTC(p.year + age, new Date(p.born).getUTCMonth(), new Date(p.born).getUTCDate());
  const between = (from: number, to: number) => from + Math.floor(rng.next() * Math.max(1, (to - from) / DAY)) * DAY;

  /** The next number from this seed's block of a range of `size` (= SEED_BLOCKS blocks), never a hand-made one. */
  const issue = (key: string, size: number, what: string, make: (index: number) => string) => {
    const room = size / SEED_BLOCKS;
    for (;;) {
      const n = count(key);
      if (n >= room) throw new RangeError(`seed ${JSON.stringify(seed)} has room for ${room} ${what}; generate fewer records per seed`);
      const number = make(block * room + spread(n, room, key));
      if (!HAND_MADE_DOCUMENTS.has(number)) return number;
    }
  };

  function personalId(province: string, sex: Sex, year: number): string {
    const key = makePersonalId(province, sex, year, 0).slice(0, 6);
    // Serials from 100000 up: the hand-made sandbox citizens (src/sandbox/seed.ts) all sit below.
    return issue(`id:${key}`, 900_000, `people of one sex born in ${year} in one province`, (i) => makePersonalId(province, sex, year, 100_000 + i));
  }

  function person(sex: Sex, age: number, family: string, province: string, home: Home, shared: Partial<PopulationRecord>): Person {
    const born = Date.UTC(asOfYear - age - 1, new Date(asOf).getUTCMonth(), new Date(asOf).getUTCDate()) + rng.int(1, 365) * DAY;
    const year = new Date(born).getUTCFullYear();
    const middle = rng.weighted(N.MIDDLE_NAMES[sex][year < 1980 ? 'older' : 'younger']);
    const given = rng.pick(N.GIVEN_NAMES[sex]);
    const record: PopulationRecord = {
      personal_id: personalId(province, sex, year),
      family_name: family,
      middle_name: middle,
      given_name: given,
      birthdate: iso(born),
      sex,
      nationality: 'Việt Nam',
      ...shared,
      residence: home.residence,
    };
    const p: Person = { record, sex, year, born, age, fullName: `${family} ${middle} ${given}` };
    documents(p, home);
    return p;
  }

  function documents(p: Person, home: Home): void {
    const r = p.record;
    const prov2 = home.code.slice(1);
    // Chip ID cards since 2021, compulsory from 14; renewed at 25, 40 and 60 (none within two years of a milestone).
    const earliest = p.age >= 14 ? Math.max(Date.UTC(2021, 0, 1), birthday(p, 14)) : Math.max(Date.UTC(2024, 6, 1), p.born + DAY);
    if ((p.age >= 14 ? rng.chance(0.97) : rng.chance(0.08)) && earliest < asOf - DAY) {
      const issued = between(earliest, asOf - DAY);
      const ageAtIssue = new Date(issued).getUTCFullYear() - p.year;
      const milestone = [14, 25, 40, 60].find((m) => m - ageAtIssue > 2);
      r.id_card = {
        issued_on: iso(issued),
        ...(milestone ? { expires_on: iso(birthday(p, milestone)) } : {}),
        issuer: issued >= Date.UTC(2024, 6, 1) ? N.ID_CARD_ISSUER_FROM_2024_07 : N.ID_CARD_ISSUER_BEFORE_2024_07,
      };
      r.portrait_ref = `portrait:${rng.int(0, 0xffffff).toString(16).padStart(6, '0')}${rng.int(0, 0xffffff).toString(16).padStart(6, '0')}`;
    }
    // One social insurance code per insured person (the last ten digits of the health card), unique per province.
    const code = issue(`si:${prov2}`, 100_000_000, 'social insurance codes in one province', (i) => `${prov2}${digits(i, 8)}`);
    const working = p.age >= 18 && p.age <= 60;
    if (working && rng.chance(0.55)) r.social_insurance_number = code;
    if (rng.chance(0.93)) {
      const [prefix, benefit] = p.age < 6 ? ['TE', 1] : p.age < 18 ? ['HS', 4] : p.age > 60 ? ['HT', 2] : r.social_insurance_number ? ['DN', 4] : ['GD', 4];
      const { ward, province, district } = home.residence;
      const clinic = rng.pick([`Trạm Y tế ${ward}`, `Bệnh viện Đa khoa ${province}`, `Trung tâm Y tế ${district}`]);
      r.health_insurance = { card_number: `${prefix}${benefit}${prov2}${code}`, clinic, valid_from: `${asOfYear}-01-01`, valid_to: `${asOfYear}-12-31` };
    }
    if (p.age < 18) return;
    const adult = Math.max(birthday(p, 18), asOf - 30 * 365 * DAY);
    if (rng.chance(p.age > 75 ? 0.1 : p.sex === 'male' ? 0.4 : 0.2)) {
      const classes = rng.weighted(LICENCE_CLASSES).split(',');
      const issued = between(adult, asOf - DAY);
      const years = classes.every((c) => c.startsWith('A')) ? 0 : classes.some((c) => c === 'B1' || c === 'B2') ? 10 : 5;
      const licence: DriverLicenseInput = { number: issue('licence', 10_000_000_000, 'driving licences', (i) => `${prov2}${digits(i, 10)}`), classes, issued_on: iso(issued) };
      if (years) licence.expires_on = iso(Date.UTC(new Date(issued).getUTCFullYear() + years, new Date(issued).getUTCMonth(), new Date(issued).getUTCDate()));
      r.driver_licenses = [licence];
    }
    const vehicles: VehicleInput[] = [];
    const vehicle = (type: VehicleType, series: string, motorcycle: boolean, brands: N.Weighted) => {
      const region = rng.pick(N.PROVINCE_FACTS[home.code]![1]);
      // Index i runs over every plate of the region's series: 100000 numbers per series letter (and digit).
      const plate = issue(`plate:${region}:${type}`, series.length * (motorcycle ? 9 : 1) * 100_000, `${type} plates in region ${region}`, (i) => {
        const run = Math.floor(i / 100_000);
        const letter = series[motorcycle ? Math.floor(run / 9) : run]!;
        const number = digits(spread(i % 100_000, 100_000, `${region}${letter}`), 5);
        return `${region}${letter}${motorcycle ? (run % 9) + 1 : ''}-${number.slice(0, 3)}.${number.slice(3)}`;
      });
      vehicles.push({ plate, type, brand: rng.weighted(brands), registered_on: iso(between(adult, asOf - DAY)) });
    };
    if (rng.chance(p.age > 70 ? 0.25 : 0.55)) vehicle('motorcycle', MOTORCYCLE_SERIES, true, N.MOTORCYCLE_BRANDS);
    if (rng.chance(0.08)) vehicle('motorcycle', MOTORCYCLE_SERIES, true, N.MOTORCYCLE_BRANDS);
    if (p.age >= 25 && p.age <= 70 && rng.chance(0.08)) vehicle('car', CAR_SERIES, false, N.CAR_BRANDS);
    if (rng.chance(0.01)) vehicle('truck', TRUCK_SERIES, false, N.TRUCK_BRANDS);
    if (vehicles.length > 0) r.vehicles = vehicles;
  }

  function homeIn(province: string): Home {
    const place = () => rng.pick(N.PLACES);
    const urban = N.CITIES.has(province) || rng.chance(0.35);
    const street = urban ? `Số ${rng.int(1, 350)} ${rng.chance(0.5) ? 'đường' : 'phố'} ${rng.pick(N.STREETS)}` : `${Number(province) >= 70 ? 'Ấp' : 'Thôn'} ${place()}`;
    const district = urban ? `${N.CITIES.has(province) ? 'Quận' : 'Thành phố'} ${place()}` : `Huyện ${place()}`;
    return { code: province, residence: { street, ward: `${urban ? 'Phường' : 'Xã'} ${place()}`, district, province: PROVINCES.get(province)! } };
  }

  const related = (p: Person): RelativeInput => ({ personal_id: p.record.personal_id, full_name: p.fullName, birth_year: p.year });
  const relate = (p: Person, relation: Relation, relative: RelativeInput) => void ((p.record.relatives ??= {})[relation] = relative);
  /** Parents of an adult, usually outside the file: a name and a year, no number. */
  const elders = (p: Person, paternal: string) => {
    if (!rng.chance(p.age < 70 ? 0.8 : 0.4)) return;
    const name = (family: string, sex: Sex) => `${family} ${rng.weighted(N.MIDDLE_NAMES[sex].older)} ${rng.pick(N.GIVEN_NAMES[sex])}`;
    relate(p, 'father', { full_name: name(paternal, 'male'), birth_year: Math.max(1800, p.year - rng.int(22, 38)) });
    relate(p, 'mother', { full_name: name(rng.weighted(N.FAMILY_NAMES), 'female'), birth_year: Math.max(1800, p.year - rng.int(20, 35)) });
  };

  function household(): Person[] {
    const province = rng.weighted(PROVINCE_WEIGHTS);
    const home = homeIn(province);
    const shared = { ethnicity: rng.weighted(N.ETHNICITIES), religion: rng.weighted(N.RELIGIONS) };
    const origin = () => `Xã ${rng.pick(N.PLACES)}, ${PROVINCES.get(rng.weighted(PROVINCE_WEIGHTS))}`;
    const birthProvince = (p: number) => (rng.chance(p) ? province : rng.weighted(PROVINCE_WEIGHTS));
    const adultAge = (min: number, max: number) => Math.min(max, Math.max(min, Number(rng.weighted(ADULT_AGES)) + rng.int(0, 9)));
    const family = rng.weighted(N.FAMILY_NAMES);
    const kind = rng.weighted([['couple', 70], ['single', 17], ['single_parent', 9], ['grandparent', 4]]);
    const members: Person[] = [];
    const child = (age: number, childFamily: string, parents: { father?: Person; mother?: Person }) => {
      const c = person(rng.chance(0.51) ? 'male' : 'female', age, childFamily, birthProvince(0.9), home, { ...shared, place_of_origin: (parents.father ?? parents.mother)?.record.place_of_origin ?? origin() });
      if (parents.father) relate(c, 'father', related(parents.father));
      if (parents.mother) relate(c, 'mother', related(parents.mother));
      members.push(c);
      return c;
    };

    if (kind === 'couple') {
      const husbandAge = adultAge(20, 95);
      const husband = person('male', husbandAge, family, birthProvince(0.75), home, { ...shared, place_of_origin: origin() });
      const wife = person('female', Math.min(95, Math.max(18, husbandAge - rng.int(0, 7) + (rng.chance(0.15) ? rng.int(1, 3) : 0))), rng.weighted(N.FAMILY_NAMES), birthProvince(0.75), home, { ...shared, place_of_origin: origin() });
      relate(husband, 'spouse', related(wife));
      relate(wife, 'spouse', related(husband));
      elders(husband, husband.record.family_name);
      elders(wife, wife.record.family_name);
      members.push(husband, wife);
      const children = Number(rng.weighted([['0', 12], ['1', 28], ['2', 42], ['3', 18]]));
      for (let i = 0; i < children && wife.age >= 20; i++) {
        const age = wife.age - rng.int(20, Math.min(wife.age, 42));
        if (age <= 30) child(age, family, { father: husband, mother: wife });
      }
    } else if (kind === 'single') {
      const p = person(rng.chance(0.5) ? 'male' : 'female', rng.chance(0.4) ? rng.int(18, 30) : adultAge(18, 95), family, birthProvince(0.7), home, { ...shared, place_of_origin: origin() });
      elders(p, family);
      members.push(p);
    } else if (kind === 'single_parent') {
      const mother = person('female', rng.int(22, 55), family, birthProvince(0.75), home, { ...shared, place_of_origin: origin() });
      elders(mother, family);
      members.push(mother);
      const fatherFamily = rng.weighted(N.FAMILY_NAMES);
      for (let i = rng.int(1, 2); i > 0; i--) {
        const c = child(mother.age - rng.int(20, Math.min(mother.age, 40)), fatherFamily, { mother });
        if (rng.chance(0.6)) relate(c, 'father', { full_name: `${fatherFamily} ${rng.weighted(N.MIDDLE_NAMES.male.younger)} ${rng.pick(N.GIVEN_NAMES.male)}`, birth_year: c.year - rng.int(22, 40) });
      }
    } else {
      // Grandchildren in a grandparent's care: the grandparent is their guardian; the parents live elsewhere.
      const grand = person(rng.chance(0.5) ? 'male' : 'female', rng.int(55, 80), family, birthProvince(0.8), home, { ...shared, place_of_origin: origin() });
      members.push(grand);
      const childFamily = grand.sex === 'male' ? family : rng.weighted(N.FAMILY_NAMES);
      for (let i = rng.int(1, 2); i > 0; i--) {
        const c = child(rng.int(0, 15), childFamily, {});
        relate(c, 'father', { full_name: `${childFamily} ${rng.weighted(N.MIDDLE_NAMES.male.younger)} ${rng.pick(N.GIVEN_NAMES.male)}`, birth_year: c.year - rng.int(22, 35) });
        relate(c, 'guardian', related(grand));
      }
    }
    return members;
  }

  for (let produced = 0; produced < options.count; ) {
    for (const member of household()) {
      if (produced++ >= options.count) return;
      yield member.record;
    }
  }
}

/** Writes records as NDJSON or CSV (README, "Population record import"), waiting whenever `out` is behind. */
export async function writeRecords(records: Iterable<PopulationRecord>, format: Format, out: Writable): Promise<number> {
  let written = 0;
  let chunk = format === 'csv' ? csvLine(CSV_COLUMNS) : '';
  for (const record of records) {
    chunk += format === 'csv' ? csvLine(recordToCsvCells(record)) : `${JSON.stringify(record)}\n`;
    written += 1;
    if (chunk.length >= 64 * 1024) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  if (chunk !== '' && !out.write(chunk)) await once(out, 'drain');
  return written;
}
