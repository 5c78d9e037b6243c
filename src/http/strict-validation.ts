// Request validation for a JSON API scope: bodies are taken as sent (no type coercion, unknown fields refused
// rather than silently dropped) and every refusal names the field, e.g. "body/personal_id must match pattern …".
import type { FastifyInstance, FastifySchemaValidationError } from 'fastify';
import { Ajv, type Options } from 'ajv';
import formats from 'ajv-formats';

// Fastify's defaults (removeAdditional, coercion) suit HTML forms; an API caller deserves to hear what was wrong.
const common: Options = { allErrors: true, useDefaults: true, strict: false };
const MAX_MESSAGES = 5;

function compiler(options: Options) {
  const ajv = new Ajv({ ...common, ...options });
  formats.default(ajv);
  return ajv;
}

export function describeValidationErrors(errors: readonly FastifySchemaValidationError[], dataVar: string): string {
  // One message per field: a value of the wrong type need not also hear that it is not among the allowed ones.
  const byField = new Map<string, string>();
  for (const e of errors) {
    const at = `${dataVar}${e.instancePath ?? ''}`;
    const params = e.params as Record<string, unknown>;
    // A field's name is the caller's text: shown, but never at length.
    const name = (value: unknown) => `${at}/${String(value).slice(0, 40)}`;
    const [field, message] =
      e.keyword === 'required' ? [name(params.missingProperty), 'is required']
      : e.keyword === 'additionalProperties' ? [name(params.additionalProperty), 'is not a field this route takes']
      : e.keyword === 'enum' ? [at, `must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`]
      : [at, e.message ?? 'is not valid'];
    if (!byField.has(field)) byField.set(field, `${field} ${message}`);
  }
  const messages = [...byField.values()];
  return messages.slice(0, MAX_MESSAGES).join('; ') + (messages.length > MAX_MESSAGES ? `; and ${messages.length - MAX_MESSAGES} more` : '');
}

/** Call in the API's own encapsulated scope before its routes: their schemas are compiled with these. */
export function strictValidation(scope: FastifyInstance): void {
  const bodies = compiler({ coerceTypes: false, removeAdditional: false });
  // Path and query parameters arrive as text: "2" may stand for 2 there.
  const parameters = compiler({ coerceTypes: 'array', removeAdditional: false });
  scope.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? bodies : parameters).compile(schema));
  scope.setSchemaErrorFormatter((errors, dataVar) => new Error(describeValidationErrors(errors, dataVar)));
}
