// A few records straight into the tables, for the sandbox seed and tests (extracts go through
// importExtract): each record is checked like an imported line, and a number already present is left as it is.
import type { Kysely } from 'kysely';
import type { Schema } from '../../db/schema.ts';
import { validateRecord, type PopulationRecord, type RecordRows } from '../records.ts';

const CHUNK = 500;

/** Inserts the records that are not there yet, in one transaction; returns how many it inserted. */
export async function insertRecords(db: Kysely<Schema>, records: Iterable<PopulationRecord>, today = new Date().toISOString().slice(0, 10)): Promise<number> {
  const all: RecordRows[] = [];
  let index = 0;
  for (const record of records) {
    const result = validateRecord(record, today);
    // The reason, not the record: even synthetic records are not printed.
    if (!result.ok) throw new Error(`record #${index} refused: ${result.reject.reason} (${result.reject.message})`);
    all.push(result.rows);
    index += 1;
  }
  return db.transaction().execute(async (trx) => {
    let inserted = 0;
    for (let start = 0; start < all.length; start += CHUNK) {
      const chunk = all.slice(start, start + CHUNK);
      const fresh = new Set(
        (
          await trx
            .insertInto('citizens')
            .values(chunk.map((r) => r.citizen))
            .onConflict((oc) => oc.column('personal_id').doNothing())
            .returning('personal_id')
            .execute()
        ).map((r) => r.personal_id),
      );
      const added = chunk.filter((r) => fresh.has(r.citizen.personal_id));
      const relatives = added.flatMap((r) => r.relatives);
      const licences = added.flatMap((r) => r.driverLicenses);
      const vehicles = added.flatMap((r) => r.vehicles);
      const insurance = added.flatMap((r) => (r.healthInsurance ? [r.healthInsurance] : []));
      if (relatives.length > 0) await trx.insertInto('citizen_relatives').values(relatives).execute();
      if (licences.length > 0) await trx.insertInto('driver_licenses').values(licences).execute();
      if (vehicles.length > 0) await trx.insertInto('vehicle_registrations').values(vehicles).execute();
      if (insurance.length > 0) await trx.insertInto('health_insurance_cards').values(insurance).execute();
      inserted += added.length;
    }
    return inserted;
  });
}
