// Liveness (the process answers) and readiness (the database answers) for orchestrators and load balancers.
import cluster from 'node:cluster';
import type { FastifyInstance } from 'fastify';
import { sql, type Kysely } from 'kysely';
import type { Schema } from './db/schema.ts';
import { RETRY_AFTER_SECONDS } from './db/unavailable.ts';

export async function healthRoutes(app: FastifyInstance, { db }: { db: Kysely<Schema> }) {
  // A worker names itself, so an operator (and a test) can tell which process answered.
  app.get('/healthz', async () => (cluster.isWorker ? { status: 'ok', worker: process.pid } : { status: 'ok' }));
  app.get('/readyz', async (request, reply) => {
    try {
      await sql`SELECT 1`.execute(db);
      return { status: 'ready' };
    } catch (error) {
      request.log.warn({ err: error }, 'database not reachable');
      return reply.code(503).header('retry-after', String(RETRY_AFTER_SECONDS)).send({ status: 'unavailable', reason: 'database not reachable' });
    }
  });
}
