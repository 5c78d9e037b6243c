// The operator API's published OpenAPI 3.1 document: valid, its own routes only, and true of real answers.
import { Validator, type SpecData } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import formats from 'ajv-formats';
import { expect, it } from 'vitest';
import { officerClient } from '../helpers/officer-api.ts';
import { REDIRECT_URI, sandboxProviderForSuite } from '../helpers/relying-party.ts';

const suite = sandboxProviderForSuite();
type Document = { openapi: string; paths: Record<string, Record<string, { responses: Record<string, { content?: { 'application/json'?: { schema: object } } }> }>> };

const OPERATOR_ROUTES = [
  'post /operator/clients', 'get /operator/clients', 'get /operator/clients/{clientId}', 'post /operator/clients/{clientId}/approve',
  'post /operator/clients/{clientId}/suspend', 'post /operator/clients/{clientId}/reinstate', 'post /operator/clients/{clientId}/secret',
  'put /operator/clients/{clientId}/approval', 'post /operator/resource-servers', 'get /operator/resource-servers',
  'get /operator/clients/{clientId}/resources', 'put /operator/clients/{clientId}/resources', 'delete /operator/clients/{clientId}/resources',
].sort();

it('publishes a valid OpenAPI 3.1 document of the operator routes, which real answers match', async () => {
  const response = await fetch(`${suite.provider.url}/operator/openapi.json`);
  expect(response.status).toBe(200);
  const document = (await response.json()) as Document;
  expect(document.openapi).toBe('3.1.0');
  const validation = await new Validator().validate(document as unknown as SpecData);
  expect(validation.valid, JSON.stringify(validation.errors)).toBe(true);
  const listed = Object.entries(document.paths).flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method} ${path}`)).sort();
  expect(listed).toEqual(OPERATOR_ROUTES);

  const ajv = new Ajv2020({ allErrors: true, strict: false });
  formats.default(ajv);
  const documented = (method: string, path: string, answer: { status: number; body: unknown }) => {
    const schema = document.paths[path]?.[method]?.responses[String(answer.status)]?.content?.['application/json']?.schema;
    expect(schema, `${method} ${path} documents ${answer.status}`).toBeDefined();
    const validate = ajv.compile(schema!);
    expect(validate(answer.body), `${method} ${path}: ${ajv.errorsText(validate.errors)}`).toBe(true);
  };
  const operator = await officerClient(suite.provider.url, 'vanhanh');
  const body = { client_id: 'tai-lieu', profile: 'public_service', client_name: 'Tài liệu', organisation_name: 'Bộ Tư pháp', contacts: ['it@moj.gov.vn'], scopes: ['openid'], metadata: { redirect_uris: [REDIRECT_URI] } };
  documented('post', '/operator/clients', await operator.call('POST', '/operator/clients', body));
  documented('post', '/operator/clients', await operator.call('POST', '/operator/clients', body));
  documented('get', '/operator/clients', await operator.call('GET', '/operator/clients'));
  documented('get', '/operator/clients/{clientId}', await operator.call('GET', '/operator/clients/tai-lieu'));
  documented('post', '/operator/clients/{clientId}/approve', await operator.call('POST', '/operator/clients/tai-lieu/approve'));
  documented('post', '/operator/clients/{clientId}/suspend', await operator.call('POST', '/operator/clients/tai-lieu/suspend', { reason: 'kiểm tra' }));
  documented('post', '/operator/clients/{clientId}/secret', await operator.call('POST', '/operator/clients/tai-lieu/secret'));
  documented('post', '/operator/resource-servers', await operator.call('POST', '/operator/resource-servers', { identifier: 'https://api.moj.gov.vn/', name: 'Hộ tịch', scopes: ['civil:read'] }));
  documented('put', '/operator/clients/{clientId}/resources', await operator.call('PUT', '/operator/clients/tai-lieu/resources', { resource: 'https://api.moj.gov.vn/', scopes: ['civil:read'] }));
  documented('get', '/operator/clients/{clientId}/resources', await operator.call('GET', '/operator/clients/tai-lieu/resources'));
  documented('get', '/operator/resource-servers', await operator.call('GET', '/operator/resource-servers'));
  // Bad input is refused naming the field, in the documented shape.
  const bad = await operator.call('POST', '/operator/clients', { ...body, client_id: 'x y', colour: 'red' });
  expect(bad.status).toBe(400);
  documented('post', '/operator/clients', bad);
  const grantUnknown = await operator.call('PUT', '/operator/clients/tai-lieu/resources', { resource: 'https://api.moj.gov.vn/', scopes: ['civil:write'] });
  expect(grantUnknown.status).toBe(400);
  expect(grantUnknown.body.error_description).toContain('civil:write');
});
