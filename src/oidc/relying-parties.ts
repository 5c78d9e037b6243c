// Registered relying parties, stored as oidc-provider client metadata in relying_parties.
import type { Adapter, ClientMetadata } from 'oidc-provider';
import type { Kysely } from 'kysely';
import type { Schema } from '../db/schema.ts';
import { isAcceptableText } from '../http/acceptable-text.ts';

export interface RelyingParties {
  find(clientId: string): Promise<ClientMetadata | undefined>;
  /** Registers or replaces a relying party. Metadata is validated by the provider when first used. */
  save(metadata: ClientMetadata): Promise<void>;
  /** Registers it only if no relying party has this client_id; returns whether it did. */
  saveIfAbsent(metadata: ClientMetadata): Promise<boolean>;
  remove(clientId: string): Promise<void>;
  adapter(): Adapter;
}

export function relyingPartiesQueries(db: Kysely<Schema>): RelyingParties {
  const find = async (clientId: string) => {
    // A client_id PostgreSQL could not even compare (NUL, a lone surrogate) names no relying party.
    if (typeof clientId !== 'string' || !isAcceptableText(clientId)) return undefined;
    const row = await db
      .selectFrom('relying_parties')
      .select('metadata')
      .where('client_id', '=', clientId)
      .executeTakeFirst();
    return row?.metadata as ClientMetadata | undefined;
  };
  const insert = (metadata: ClientMetadata) =>
    db.insertInto('relying_parties').values({ client_id: metadata.client_id, metadata: JSON.stringify(metadata) });

  const self: RelyingParties = {
    find,
    async save(metadata) {
      await insert(metadata)
        .onConflict((oc) =>
          oc.column('client_id').doUpdateSet({ metadata: JSON.stringify(metadata), updated_at: new Date() }),
        )
        .execute();
    },
    async saveIfAbsent(metadata) {
      const result = await insert(metadata).onConflict((oc) => oc.column('client_id').doNothing()).executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
    },
    async remove(clientId) {
      await db.deleteFrom('relying_parties').where('client_id', '=', clientId).execute();
    },
    // Only find is used: clients are registered by operators, not by dynamic registration.
    adapter: () => ({
      find,
      upsert: async (_id, payload) => self.save(payload as ClientMetadata),
      destroy: async (id) => self.remove(id),
      findByUid: async () => undefined,
      findByUserCode: async () => undefined,
      consume: async () => {},
      revokeByGrantId: async () => {},
    }),
  };
  return self;
}
