// The officer API's route schemas: request validation, response serialization and /admin/openapi.json alike.
import { bearerResponses, commonResponses, refusal, UUID_PATTERN } from '../http/api-schemas.ts';
import { USERNAME } from './officers.ts';
import { account, accountLevel, application, applicationStatus, auditEvent, citizen, documentKind, officerIdentity, officerListing, officerSession, PERSONAL_ID_PATTERN, totpEnrolment } from './api-views.ts';

const idParams = { type: 'object', additionalProperties: false, required: ['id'], properties: { id: { type: 'string', pattern: UUID_PATTERN } } } as const;
const reasonBody = {
  type: 'object',
  additionalProperties: false,
  required: ['reason'],
  properties: { reason: { type: 'string', minLength: 3, maxLength: 500, description: 'kept in the audit trail' } },
} as const;
const otp = { type: 'string', minLength: 1, maxLength: 16, description: 'a current 6-digit code from the authenticator app' } as const;

// An operator's session is refused on every officer route before the route runs (officers_only).
const supervisorOnly = refusal('the officer is not a supervisor, or the session is an operator\'s', ['supervisor_only', 'officers_only']);
const secured = { ...commonResponses, ...bearerResponses } as const;
const locked = {
  ...refusal('too many failed sign-ins for this username (temporarily_locked, with locked_until), or too many requests from this address', ['temporarily_locked', 'invalid_request'], {
    locked_until: { type: 'string', format: 'date-time' },
  }),
  headers: { 'retry-after': { type: 'string', description: 'seconds until the next try' } },
};

