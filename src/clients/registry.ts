// The client registry's table (relying_parties): each relying party's profile, state, approval and organisation,
// its protocol metadata and its hashed secret. oidc-provider sees a client only through composeMetadata.
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { ClientProfile, ClientState, RelyingPartyTable, Schema } from '../db/schema.ts';
import { announceClientChange } from './changes.ts';
import { hashClientSecret, hashedSecretMarker, hashOfMarker } from './secrets.ts';

type Db = Kysely<Schema> | Transaction<Schema>;
type Row = Selectable<RelyingPartyTable>;
export type ProtocolMetadata = Record<string, unknown> & { client_id: string };

/** A relying party as operators see it: never its secret, only whether it has one. */
export interface ClientRecord {
  clientId: string;
  profile: ClientProfile;
  state: ClientState;
  stateReason: string | null;
  stateChangedAt: Date;
  maxLevel: 1 | 2;
  scopes: string[];
  sectorIdentifier: string | null;
  consentMode: 'choice' | 'notice';
  organisation: { name: string | null; domain: string | null; logoUri: string | null };
  contacts: string[];
  hasSecret: boolean;
  secretRotatedAt: Date | null;
  metadata: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
}

/** Fields the registry keeps in columns; in metadata handed to save() they are moved there. */
const REGISTRY_FIELDS = ['client_secret', 'scope', 'assurance_level', 'consent_mode', 'profile', 'sector_identifier', 'organisation_name', 'organisation_domain', 'logo_uri'] as const;

export function clientRecord(row: Row): ClientRecord {
  return {
    clientId: row.client_id,
    profile: row.profile,
    state: row.state,
    stateReason: row.state_reason,
    stateChangedAt: row.state_changed_at,
    maxLevel: row.max_level,
    scopes: row.scopes,
    sectorIdentifier: row.sector_identifier,
    consentMode: row.consent_mode,
    organisation: { name: row.organisation_name, domain: row.organisation_domain, logoUri: row.logo_uri },
    contacts: row.contacts,
    hasSecret: row.secret_hash !== null,
    secretRotatedAt: row.secret_rotated_at,
    metadata: row.metadata,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** The client as oidc-provider reads it: protocol metadata plus the registry's approval, sector and secret hash. */
export function composeMetadata(row: Row): ProtocolMetadata {
  return {
    ...row.metadata,
    client_id: row.client_id,
    profile: row.profile,
    // A service's scopes are API scopes, granted per resource server (resource indicators), not OpenID scopes.
    ...(row.profile === 'service' ? {} : { scope: row.scopes.join(' ') }),
    assurance_level: row.max_level,
    consent_mode: row.consent_mode,
    ...(row.sector_identifier ? { sector_identifier: row.sector_identifier } : {}),
    ...(row.organisation_name ? { organisation_name: row.organisation_name } : {}),
    ...(row.organisation_domain ? { organisation_domain: row.organisation_domain } : {}),
    ...(row.logo_uri ? { logo_uri: row.logo_uri } : {}),
    ...(row.contacts.length ? { contacts: row.contacts } : {}),
    ...(row.secret_hash ? { client_secret: hashedSecretMarker(row.secret_hash) } : {}),
  };
}

export async function findClientRow(db: Db, clientId: string): Promise<Row | undefined> {
  return db.selectFrom('relying_parties').selectAll().where('client_id', '=', clientId).executeTakeFirst();
}

/**
 * Registers or replaces a client from oidc-provider-style metadata (tests, the sandbox seed, the account page,
 * dynamic registration): registry fields are split off into their columns and a clear secret is hashed.
 * A new client is approved; an existing one keeps its state, and its secret unless the metadata brings one.
 */
export async function saveClientMetadata(db: Db, metadata: ProtocolMetadata, defaults: { profile?: ClientProfile } = {}): Promise<boolean> {
  const protocol = Object.fromEntries(Object.entries(metadata).filter(([key]) => !(REGISTRY_FIELDS as readonly string[]).includes(key)));
  const secret = typeof metadata.client_secret === 'string' ? metadata.client_secret : undefined;
  // A secret the provider read back from us is already a hash (registration management sends it back).
  const secretHash = secret === undefined ? undefined : (hashOfMarker(secret) ?? hashClientSecret(secret));
  const registry = {
    profile: (metadata.profile as ClientProfile | undefined) ?? defaults.profile ?? 'public_service',
    scopes: typeof metadata.scope === 'string' ? metadata.scope.split(/\s+/).filter(Boolean) : ['openid'],
    // Unchecked here on purpose: the table's constraints refuse anything but 1/2 and choice/notice.
    max_level: (metadata.assurance_level ?? 1) as 1 | 2,
    consent_mode: (metadata.consent_mode ?? 'choice') as 'choice' | 'notice',
    sector_identifier: typeof metadata.sector_identifier === 'string' ? metadata.sector_identifier : null,
    logo_uri: typeof metadata.logo_uri === 'string' ? metadata.logo_uri : null,
    organisation_name: typeof metadata.organisation_name === 'string' ? metadata.organisation_name : null,
    organisation_domain: typeof metadata.organisation_domain === 'string' ? metadata.organisation_domain : null,
    ...(secretHash ? { secret_hash: secretHash } : {}),
  };
  const result = await db
    .insertInto('relying_parties')
    .values({ client_id: metadata.client_id, metadata: JSON.stringify(protocol), ...registry })
    .onConflict((oc) => oc.column('client_id').doUpdateSet({ metadata: JSON.stringify(protocol), ...registry, updated_at: new Date() }))
    .executeTakeFirst();
  await announceClientChange(db, metadata.client_id);
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
}
