// Age in whole years on a given day, from an ISO birthdate (YYYY-MM-DD).
export function ageOn(birthdate: string, today: Date): number {
  const [y, m, d] = birthdate.split('-').map(Number) as [number, number, number];
  const years = today.getUTCFullYear() - y;
  const beforeBirthday = today.getUTCMonth() + 1 < m || (today.getUTCMonth() + 1 === m && today.getUTCDate() < d);
  return beforeBirthday ? years - 1 : years;
}

/** Citizens of this age and over apply for their own account; younger children are a guardian's dependents. */
export const OWN_ACCOUNT_AGE = 14;
