// JSON Schemas of what the officer API answers (see views.ts, officers.ts, sign-in.ts): they drive serialization,
// the outside-production response check and the published OpenAPI document. Objects are closed, so a field a
// handler adds without adding it here fails the response check instead of vanishing silently.
import { dateTime, nullable, uuid } from '../http/api-schemas.ts';

export const PERSONAL_ID_PATTERN = '^[0-9]{12}$';
export const personalId = { type: 'string', pattern: PERSONAL_ID_PATTERN, description: 'the 12-digit personal ID number' } as const;
export const accountLevel = { type: 'integer', enum: [1, 2] } as const;
export const documentKind = { type: 'string', enum: ['driver_license', 'vehicle_registration', 'health_insurance', 'social_insurance'] } as const;
export const applicationStatus = { type: 'string', enum: ['applied', 'approved', 'rejected'] } as const;
const date = { type: 'string', format: 'date' } as const;

const closed = <P extends Record<string, object>>(properties: P, description?: string) =>
  ({ type: 'object', additionalProperties: false, required: Object.keys(properties), properties, ...(description ? { description } : {}) }) as const;

export const officerIdentity = closed({
  id: uuid,
  username: { type: 'string' },
  fullName: { type: 'string' },
  role: { type: 'string', enum: ['officer', 'supervisor', 'operator'] },
  policeUnit: { type: 'string' },
});

export const officerSession = closed({
  token: { type: 'string', description: 'send as Authorization: Bearer' },
  token_type: { type: 'string', enum: ['Bearer'] },
  expires_at: dateTime,
  officer: officerIdentity,
}, 'signed in: a session token');

export const totpEnrolment = closed({
  enrolment_required: { type: 'string', enum: ['totp'] },
  enrolment_token: { type: 'string' },
  expires_at: dateTime,
  totp: closed({
    secret: { type: 'string', description: 'base32' },
    uri: { type: 'string', description: 'otpauth:// URI for an authenticator app' },
    algorithm: { type: 'string', enum: ['SHA1'] },
    digits: { type: 'integer' },
    period: { type: 'integer' },
  }),
  next: { type: 'string' },
}, 'first sign-in: enrol an authenticator, then POST /admin/sessions/enrolment');

export const officerListing = closed({
  ...officerIdentity.properties,
  disabled: { type: 'boolean' },
  secondFactor: { type: 'string', enum: ['enrolled', 'not_enrolled'] },
  lockedUntil: nullable(dateTime),
});

export const application = closed({
  id: uuid,
  personal_id: personalId,
  phone: { type: 'string' },
  email: nullable({ type: 'string' }),
  requested_level: accountLevel,
  documents: { type: 'array', items: documentKind },
  dependents: { type: 'array', items: personalId },
  status: applicationStatus,
  filed_by: uuid,
  filed_at: dateTime,
  decided_by: nullable(uuid),
  decided_at: nullable(dateTime),
  decision_reason: nullable({ type: 'string' }),
}, 'an application for an account');

export const account = closed({
  id: uuid,
  personal_id: personalId,
  name: { type: 'string' },
  level: accountLevel,
  status: { type: 'string', enum: ['active', 'locked', 'revoked'] },
  lock_reason: { type: ['string', 'null'], enum: ['failed_sign_ins', 'officer', null] },
  locked_until: nullable(dateTime),
  phone: nullable({ type: 'string' }),
  phone_verified: { type: 'boolean' },
  email: nullable({ type: 'string' }),
  integrated_documents: { type: 'array', items: documentKind },
  password_must_change: { type: 'boolean' },
  created_at: dateTime,
  dependents: {
    type: 'array',
    items: closed({ personal_id: personalId, name: { type: 'string' }, birthdate: date, registered_at: dateTime }),
  },
}, 'an account: state, lock, integrated documents, dependents');

export const citizen = closed({
  personal_id: personalId,
  name: { type: 'string' },
  birthdate: date,
  sex: { type: 'string', enum: ['male', 'female'] },
  age: { type: 'integer' },
  account: { ...closed({ id: uuid, level: accountLevel, status: account.properties.status }), type: ['object', 'null'] },
  open_application: { ...nullable(uuid), description: 'the id of an application waiting for a decision' },
  children_under_14: {
    type: 'array',
    items: closed({
      personal_id: personalId,
      name: { type: 'string' },
      birthdate: date,
      relation: { type: 'string', enum: ['father', 'mother', 'spouse', 'guardian'] },
      registered: { type: 'boolean', description: 'already a dependent of an account' },
    }),
  },
  documents_on_record: closed({ driver_license: { type: 'boolean' }, vehicle_registration: { type: 'boolean' }, health_insurance: { type: 'boolean' }, social_insurance: { type: 'boolean' } }),
}, 'the population record, its account if any, children under 14, documents on record');

export const auditEvent = closed({
  at: dateTime,
  actor_type: { type: 'string' },
  actor_id: nullable({ type: 'string' }),
  action: { type: 'string' },
  detail: { type: 'object', additionalProperties: true },
  ip: nullable({ type: 'string' }),
});
