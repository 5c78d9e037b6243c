// JSON Schema pieces shared by our JSON APIs (officer, operator): refusals and the answers every route can give.
// Plain JSON Schema, compatible with draft-07 (Fastify's Ajv) and 2020-12 (OpenAPI 3.1) alike.

export const UUID_PATTERN = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';

export const uuid = { type: 'string', format: 'uuid' } as const;
export const dateTime = { type: 'string', format: 'date-time' } as const;
export const nullable = <S extends { type: string }>(schema: S) => ({ ...schema, type: [schema.type, 'null'] }) as const;

/** `{error, error_description}` with a stable code; `codes` lists the codes this answer can carry. */
export function refusal(description: string, codes?: readonly string[], extra: Record<string, object> = {}) {
  return {
    description,
    type: 'object',
    required: ['error', 'error_description'],
    additionalProperties: false,
    properties: {
      error: { type: 'string', ...(codes ? { enum: [...codes] } : {}) },
      error_description: { type: 'string', description: 'what went wrong, for a person' },
      ...extra,
    },
  } as const;
}

/**
 * What any route of a JSON API may answer besides its own outcomes: a request its schema refuses (400, naming the
 * field), other refusals before the handler (body too large, wrong media type, rate limit: 4xx), a concurrent
 * change (409 conflict) and the database briefly away (503) or a fault (500).
 */
export const commonResponses = {
  400: refusal('the request does not match this route\'s schema; error_description names the field', ['invalid_request']),
  '4xx': refusal('refused before the route ran (body too large, unsupported media type, too many requests, …)'),
  '5xx': refusal('the database is briefly unavailable (503, with Retry-After) or an unexpected error (500)', ['temporarily_unavailable', 'server_error']),
} as const;

export const bearerResponses = {
  401: { ...refusal('no valid session token: sign in again', ['invalid_token']), headers: { 'www-authenticate': { type: 'string', description: 'Bearer realm=…' } } },
} as const;
