// Outside production every JSON answer of an API scope is checked against its route's response schema before it
// is serialized: Fastify's serializer silently drops undeclared fields, so a handler and its published schema that
// drift apart would otherwise go unnoticed. A mismatch is a server error that names the route and the field.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Ajv, type ValidateFunction } from 'ajv';
import formats from 'ajv-formats';

const ajv = new Ajv({ allErrors: true, strict: false });
formats.default(ajv);
const compiled = new WeakMap<object, ValidateFunction>();

function responseSchema(request: FastifyRequest, status: number): object | undefined {
  const response = request.routeOptions.schema?.response as Record<string, object> | undefined;
  if (!response) return undefined;
  return response[status] ?? response[`${String(status)[0]}xx`] ?? response.default;
}

export class ResponseSchemaMismatch extends Error {
  override name = 'ResponseSchemaMismatch';
}

export function checkResponses(scope: FastifyInstance): void {
  scope.addHook('preSerialization', async (request, reply, payload) => {
    const schema = responseSchema(request, reply.statusCode);
    if (!schema) return payload;
    let validate = compiled.get(schema);
    if (!validate) compiled.set(schema, (validate = ajv.compile(schema)));
    // What the client would receive: dates as ISO strings, undefined fields absent.
    if (!validate(JSON.parse(JSON.stringify(payload)))) {
      const where = `${request.method} ${request.routeOptions.url} ${reply.statusCode}`;
      throw new ResponseSchemaMismatch(`response of ${where} does not match its schema: ${ajv.errorsText(validate.errors, { dataVar: 'response' })}`);
    }
    return payload;
  });
}
