// The officer API's published OpenAPI 3.1 document: valid, complete, and true of what the API really answers.
import { Validator, type SpecData } from '@seriousme/openapi-schema-validator';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import formats from 'ajv-formats';
import { beforeAll, describe, expect, it } from 'vitest';
import { createOfficer } from '../../src/admin/officers.ts';
import { SANDBOX_CITIZENS, SANDBOX_UNREGISTERED } from '../../src/sandbox/seed.ts';
import { officerClient } from '../helpers/officer-api.ts';
import { sandboxProviderForSuite } from '../helpers/relying-party.ts';

const suite = sandboxProviderForSuite();

interface Operation {
  security?: unknown[];
  responses: Record<string, { content?: { 'application/json'?: { schema: object } }; headers?: Record<string, unknown> }>;
}
type Document = { openapi: string; servers: { url: string }[]; components: { securitySchemes: Record<string, unknown> }; paths: Record<string, Record<string, Operation>> };

const OFFICER_ROUTES = [
  'post /admin/sessions',
  'post /admin/sessions/enrolment',
  'get /admin/me',
  'delete /admin/sessions/current',
  'get /admin/citizens/{personalId}',
  'post /admin/applications',
  'get /admin/applications',
  'get /admin/applications/{id}',
  'post /admin/applications/{id}/approve',
  'post /admin/applications/{id}/reject',
  'get /admin/accounts/{id}',
  'post /admin/accounts/{id}/lock',
  'post /admin/accounts/{id}/unlock',
  'post /admin/accounts/{id}/phone',
  'post /admin/accounts/{id}/revoke',
  'get /admin/accounts/{id}/audit',
  'get /admin/officers',
  'post /admin/officers/{username}/unlock',
].sort();

let document: Document;
// Compiled from the published document (JSON Schema 2020-12, as OpenAPI 3.1 has it), not from the source.
const ajv = new Ajv2020({ allErrors: true, strict: false });
formats.default(ajv);
const validators = new Map<string, ValidateFunction>();

/** Checks a real answer against the document's schema for this operation and status (or its NXX range). */
function expectDocumented(method: string, path: string, answer: { status: number; body: unknown }) {
  const responses = document.paths[path]?.[method]?.responses;
  expect(responses, `${method} ${path} is documented`).toBeDefined();
  const key = String(answer.status) in responses! ? String(answer.status) : `${String(answer.status)[0]}XX`;
  const schema = responses![key]?.content?.['application/json']?.schema;
  expect(schema, `${method} ${path} documents ${answer.status}`).toBeDefined();
  const id = `${method} ${path} ${key}`;
  if (!validators.has(id)) validators.set(id, ajv.compile(schema!));
  const validate = validators.get(id)!;
  expect(validate(answer.body), `${id}: ${ajv.errorsText(validate.errors)}`).toBe(true);
}

