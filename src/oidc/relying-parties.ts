// Registered relying parties as oidc-provider sees them: composed from the client registry (src/clients/),
// and only while approved, so a pending or suspended client is refused at every endpoint on its next request.
import type { Adapter, ClientMetadata } from 'oidc-provider';
import type { Kysely } from 'kysely';
import type { ClientProfile, Schema } from '../db/schema.ts';
import { recordAudit } from '../audit/audit.ts';
import { isAcceptableText } from '../http/acceptable-text.ts';
import { composeMetadata, findClientRow, saveClientMetadata, type ProtocolMetadata } from '../clients/registry.ts';

export interface RelyingParties {
  /** The client's metadata while it is approved; undefined for an unknown, pending or suspended client. */
  find(clientId: string): Promise<ClientMetadata | undefined>;
  /** Registers or replaces a relying party (approved). Metadata is validated by the provider when first used. */
  save(metadata: ClientMetadata): Promise<void>;
  /** Registers it only if no relying party has this client_id; returns whether it did. */
  saveIfAbsent(metadata: ClientMetadata): Promise<boolean>;
  remove(clientId: string): Promise<void>;
  /** The provider's Client adapter; upsert is dynamic registration, whose clients get `registeredProfile`. */
  adapter(registeredProfile?: ClientProfile): Adapter;
}

const REGISTRATION = { type: 'system', id: 'dynamic-registration' } as const;

export function relyingPartiesQueries(db: Kysely<Schema>): RelyingParties {
  const find = async (clientId: string) => {
    // A client_id PostgreSQL could not even compare (NUL, a lone surrogate) names no relying party.
    if (typeof clientId !== 'string' || !isAcceptableText(clientId)) return undefined;
    const row = await findClientRow(db, clientId);
    return row?.state === 'approved' ? (composeMetadata(row) as ClientMetadata) : undefined;
  };

  const self: RelyingParties = {
    find,
    async save(metadata) {
      await saveClientMetadata(db, metadata as ProtocolMetadata);
    },
    async saveIfAbsent(metadata) {
      if (await findClientRow(db, metadata.client_id)) return false;
      return saveClientMetadata(db, metadata as ProtocolMetadata);
    },
    async remove(clientId) {
      await db.deleteFrom('relying_parties').where('client_id', '=', clientId).execute();
    },
    adapter: (registeredProfile) => ({
      find,
      // Only dynamic registration and its management write through here: audited like an operator's change.
      upsert: async (id, payload) => {
        await db.transaction().execute(async (trx) => {
          const existed = await findClientRow(trx, id);
          await saveClientMetadata(trx, payload as ProtocolMetadata, registeredProfile ? { profile: registeredProfile } : {});
          await recordAudit(trx, { actor: REGISTRATION, action: existed ? 'client.updated' : 'client.registered', subject: { type: 'relying_party', id } });
        });
      },
      destroy: async (id) => {
        await db.transaction().execute(async (trx) => {
          await trx.deleteFrom('relying_parties').where('client_id', '=', id).execute();
          await recordAudit(trx, { actor: REGISTRATION, action: 'client.deleted', subject: { type: 'relying_party', id } });
        });
      },
      findByUid: async () => undefined,
      findByUserCode: async () => undefined,
      consume: async () => {},
      revokeByGrantId: async () => {},
    }),
  };
  return self;
}
