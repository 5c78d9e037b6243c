// The pure rules behind metric labels and the /metrics token: closed sets whatever the input.
import { DummyDriver, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler, sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';
import type { Schema } from '../../src/db/schema.ts';
import { operationOf } from '../../src/observability/database.ts';
import { threadPoolSize } from '../../src/observability/passwords.ts';
import { bearerMatches } from '../../src/observability/plugin.ts';

// Kysely's way of building queries without a database (DummyDriver): only the operation trees are needed.
const db = new Kysely<Schema>({
  dialect: {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (k) => new PostgresIntrospector(k),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  },
});

describe('the operation label of a query', () => {
  it('is the kind of statement, never its text', () => {
    expect(operationOf(db.selectFrom('accounts').selectAll().toOperationNode())).toBe('select');
    expect(operationOf(db.insertInto('sms_outbox').values({ recipient: '+84912345678', purpose: 'sign_in_code', body: 'x' }).toOperationNode())).toBe('insert');
    expect(operationOf(db.updateTable('accounts').set({ status: 'active' }).toOperationNode())).toBe('update');
    expect(operationOf(db.deleteFrom('sms_outbox').toOperationNode())).toBe('delete');
  });

  it('reads the first word of raw SQL, and calls anything else "other"', () => {
    expect(operationOf(sql`SELECT 1`.toOperationNode())).toBe('select');
    expect(operationOf(sql`  with x as (select 1) select * from x`.toOperationNode())).toBe('with');
    expect(operationOf(sql`select pg_advisory_lock(${42})`.toOperationNode())).toBe('select');
    expect(operationOf(sql`call write_provider_state(${'[]'}::jsonb, ${'[]'}::jsonb)`.toOperationNode())).toBe('call');
    expect(operationOf(sql`LOCK TABLE accounts`.toOperationNode())).toBe('other');
    expect(operationOf(sql`${'001090012345'}`.toOperationNode())).toBe('other');
  });
});

describe('the /metrics bearer token', () => {
  const token = 'metrics-token-0123456789';
  it('matches only the exact token, sent as a bearer token', () => {
    expect(bearerMatches(`Bearer ${token}`, token)).toBe(true);
    expect(bearerMatches(`bearer ${token}`, token)).toBe(true);
    expect(bearerMatches(`Bearer ${token}x`, token)).toBe(false);
    expect(bearerMatches(`Bearer ${token.slice(0, -1)}`, token)).toBe(false);
    expect(bearerMatches(`Basic ${token}`, token)).toBe(false);
    expect(bearerMatches(undefined, token)).toBe(false);
    expect(bearerMatches('Bearer ', token)).toBe(false);
  });

  it('is a secret of some length (METRICS_TOKEN), and optional', () => {
    expect(() => loadConfig({ METRICS_TOKEN: 'short' })).toThrow(ConfigError);
    expect(() => loadConfig({ METRICS_TOKEN: 'short' })).toThrow(/METRICS_TOKEN/);
    expect(loadConfig({ METRICS_TOKEN: token }).metrics).toEqual({ token });
    expect(loadConfig({}).metrics).toEqual({ token: undefined });
  });
});

describe('the argon2 thread count', () => {
  it("is libuv's pool size: UV_THREADPOOL_SIZE, or 4", () => {
    expect(threadPoolSize({})).toBe(4);
    expect(threadPoolSize({ UV_THREADPOOL_SIZE: '8' })).toBe(8);
    expect(threadPoolSize({ UV_THREADPOOL_SIZE: 'many' })).toBe(4);
    expect(threadPoolSize({ UV_THREADPOOL_SIZE: '5000' })).toBe(1024);
  });
});
