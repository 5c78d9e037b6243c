// JSON schemas of the app API (/app): they validate requests, shape answers and make /app/openapi.json.
// Other parts of the app API (QR sign-in, CIBA, sharing) reuse `deviceResponses` for their signed routes.
import { commonResponses, dateTime, refusal } from '../http/api-schemas.ts';

export const DEVICE_ID_PATTERN = '^[A-Za-z0-9_-]{20,64}$';

/** What every route signed with a Device-Proof may answer besides its own outcomes. */
export const deviceResponses = {
  ...commonResponses,
  401: {
    ...refusal('the Device-Proof is missing, malformed, forged, replayed or stale, or the device was removed, or the account is locked, revoked or no longer level 2', ['invalid_device_proof']),
    headers: { 'www-authenticate': { type: 'string', description: 'DeviceProof error="invalid_device_proof"' } },
  },
} as const;

const device = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'name', 'created_at', 'last_used_at'],
  properties: { id: { type: 'string' }, name: { type: 'string' }, created_at: dateTime, last_used_at: { type: ['string', 'null'], format: 'date-time' } },
} as const;

export const deviceView = (d: { id: string; name: string; createdAt: Date; lastUsedAt: Date | null }) => ({
  id: d.id,
  name: d.name,
  created_at: d.createdAt.toISOString(),
  last_used_at: d.lastUsedAt?.toISOString() ?? null,
});

const publicJwk = {
  type: 'object',
  description: 'the device key: an EC P-256 public JWK (kty, crv, x, y); never the private key',
  required: ['kty'],
  properties: { kty: { type: 'string' }, crv: { type: 'string' }, x: { type: 'string' }, y: { type: 'string' } },
  additionalProperties: true,
} as const;

export const appSchemas = {
  startEnrolment: {
    tags: ['enrolment'],
    operationId: 'startEnrolment',
    summary: 'Start binding this device: personal ID number and password; an SMS code goes to the account\'s phone',
    security: [],
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['personal_id', 'password'],
      properties: { personal_id: { type: 'string', minLength: 1, maxLength: 32 }, password: { type: 'string', minLength: 1, maxLength: 1024 } },
    },
    response: {
      ...commonResponses,
      201: {
        type: 'object',
        additionalProperties: false,
        required: ['enrolment_id', 'challenge', 'expires_in'],
        properties: {
          enrolment_id: { type: 'string' },
          challenge: { type: 'string', description: 'the device signs exactly this text (compact JWS, ES256) to prove it holds the key' },
          expires_in: { type: 'integer', description: 'seconds the code and the challenge stay valid' },
        },
      },
      400: refusal('malformed request or personal ID number', ['invalid_request']),
      401: refusal('the personal ID number or the password is wrong: one answer whether an account exists or not', ['invalid_credentials']),
      403: refusal('the account cannot bind a device', ['level_2_required', 'password_change_required', 'no_phone', 'account_locked', 'account_revoked']),
      429: refusal('too many failed attempts for this number, too many codes today, or too many requests from this address (invalid_request)', ['temporarily_locked', 'sms_limit', 'invalid_request']),
    },
  },
  completeEnrolment: {
    tags: ['enrolment'],
    operationId: 'completeEnrolment',
    summary: 'Finish binding: the SMS code, the device\'s public key and its signature over the challenge',
    security: [],
    params: { type: 'object', additionalProperties: false, required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 64 } } },
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['code', 'public_jwk', 'device_name', 'signature'],
      properties: {
        code: { type: 'string', minLength: 1, maxLength: 16 },
        public_jwk: publicJwk,
        device_name: { type: 'string', minLength: 1, maxLength: 200 },
        signature: { type: 'string', minLength: 1, maxLength: 4096, description: 'compact JWS, ES256, by the device key; payload: the challenge' },
      },
    },
    response: {
      ...commonResponses,
      201: { type: 'object', additionalProperties: false, required: ['device_id', 'name'], properties: { device_id: { type: 'string' }, name: { type: 'string' } } },
      400: refusal('wrong code (with attempts_left), bad key or signature, or the enrolment is unknown, expired or completed', ['invalid_request', 'invalid_code', 'invalid_key', 'invalid_signature', 'invalid_enrolment'], {
        attempts_left: { type: 'integer' },
      }),
      403: refusal('the account no longer qualifies', ['level_2_required']),
      409: refusal('the key is already bound to a device', ['key_in_use', 'conflict']),
      429: refusal('too many wrong codes for this account today, or too many requests from this address (invalid_request)', ['sms_limit', 'invalid_request']),
    },
  },
  me: {
    tags: ['devices'],
    operationId: 'thisDevice',
    summary: 'This device and the citizen it is bound to',
    response: {
      ...deviceResponses,
      200: {
        type: 'object',
        additionalProperties: false,
        required: ['device', 'citizen'],
        properties: {
          device,
          citizen: { type: 'object', additionalProperties: false, required: ['name', 'level'], properties: { name: { type: 'string' }, level: { type: 'integer', enum: [2] } } },
        },
      },
    },
  },
  list: {
    tags: ['devices'],
    operationId: 'listDevices',
    summary: 'The devices bound to the same account',
    response: { ...deviceResponses, 200: { type: 'object', additionalProperties: false, required: ['devices'], properties: { devices: { type: 'array', items: device } } } },
  },
  rename: {
    tags: ['devices'],
    operationId: 'renameDevice',
    summary: 'Rename a device of the same account (this one included)',
    params: { type: 'object', additionalProperties: false, required: ['id'], properties: { id: { type: 'string', pattern: DEVICE_ID_PATTERN } } },
    body: { type: 'object', additionalProperties: false, required: ['name'], properties: { name: { type: 'string', minLength: 1, maxLength: 200 } } },
    response: {
      ...deviceResponses,
      200: device,
      400: refusal('the request does not match the schema, or the name is empty or longer than 60 characters', ['invalid_request']),
      404: refusal('no such device bound to this account', ['not_found']),
    },
  },
  remove: {
    tags: ['devices'],
    operationId: 'removeDevice',
    summary: 'Unbind a device of the same account (this one included): its proofs are refused from now on',
    params: { type: 'object', additionalProperties: false, required: ['id'], properties: { id: { type: 'string', pattern: DEVICE_ID_PATTERN } } },
    response: { ...deviceResponses, 204: { type: 'null' }, 404: refusal('no such device bound to this account', ['not_found']) },
  },
} as const;
