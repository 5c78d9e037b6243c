// apiDocument in one Fastify app twice (the officer API and the operator API live side by side): each document
// lists only its own scope's routes, strict validation and the response check stay inside their scope.
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiDocument } from '../../src/http/openapi.ts';

const ok = { type: 'object', additionalProperties: false, required: ['ok'], properties: { ok: { type: 'boolean' } } } as const;
const named = { type: 'object', additionalProperties: false, required: ['name'], properties: { name: { type: 'string', minLength: 2 } } } as const;

async function api(scope: FastifyInstance, name: string, checkResponses = true) {
  await apiDocument(scope, { title: `${name} API`, description: `the ${name} API`, version: '1', path: `/${name}/openapi.json`, server: 'https://id.example', checkResponses });
  scope.get(`/${name}/thing`, { schema: { response: { 200: ok } } }, async () => ({ ok: true }));
  // A handler that answers a field its schema does not declare: the serializer would drop it silently.
  scope.get(`/${name}/drifted`, { schema: { response: { 200: ok } } }, async () => ({ ok: true, undeclared: 'x' }));
  await scope.register(async (child) => {
    child.post(`/${name}/nested`, { schema: { body: named, response: { 200: ok } } }, async () => ({ ok: true }));
  });
}

let app: FastifyInstance;
beforeAll(async () => {
  app = Fastify();
  await app.register((scope) => api(scope, 'officer'));
  await app.register((scope) => api(scope, 'operator', false));
  app.post('/outside', { schema: { body: named } }, async (request) => request.body);
  await app.ready();
});
afterAll(() => app.close());

const documentOf = async (name: string) => (await app.inject({ method: 'GET', url: `/${name}/openapi.json` })).json();

describe('two API documents in one app', () => {
  it('each lists the routes of its own scope and its children, and nothing else', async () => {
    const officer = await documentOf('officer');
    const operator = await documentOf('operator');
    expect(officer.info.title).toBe('officer API');
    expect(Object.keys(officer.paths).sort()).toEqual(['/officer/drifted', '/officer/nested', '/officer/thing']);
    expect(operator.info.title).toBe('operator API');
    expect(Object.keys(operator.paths).sort()).toEqual(['/operator/drifted', '/operator/nested', '/operator/thing']);
    expect(operator.openapi).toBe('3.1.0');
    expect(operator.servers).toEqual([{ url: 'https://id.example' }]);
  });

  it('validates bodies strictly inside a scope, naming the field, and leaves routes outside as they were', async () => {
    const inside = await app.inject({ method: 'POST', url: '/officer/nested', payload: { name: 'An', extra: 1 } });
    expect(inside.statusCode).toBe(400);
    expect(inside.json().message).toBe('body/extra is not a field this route takes');
    const short = await app.inject({ method: 'POST', url: '/operator/nested', payload: { name: 'A' } });
    expect(short.json().message).toBe('body/name must NOT have fewer than 2 characters');
    // Fastify's own default outside: unknown fields are dropped, not refused.
    const outside = await app.inject({ method: 'POST', url: '/outside', payload: { name: 'An', extra: 1 } });
    expect(outside.statusCode).toBe(200);
    expect(outside.json()).toEqual({ name: 'An' });
  });

  it('fails loudly where responses are checked when a handler answers what its schema does not declare', async () => {
    expect((await app.inject({ method: 'GET', url: '/officer/thing' })).json()).toEqual({ ok: true });
    const drifted = await app.inject({ method: 'GET', url: '/officer/drifted' });
    expect(drifted.statusCode).toBe(500);
    expect(drifted.json().message).toContain('response of GET /officer/drifted 200 does not match its schema');
    // Unchecked (production): the serializer keeps to the schema and the undeclared field is dropped.
    const unchecked = await app.inject({ method: 'GET', url: '/operator/drifted' });
    expect(unchecked.statusCode).toBe(200);
    expect(unchecked.json()).toEqual({ ok: true });
  });
});