async function call(method: string, path: string, options: { body?: unknown; token?: string } = {}) {
  const response = await fetch(`${suite.provider.url}${path}`, {
    method,
    headers: { ...(options.token ? { authorization: `Bearer ${options.token}` } : {}), ...(options.body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

beforeAll(async () => {
  const response = await fetch(`${suite.provider.url}/admin/openapi.json`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('application/json');
  document = (await response.json()) as Document;
});

describe('/admin/openapi.json', () => {
  it('is a valid OpenAPI 3.1 document, served without a token, with the issuer as server and a bearer scheme', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(document) as unknown as SpecData);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
    expect(document.openapi).toBe('3.1.0');
    expect(document.servers).toEqual([{ url: suite.provider.url }]);
    expect(document.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    // Every schema in it compiles as JSON Schema 2020-12.
    for (const [path, methods] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(methods)) {
        for (const response of Object.values(operation.responses)) {
          const schema = response.content?.['application/json']?.schema;
          if (schema) expect(() => ajv.compile(schema), `${method} ${path}`).not.toThrow();
        }
      }
    }
  });

  it('lists every officer route with its methods and nothing else; only sign-in needs no token', () => {
    const listed = Object.entries(document.paths).flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method} ${path}`));
    expect(listed.sort()).toEqual(OFFICER_ROUTES);
    const open = listed.filter((route) => {
      const [method, path] = route.split(' ') as [string, string];
      return document.paths[path]![method]!.security?.length === 0;
    });
    expect(open.sort()).toEqual(['post /admin/sessions', 'post /admin/sessions/enrolment']);
    expect(document.paths['/admin/sessions']!.post!.responses['429']).toMatchObject({ headers: { 'retry-after': { schema: { type: 'string' } } } });
    expect(document.paths['/admin/me']!.get!.responses['401']).toMatchObject({ headers: { 'www-authenticate': { schema: { type: 'string' } } } });
    for (const route of OFFICER_ROUTES) {
      const [method, path] = route.split(' ') as [string, string];
      const responses = Object.keys(document.paths[path]![method]!.responses);
      expect(responses, route).toEqual(expect.arrayContaining(['400', '4XX', '5XX']));
      if (!path.startsWith('/admin/sessions') || method === 'delete') expect(responses, route).toContain('401');
    }
  });
});

describe('what the officer API answers', () => {
  it('matches the document: sign-in, enrolment, lookups, the application from filing to approval, locks and refusals', async () => {
    const { url } = suite.provider;
    const officer = await officerClient(url, 'canbo');
    const supervisor = await officerClient(url, 'giamsat');
    const asOfficer = (method: string, path: string, body?: unknown) => call(method, path, { token: officer.token, body });
    const asSupervisor = (method: string, path: string, body?: unknown) => call(method, path, { token: supervisor.token, body });
    const check = async (method: string, path: string, answer: Promise<{ status: number; body: unknown }>, status: number) => {
      const got = await answer;
      expect(got.status, `${method} ${path}: ${JSON.stringify(got.body)}`).toBe(status);
      expectDocumented(method, path, got);
      return got.body as Record<string, any>;
    };

    // Sign-in: a wrong password, and the enrolment a new officer gets.
    await check('post', '/admin/sessions', call('POST', '/admin/sessions', { body: { username: 'canbo', password: 'wrong-password' } }), 401);
    await createOfficer(suite.provider.database.db, suite.provider.services.passwords, { username: 'moi', fullName: 'Cán bộ Mới', role: 'officer', policeUnit: 'Công an phường Hoàn Kiếm', password: 'Moi@Sandbox2026-long' });
    const enrolment = await check('post', '/admin/sessions', call('POST', '/admin/sessions', { body: { username: 'moi', password: 'Moi@Sandbox2026-long' } }), 200);
    expect(enrolment).toMatchObject({ enrolment_required: 'totp', totp: { digits: 6, period: 30 } });
    expect(enrolment.next).toContain('/admin/sessions/enrolment');
    await check('post', '/admin/sessions/enrolment', call('POST', '/admin/sessions/enrolment', { body: { enrolment_token: enrolment.enrolment_token, otp: '000000' } }), 401);

    const me = await check('get', '/admin/me', asOfficer('GET', '/admin/me'), 200);
    expect(me).toMatchObject({ username: 'canbo', fullName: expect.any(String), role: 'officer', policeUnit: expect.any(String) });
    await check('get', '/admin/me', call('GET', '/admin/me'), 401);

    const registered = await check('get', '/admin/citizens/{personalId}', asOfficer('GET', `/admin/citizens/${SANDBOX_CITIZENS[0]!.personalId}`), 200);
    expect(registered.account).toMatchObject({ level: 2, status: 'active' });
    expect(registered.children_under_14.length).toBeGreaterThan(0);
    const [hoa, khoi, long] = SANDBOX_UNREGISTERED;
    const mother = await check('get', '/admin/citizens/{personalId}', asOfficer('GET', `/admin/citizens/${hoa!.personalId}`), 200);
    expect(mother).toMatchObject({ account: null, open_application: null, documents_on_record: expect.any(Object) });
    await check('get', '/admin/citizens/{personalId}', asOfficer('GET', '/admin/citizens/001090999999'), 404);

    await check('post', '/admin/applications', asOfficer('POST', '/admin/applications', { personal_id: khoi!.personalId, phone: '0912111222', requested_level: 1 }), 422);
    await check('post', '/admin/applications', asOfficer('POST', '/admin/applications', { personal_id: SANDBOX_CITIZENS[0]!.personalId, phone: '0912111222', requested_level: 1 }), 409);
    const filed = await check('post', '/admin/applications', asOfficer('POST', '/admin/applications', { personal_id: long!.personalId, phone: '0912 111 222', email: 'long@example.vn', requested_level: 1 }), 201);
    expect(filed).toMatchObject({ status: 'applied', personal_id: long!.personalId, email: 'long@example.vn', decided_at: null, documents: [], dependents: [] });
    const queue = await check('get', '/admin/applications', asOfficer('GET', '/admin/applications?status=applied'), 200);
    expect(queue.applications.map((a: { id: string }) => a.id)).toContain(filed.id);
    await check('get', '/admin/applications/{id}', asOfficer('GET', `/admin/applications/${filed.id}`), 200);
    await check('post', '/admin/applications/{id}/approve', asOfficer('POST', `/admin/applications/${filed.id}/approve`), 403);
    const approved = await check('post', '/admin/applications/{id}/approve', asSupervisor('POST', `/admin/applications/${filed.id}/approve`), 200);
    expect(approved).toEqual({ status: 'approved', account_id: expect.any(String) });
    await check('post', '/admin/applications/{id}/reject', asSupervisor('POST', `/admin/applications/${filed.id}/reject`, { reason: 'too late' }), 409);

    const accountPath = `/admin/accounts/${approved.account_id}`;
    const account = await check('get', '/admin/accounts/{id}', asOfficer('GET', accountPath), 200);
    expect(account).toMatchObject({ status: 'active', level: 1, name: 'Bùi Văn Long', password_must_change: true, locked_until: null, dependents: [] });
    const locked = await check('post', '/admin/accounts/{id}/lock', asOfficer('POST', `${accountPath}/lock`, { reason: 'lost the ID card' }), 200);
    expect(locked).toMatchObject({ status: 'locked', lock_reason: 'officer' });
    await check('post', '/admin/accounts/{id}/unlock', asOfficer('POST', `${accountPath}/unlock`), 200);
    await check('post', '/admin/accounts/{id}/unlock', asOfficer('POST', `${accountPath}/unlock`), 409);
    await check('post', '/admin/accounts/{id}/revoke', asOfficer('POST', `${accountPath}/revoke`, { reason: 'deceased' }), 403);
    const trail = await check('get', '/admin/accounts/{id}/audit', asSupervisor('GET', `${accountPath}/audit`), 200);
    expect(trail.events.map((e: { action: string }) => e.action)).toEqual(['account.issued', 'account.viewed', 'account.locked', 'account.unlocked']);
    expect(trail.events[2]).toMatchObject({ actor_type: 'officer', detail: { reason: 'officer', note: 'lost the ID card' } });
    await check('get', '/admin/accounts/{id}', asOfficer('GET', '/admin/accounts/7f1c1c52-8f1e-4f55-9d55-5b1c2d3e4f50'), 404);
    await check('post', '/admin/accounts/{id}/phone', asOfficer('POST', `${accountPath}/phone`, { phone: '0903 222 333', reason: 'new SIM' }), 403);
    await check('post', '/admin/accounts/{id}/phone', asSupervisor('POST', `${accountPath}/phone`, { phone: '0241234567', reason: 'new SIM' }), 422);
    const moved = await check('post', '/admin/accounts/{id}/phone', asSupervisor('POST', `${accountPath}/phone`, { phone: '0903 222 333', reason: 'new SIM' }), 200);
    expect(moved).toMatchObject({ phone: '+84903222333', phone_verified: true });
    await check('post', '/admin/accounts/{id}/phone', asSupervisor('POST', `${accountPath}/phone`, { phone: '+84903222333', reason: 'new SIM' }), 409);
    await check('post', '/admin/accounts/{id}/phone', asSupervisor('POST', '/admin/accounts/7f1c1c52-8f1e-4f55-9d55-5b1c2d3e4f50/phone', { phone: '0903222333', reason: 'new SIM' }), 404);

    const officers = await check('get', '/admin/officers', asSupervisor('GET', '/admin/officers'), 200);
    expect(officers.officers.find((o: { username: string }) => o.username === 'moi')).toMatchObject({ secondFactor: 'not_enrolled', disabled: false, lockedUntil: null });
    await check('get', '/admin/officers', asOfficer('GET', '/admin/officers'), 403);
    await check('post', '/admin/officers/{username}/unlock', asSupervisor('POST', '/admin/officers/canbo/unlock'), 409);
    await check('post', '/admin/officers/{username}/unlock', asSupervisor('POST', '/admin/officers/nobody/unlock'), 404);
  });

  it('refuses a request its schema does not allow with 400 invalid_request naming the field', async () => {
    const officer = await officerClient(suite.provider.url, 'canbo');
    const file = (body: Record<string, unknown>) => call('POST', '/admin/applications', { token: officer.token, body: { personal_id: '036079000987', phone: '0912111222', requested_level: 1, ...body } });
    const refused = async (answer: Promise<{ status: number; body: any }>, method: string, path: string) => {
      const got = await answer;
      expect(got.status).toBe(400);
      expect(got.body.error).toBe('invalid_request');
      expectDocumented(method, path, got);
      return got.body.error_description as string;
    };
    expect(await refused(file({ personal_id: '12345' }), 'post', '/admin/applications')).toBe('body/personal_id must match pattern "^[0-9]{12}$"');
    expect(await refused(file({ phone: undefined }), 'post', '/admin/applications')).toBe('body/phone is required');
    expect(await refused(file({ nickname: 'Long' }), 'post', '/admin/applications')).toBe('body/nickname is not a field this route takes');
    // JSON bodies are taken as sent: a number written as text is refused, not guessed.
    expect(await refused(file({ requested_level: '1' }), 'post', '/admin/applications')).toBe('body/requested_level must be integer');
    expect(await refused(file({ requested_level: 3 }), 'post', '/admin/applications')).toBe('body/requested_level must be one of 1, 2');
    expect(await refused(file({ documents: ['passport'] }), 'post', '/admin/applications')).toBe('body/documents/0 must be one of "driver_license", "vehicle_registration", "health_insurance", "social_insurance"');
    expect(await refused(call('GET', '/admin/applications?status=pending', { token: officer.token }), 'get', '/admin/applications')).toBe('querystring/status must be one of "applied", "approved", "rejected"');
    expect(await refused(call('GET', '/admin/accounts/not-a-uuid', { token: officer.token }), 'get', '/admin/accounts/{id}')).toMatch(/^params\/id must match pattern/);
    expect(await refused(call('POST', '/admin/sessions', { body: { username: 'canbo' } }), 'post', '/admin/sessions')).toBe('body/password is required');
    expect(await refused(call('POST', '/admin/accounts/7f1c1c52-8f1e-4f55-9d55-5b1c2d3e4f50/lock', { token: officer.token, body: {} }), 'post', '/admin/accounts/{id}/lock')).toBe('body/reason is required');
  });
});
