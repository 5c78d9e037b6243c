// JSON schemas of the sharing routes of the app API: they validate requests, shape answers and document them in
// /app/openapi.json beside the device routes.
import { deviceResponses } from '../devices/schemas.ts';
import { dateTime, refusal } from '../http/api-schemas.ts';
import { SHAREABLE } from './attributes.ts';
import { COUNTER_AUDIENCE, SHARING_SECONDS } from './credential.ts';
import { MAX_PRESENTATION } from './verify.ts';

const SHARING_ID_PATTERN = '^[A-Za-z0-9_-]{16,64}$';

export const sharingSchemas = {
  create: {
    tags: ['sharing'],
    operationId: 'createSharing',
    summary: `Share chosen attributes at a counter: a credential for this device, valid ${SHARING_SECONDS / 60} minutes and once`,
    description:
      'Answers an SD-JWT VC (typ dc+sd-jwt) signed with the provider\'s published ES256 key, one disclosure per chosen attribute, bound to ' +
      `this device's key (cnf.jwk). The app adds a key-binding JWT (typ kb+jwt, ES256 by the device key, aud "${COUNTER_AUDIENCE}", nonce = ` +
      'the sharing_id, iat now, sd_hash over the presentation) and shows the result as a QR code; POST /app/sharings/{id}/qr draws it.',
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['attributes'],
      properties: {
        attributes: { type: 'array', minItems: 1, maxItems: SHAREABLE.length, uniqueItems: true, items: { type: 'string', enum: [...SHAREABLE] }, description: 'what the citizen chose to show' },
      },
    },
    response: {
      ...deviceResponses,
      201: {
        type: 'object',
        additionalProperties: false,
        required: ['sharing_id', 'credential', 'attributes', 'expires_at', 'expires_in', 'key_binding'],
        properties: {
          sharing_id: { type: 'string', description: 'the credential\'s jti' },
          credential: { type: 'string', description: 'the SD-JWT with every disclosure, ending in "~"' },
          attributes: { type: 'array', items: { type: 'string' } },
          expires_at: dateTime,
          expires_in: { type: 'integer' },
          key_binding: {
            type: 'object',
            additionalProperties: false,
            required: ['aud', 'nonce'],
            properties: { aud: { type: 'string' }, nonce: { type: 'string' } },
            description: 'what the key-binding JWT must carry',
          },
        },
      },
      400: refusal('no attributes, an attribute the record has no value for, or a malformed request', ['invalid_request']),
      403: refusal('the account cannot share', ['access_denied']),
    },
  },
  qr: {
    tags: ['sharing'],
    operationId: 'sharingQrCode',
    summary: 'Check the presentation the app made of one of its sharings (without using it up) and draw it as an SVG QR code',
    params: { type: 'object', additionalProperties: false, required: ['id'], properties: { id: { type: 'string', pattern: SHARING_ID_PATTERN } } },
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['presentation'],
      properties: { presentation: { type: 'string', minLength: 1, maxLength: MAX_PRESENTATION, description: 'credential~chosen disclosures~key-binding JWT' } },
    },
    response: {
      ...deviceResponses,
      200: { type: 'object', additionalProperties: false, required: ['svg'], properties: { svg: { type: 'string', description: 'an inline SVG QR code of the presentation' } } },
      400: refusal('the presentation would be refused at a counter (reason says why), or is too long for one QR code', ['invalid_presentation', 'invalid_request'], {
        reason: { type: 'string', enum: ['malformed', 'unknown_key', 'tampered', 'expired', 'key_binding', 'replayed', 'revoked'] },
      }),
      404: refusal('no such sharing of this device', ['not_found']),
    },
  },
} as const;
