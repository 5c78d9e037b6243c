// A query built and compiled once, then run with each call's values. Kysely rebuilds and recompiles a query on
// every run: for the token read-ahead that took about 75 µs of CPU per userinfo call, more than this process's
// share of the round trip itself. The typed builder stays the source of the SQL.
import { createQueryId, type Compilable, type CompiledQuery, type Kysely } from 'kysely';

/** Values for a prepared query's named slots. */
export type SlotValues<Slot extends string> = Record<Slot, unknown>;

/**
 * `build` receives a stand-in value per slot and returns the query; each parameter that is a stand-in becomes that
 * slot's value at run time, every other parameter stays as built. Plugins (query timing) see every run.
 */
export function prepare<Row, Slot extends string>(db: Kysely<any>, slots: readonly Slot[], build: (slot: Record<Slot, string>) => Compilable<Row>): (values: SlotValues<Slot>) => Promise<Row[]> {
  // Stand-ins no real value takes: a private-use character and the slot's name.
  const standIns = Object.fromEntries(slots.map((slot) => [slot, `\u{E000}${slot}\u{E000}`])) as Record<Slot, string>;
  const compiled = build(standIns).compile();
  const slotAt = compiled.parameters.map((value) => slots.find((slot) => standIns[slot] === value));
  const missing = slots.filter((slot) => !slotAt.includes(slot));
  if (missing.length > 0) throw new Error(`prepared query has no parameter for ${missing.join(', ')}: ${compiled.sql}`);
  const executor = db.getExecutor();
  return async (values) => {
    const queryId = createQueryId();
    // Plugins see the query as if it were built now (QueryTiming starts its clock here); the SQL is the compiled one.
    const query = executor.transformQuery(compiled.query, queryId);
    const run: CompiledQuery<Row> = { query, queryId, sql: compiled.sql, parameters: slotAt.map((slot, i) => (slot === undefined ? compiled.parameters[i] : values[slot])) };
    return (await db.executeQuery(run)).rows;
  };
}
