// Database metrics: query latency from a Kysely plugin (labelled by the kind of statement only, never its text
// or values), and the pg pool's connections read at scrape time. PGlite is one connection in this process: its
// pool is reported as that one connection, and the waiting shows as query latency.
import type { Kysely, KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryId, QueryResult, RootOperationNode, UnknownRow } from 'kysely';
import { Gauge, type Registry } from 'prom-client';
import type { Database } from '../db/database.ts';
import type { Schema } from '../db/schema.ts';
import type { Metrics } from './metrics.ts';

const NODE_OPERATIONS: Record<string, string> = {
  SelectQueryNode: 'select',
  InsertQueryNode: 'insert',
  UpdateQueryNode: 'update',
  DeleteQueryNode: 'delete',
  MergeQueryNode: 'merge',
};
// `call`: a procedure that writes (write_provider_state: what one protocol request changed).
const RAW_OPERATIONS = new Set(['select', 'insert', 'update', 'delete', 'merge', 'with', 'call']);

/** The kind of statement: a fixed set of words, so the label's cardinality is bounded whatever the SQL. */
export function operationOf(node: RootOperationNode): string {
  const known = NODE_OPERATIONS[node.kind];
  if (known) return known;
  if (node.kind === 'RawNode') {
    const word = /^\s*([a-z]+)/i.exec(node.sqlFragments[0] ?? '')?.[1]?.toLowerCase() ?? '';
    return RAW_OPERATIONS.has(word) ? word : 'other';
  }
  return 'schema';
}

/**
 * Times each query from the moment it is built to its result. Kysely calls transformQuery once per execution and
 * transformResult with the same queryId (the pattern its KyselyPlugin documentation gives); a query that fails
 * never reaches transformResult, so only successes are timed and its entry is simply collected with the id.
 */
class QueryTiming implements KyselyPlugin {
  readonly #started = new WeakMap<QueryId, { at: number; operation: string }>();
  readonly #metrics: Metrics;
  constructor(metrics: Metrics) {
    this.#metrics = metrics;
  }

  transformQuery({ node, queryId }: PluginTransformQueryArgs): RootOperationNode {
    this.#started.set(queryId, { at: performance.now(), operation: operationOf(node) });
    return node;
  }

  async transformResult({ result, queryId }: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    const started = this.#started.get(queryId);
    if (started) {
      this.#started.delete(queryId);
      this.#metrics.queryDuration.observe({ operation: started.operation }, (performance.now() - started.at) / 1000);
    }
    return result;
  }
}

export function observeQueries(db: Kysely<Schema>, metrics: Metrics): Kysely<Schema> {
  return db.withPlugin(new QueryTiming(metrics));
}

export function poolGauges(database: Database, registry: Registry) {
  const registers = [registry];
  // One figure for the instance, not one per worker: with WORKERS > 1 the primary takes the largest instead of
  // the sum (src/observability/cluster-metrics.ts), so it reads 1 however many workers there are.
  new Gauge({
    name: 'dinhdanh_db_info',
    help: 'The database engine this instance uses (always 1)',
    labelNames: ['engine'] as const,
    registers,
    aggregator: 'max',
  }).set({ engine: database.engine }, 1);
  const gauge = (name: string, help: string, read: () => number) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(read());
      },
    });
  const pool = database.poolUse?.bind(database);
  gauge('dinhdanh_db_pool_connections', 'Connections the pool holds open (PGlite: its one connection)', () => pool?.().total ?? 1);
  gauge('dinhdanh_db_pool_max_connections', 'Connections the pool may open (PGlite: 1)', () => pool?.().max ?? 1);
  // PGlite has no idle connection or queue of its own to report.
  if (!pool) return;
  gauge('dinhdanh_db_pool_idle_connections', 'Open connections not in use', () => pool().idle);
  gauge('dinhdanh_db_pool_waiting_queries', 'Queries waiting for a free connection', () => pool().waiting);
}