export const schemas = {
  signIn: {
    tags: ['sessions'],
    operationId: 'signIn',
    summary: 'Sign in with password and TOTP code',
    security: [],
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['username', 'password'],
      properties: { username: { type: 'string', minLength: 1, maxLength: 64 }, password: { type: 'string', minLength: 1, maxLength: 1024 }, otp },
    },
    response: {
      ...commonResponses,
      201: officerSession,
      200: totpEnrolment,
      401: refusal('wrong username, password or code: one answer for every failure', ['invalid_credentials']),
      429: locked,
    },
  },
  confirmEnrolment: {
    tags: ['sessions'],
    operationId: 'confirmEnrolment',
    summary: 'Confirm a new authenticator with a current code; opens a session',
    security: [],
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['enrolment_token', 'otp'],
      properties: { enrolment_token: { type: 'string', minLength: 20, maxLength: 100 }, otp },
    },
    response: {
      ...commonResponses,
      201: officerSession,
      401: refusal('the enrolment token is unknown or expired, or the code is not current', ['invalid_enrolment', 'invalid_otp']),
      429: locked,
    },
  },
  me: { tags: ['sessions'], operationId: 'me', summary: 'The signed-in officer', response: { ...secured, 200: officerIdentity } },
  signOut: { tags: ['sessions'], operationId: 'signOut', summary: 'End this session', response: { ...secured, 204: { type: 'null', description: 'signed out' } } },
  citizen: {
    tags: ['citizens'],
    operationId: 'lookUpCitizen',
    summary: 'The population record of a personal ID number; the lookup is recorded in the audit trail (citizen.viewed)',
    params: { type: 'object', additionalProperties: false, required: ['personalId'], properties: { personalId: { type: 'string', pattern: PERSONAL_ID_PATTERN } } },
    response: { ...secured, 200: citizen, 404: refusal('no population record', ['no_record']) },
  },
  fileApplication: {
    tags: ['applications'],
    operationId: 'fileApplication',
    summary: 'File an application for an account (citizen on record, 14 or older, no account or only a revoked one, no open application)',
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['personal_id', 'phone', 'requested_level'],
      properties: {
        personal_id: { type: 'string', pattern: PERSONAL_ID_PATTERN, description: 'the 12-digit personal ID number' },
        phone: { type: 'string', minLength: 9, maxLength: 20, description: 'a Vietnamese mobile number; the first password goes there by SMS' },
        email: { type: 'string', maxLength: 254, pattern: '^[^@\\s]+@[^@\\s]+$' },
        requested_level: accountLevel,
        dependents: { type: 'array', maxItems: 20, items: { type: 'string', pattern: PERSONAL_ID_PATTERN }, description: 'children under 14 to register (level 2)' },
        documents: { type: 'array', maxItems: 4, items: documentKind, description: 'documents to integrate (level 2)' },
      },
    },
    response: {
      ...secured,
      201: application,
      404: refusal('no population record', ['no_record']),
      409: refusal('an account, an open application or a dependent\'s registration exists already', ['account_exists', 'application_open', 'dependent_registered', 'conflict']),
      422: refusal('the application cannot be filed as given', ['invalid_phone', 'level_2_required', 'under_14', 'not_a_dependent', 'no_such_document']),
    },
  },
  listApplications: {
    tags: ['applications'],
    operationId: 'listApplications',
    summary: 'The queue: the oldest 200 applications, optionally of one status; each one shown is recorded in the audit trail (application.viewed)',
    querystring: { type: 'object', properties: { status: applicationStatus } },
    response: { ...secured, 200: { type: 'object', additionalProperties: false, required: ['applications'], properties: { applications: { type: 'array', items: application } } } },
  },
  application: {
    tags: ['applications'],
    operationId: 'showApplication',
    summary: 'One application; the read is recorded in the audit trail (application.viewed)',
    params: idParams,
    response: { ...secured, 200: application, 404: refusal('no such application', ['no_application']) },
  },
  approve: {
    tags: ['applications'],
    operationId: 'approveApplication',
    summary: 'Issue the account, or re-issue the citizen\'s revoked one (a supervisor other than the filer); the first password goes by SMS',
    params: idParams,
    response: {
      ...secured,
      200: { type: 'object', additionalProperties: false, required: ['status', 'account_id'], properties: { status: { type: 'string', enum: ['approved'] }, account_id: { type: 'string', format: 'uuid' } } },
      403: refusal('not a supervisor, or the supervisor filed it, or the session is an operator\'s', ['supervisor_only', 'separation_of_duties', 'officers_only']),
      404: refusal('no such application', ['no_application']),
      409: refusal('decided already, or the citizen or a dependent got an account meanwhile', ['already_decided', 'account_exists', 'dependent_registered', 'conflict']),
    },
  },
  reject: {
    tags: ['applications'],
    operationId: 'rejectApplication',
    summary: 'Reject with a reason (a supervisor other than the filer)',
    params: idParams,
    body: reasonBody,
    response: {
      ...secured,
      200: { type: 'object', additionalProperties: false, required: ['status'], properties: { status: { type: 'string', enum: ['rejected'] } } },
      403: refusal('not a supervisor, or the supervisor filed it, or the session is an operator\'s', ['supervisor_only', 'separation_of_duties', 'officers_only']),
      404: refusal('no such application', ['no_application']),
      409: refusal('decided already', ['already_decided', 'conflict']),
    },
  },
  account: {
    tags: ['accounts'],
    operationId: 'showAccount',
    summary: 'An account; the read is recorded in the audit trail (account.viewed)',
    params: idParams,
    response: { ...secured, 200: account, 404: refusal('no such account', ['no_account']) },
  },
  lock: {
    tags: ['accounts'],
    operationId: 'lockAccount',
    summary: 'Lock an account; its sessions and tokens end at once',
    params: idParams,
    body: reasonBody,
    response: { ...secured, 200: account, 409: refusal('no such account, or it is revoked', ['not_lockable', 'conflict']) },
  },
  unlock: {
    tags: ['accounts'],
    operationId: 'unlockAccount',
    summary: 'Unlock an account',
    params: idParams,
    response: { ...secured, 200: account, 409: refusal('no such account, or it is not locked', ['not_locked', 'conflict']) },
  },
  changePhone: {
    tags: ['accounts'],
    operationId: 'changeAccountPhone',
    summary: 'Change the account\'s phone, given in person at the desk (supervisor): the new number is verified; codes sent to the old one, bound app devices, sessions and tokens end; the old phone is told by SMS, without the new number',
    params: idParams,
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['phone', 'reason'],
      properties: {
        phone: { type: 'string', minLength: 9, maxLength: 20, description: 'a Vietnamese mobile number, as the application takes it' },
        reason: reasonBody.properties.reason,
      },
    },
    response: {
      ...secured,
      200: account,
      403: supervisorOnly,
      404: refusal('no such account', ['no_account']),
      409: refusal('the account is revoked, or already has this phone', ['not_changeable', 'phone_unchanged', 'conflict']),
      422: refusal('not a Vietnamese mobile number', ['invalid_phone']),
    },
  },
  revoke: {
    tags: ['accounts'],
    operationId: 'revokeAccount',
    summary: 'Revoke an account (supervisor): it never signs in again, nothing it held (password, sessions, tokens, devices) works again; only a new application, approved, re-issues it',
    params: idParams,
    body: reasonBody,
    response: { ...secured, 200: account, 403: supervisorOnly, 409: refusal('no such account, or it is revoked already', ['not_revocable', 'conflict']) },
  },
  audit: {
    tags: ['accounts'],
    operationId: 'accountAuditTrail',
    summary: 'The append-only audit trail of an account (supervisor): what happened to it and every officer\'s read of it, lookups of its citizen\'s record before it existed included; this read is recorded too',
    params: idParams,
    response: { ...secured, 200: { type: 'object', additionalProperties: false, required: ['events'], properties: { events: { type: 'array', items: auditEvent } } }, 403: supervisorOnly },
  },
  officers: {
    tags: ['officers'],
    operationId: 'listOfficers',
    summary: 'Officers, their second factor and sign-in locks (supervisor); the read is recorded in the audit trail (officers.listed)',
    response: { ...secured, 200: { type: 'object', additionalProperties: false, required: ['officers'], properties: { officers: { type: 'array', items: officerListing } } }, 403: supervisorOnly },
  },
  unlockOfficer: {
    tags: ['officers'],
    operationId: 'unlockOfficer',
    summary: 'Lift the sign-in lock of an officer (supervisor)',
    params: { type: 'object', additionalProperties: false, required: ['username'], properties: { username: { type: 'string', pattern: USERNAME.source } } },
    response: {
      ...secured,
      200: { type: 'object', additionalProperties: false, required: ['status'], properties: { status: { type: 'string', enum: ['unlocked'] } } },
      403: supervisorOnly,
      404: refusal('no officer has this username', ['no_officer']),
      409: refusal('this officer is not locked', ['not_locked', 'conflict']),
    },
  },
} as const;
