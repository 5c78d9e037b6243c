// JSON schemas of the operator API: they validate requests, shape responses and make its OpenAPI document.
import type { ClientRecord } from '../clients/registry.ts';

export const CLIENT_ID = '^[A-Za-z0-9._~-]{3,100}$';

const error = {
  type: 'object',
  required: ['error', 'error_description'],
  properties: { error: { type: 'string' }, error_description: { type: 'string' } },
} as const;

export const client = {
  type: 'object',
  required: ['client_id', 'profile', 'state', 'max_level', 'scopes', 'consent_mode', 'organisation', 'contacts', 'has_secret', 'metadata', 'created_at', 'updated_at'],
  properties: {
    client_id: { type: 'string' },
    profile: { type: 'string', enum: ['public_service', 'bank', 'service', 'sandbox'] },
    state: { type: 'string', enum: ['pending', 'approved', 'suspended'] },
    state_reason: { type: ['string', 'null'] },
    state_changed_at: { type: 'string', format: 'date-time' },
    max_level: { type: 'integer', enum: [1, 2] },
    scopes: { type: 'array', items: { type: 'string' } },
    sector_identifier: { type: ['string', 'null'] },
    consent_mode: { type: 'string', enum: ['choice', 'notice'] },
    organisation: {
      type: 'object',
      properties: { name: { type: ['string', 'null'] }, domain: { type: ['string', 'null'] }, logo_uri: { type: ['string', 'null'] } },
    },
    contacts: { type: 'array', items: { type: 'string' } },
    has_secret: { type: 'boolean' },
    secret_rotated_at: { type: ['string', 'null'], format: 'date-time' },
    metadata: { type: 'object', additionalProperties: true, description: 'protocol metadata as the provider serves it (never a secret)' },
    created_at: { type: 'string', format: 'date-time' },
    updated_at: { type: 'string', format: 'date-time' },
  },
} as const;

export function clientView(record: ClientRecord) {
  return {
    client_id: record.clientId,
    profile: record.profile,
    state: record.state,
    state_reason: record.stateReason,
    state_changed_at: record.stateChangedAt.toISOString(),
    max_level: record.maxLevel,
    scopes: record.scopes,
    sector_identifier: record.sectorIdentifier,
    consent_mode: record.consentMode,
    organisation: { name: record.organisation.name, domain: record.organisation.domain, logo_uri: record.organisation.logoUri },
    contacts: record.contacts,
    has_secret: record.hasSecret,
    secret_rotated_at: record.secretRotatedAt?.toISOString() ?? null,
    metadata: record.metadata,
    created_at: record.createdAt.toISOString(),
    updated_at: record.updatedAt.toISOString(),
  };
}

const clientIdParams = { type: 'object', required: ['clientId'], properties: { clientId: { type: 'string', pattern: CLIENT_ID } } } as const;
const refusals = { 400: error, 401: error, 403: error, 404: error, 409: error } as const;
const withSecret = {
  type: 'object',
  required: ['client', 'client_secret'],
  properties: { client, client_secret: { type: 'string', description: 'shown this once; only its hash is stored' } },
} as const;

export const routeSchemas = {
  create: {
    summary: 'Register a relying party (it starts pending)',
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['profile', 'client_name', 'organisation_name', 'contacts', 'scopes'],
      properties: {
        client_id: { type: 'string', pattern: CLIENT_ID, description: 'generated when absent' },
        profile: { type: 'string', enum: ['public_service', 'bank', 'service', 'sandbox'] },
        client_name: { type: 'string', minLength: 1, maxLength: 200, description: 'the service name the citizen sees' },
        organisation_name: { type: 'string', minLength: 1, maxLength: 200 },
        organisation_domain: { type: 'string', maxLength: 253 },
        logo_uri: { type: 'string', format: 'uri', pattern: '^https?://' },
        contacts: { type: 'array', minItems: 1, maxItems: 10, items: { type: 'string', format: 'email' } },
        max_level: { type: 'integer', enum: [1, 2] },
        scopes: { type: 'array', minItems: 1, maxItems: 64, items: { type: 'string', minLength: 1, maxLength: 128 } },
        sector_identifier: { type: 'string', minLength: 1, maxLength: 253 },
        consent_mode: { type: 'string', enum: ['choice', 'notice'] },
        metadata: {
          type: 'object',
          additionalProperties: true,
          description: 'OpenID Connect client metadata: redirect_uris, post_logout_redirect_uris, jwks or jwks_uri, backchannel_logout_uri, subject_type, …',
        },
      },
    },
    response: { 201: { type: 'object', required: ['client'], properties: { client, client_secret: { type: 'string', description: 'shown this once' } } }, ...refusals },
  },
  list: {
    summary: 'List relying parties',
    querystring: {
      type: 'object',
      additionalProperties: false,
      properties: { state: { type: 'string', enum: ['pending', 'approved', 'suspended'] }, profile: { type: 'string', enum: ['public_service', 'bank', 'service', 'sandbox'] } },
    },
    response: { 200: { type: 'object', required: ['clients'], properties: { clients: { type: 'array', items: client } } }, ...refusals },
  },
  show: {
    summary: 'One relying party with its audit trail',
    params: clientIdParams,
    response: {
      200: { type: 'object', properties: { ...client.properties, audit: { type: 'array', items: { type: 'object', additionalProperties: true } } } },
      ...refusals,
    },
  },
  approve: { summary: 'Approve a pending client', params: clientIdParams, response: { 200: client, ...refusals } },
  suspend: {
    summary: 'Suspend an approved client: refused at every endpoint from its next request',
    params: clientIdParams,
    body: { type: 'object', additionalProperties: false, required: ['reason'], properties: { reason: { type: 'string', minLength: 3, maxLength: 500 } } },
    response: { 200: client, ...refusals },
  },
  reinstate: { summary: 'Reinstate a suspended client', params: clientIdParams, response: { 200: client, ...refusals } },
  rotateSecret: { summary: 'Issue a new client secret (the old one stops working at once)', params: clientIdParams, response: { 200: withSecret, ...refusals } },
  approval: {
    summary: 'Change the scopes and highest level the client is approved for',
    params: clientIdParams,
    body: {
      type: 'object',
      additionalProperties: false,
      minProperties: 1,
      properties: { scopes: { type: 'array', minItems: 1, maxItems: 64, items: { type: 'string', minLength: 1, maxLength: 128 } }, max_level: { type: 'integer', enum: [1, 2] } },
    },
    response: { 200: client, ...refusals },
  },
};
