// Registered relying parties as oidc-provider sees them: composed from the client registry (src/clients/),
// and only while approved, so a pending or suspended client is refused at every endpoint on its next request.
import type { Adapter, ClientMetadata } from 'oidc-provider';
import type { Kysely } from 'kysely';
import type { ClientProfile, Schema } from '../db/schema.ts';
import { recordAudit } from '../audit/audit.ts';
import { isAcceptableText } from '../http/acceptable-text.ts';
import { announceClientChange } from '../clients/changes.ts';
import { composeMetadata, findClientRow, saveClientMetadata, type ProtocolMetadata } from '../clients/registry.ts';
import { resourceAccess } from '../clients/resource-servers.ts';
import { noticedCache } from '../db/noticed-cache.ts';

export interface RelyingParties {
  /** The client's metadata while it is approved; undefined for an unknown, pending or suspended client. */
  find(clientId: string): Promise<ClientMetadata | undefined>;
  /** The metadata `find` would answer from memory, the same object each time; undefined when none is kept. */
  kept(clientId: string): ClientMetadata | undefined;
  /** Registers or replaces a relying party (approved). Metadata is validated by the provider when first used. */
  save(metadata: ClientMetadata): Promise<void>;
  /** Registers it only if no relying party has this client_id; returns whether it did. */
  saveIfAbsent(metadata: ClientMetadata): Promise<boolean>;
  remove(clientId: string): Promise<void>;
  /** The provider's Client adapter; upsert is dynamic registration, whose clients get `registeredProfile`. */
  adapter(registeredProfile?: ClientProfile): Adapter;
  /** The API and what this client may get there (resource indicators), cached like the client. */
  resourceAccess(clientId: string, resource: string): ReturnType<typeof resourceAccess>;
}

/** With a client cache: told of every change to a relying party, by any instance (src/clients/changes.ts). */
export interface CachedRelyingParties extends RelyingParties {
  changed(clientId: string): void;
  /** Change notices may have been missed: nothing cached is trusted. */
  reset(): void;
}

const REGISTRATION = { type: 'system', id: 'dynamic-registration' } as const;

/** notices.live: whether change notices currently arrive; without them (the CLI, tests) nothing is cached. */
export function relyingPartiesQueries(db: Kysely<Schema>, notices: { live(): boolean } = { live: () => false }): CachedRelyingParties {
  // Only approved clients are kept; an unknown client_id is read every time.
  const cache = noticedCache(async (clientId) => {
    const row = await findClientRow(db, clientId);
    return row?.state === 'approved' ? (composeMetadata(row) as ClientMetadata) : undefined;
  }, notices.live, { keep: (client) => client !== undefined });
  // Keyed "client_id\nresource" (a client_id holds no control character): a notice for the client drops them all.
  const resources = noticedCache((key) => {
    const split = key.indexOf('\n');
    return resourceAccess(db, key.slice(0, split), key.slice(split + 1));
  }, notices.live, { keep: (access) => access.server !== undefined, ownerOf: (key) => key.slice(0, key.indexOf('\n')) });
  const find = async (clientId: string) => {
    // A client_id PostgreSQL could not even compare (NUL, a lone surrogate) names no relying party.
    if (typeof clientId !== 'string' || !isAcceptableText(clientId)) return undefined;
    return cache.find(clientId);
  };

  const self: CachedRelyingParties = {
    find,
    kept: (clientId) => cache.kept(clientId),
    resourceAccess: (clientId, resource) => resources.find(`${clientId}\n${resource}`),
    changed: (clientId) => {
      cache.forget(clientId);
      resources.forget(clientId);
    },
    reset: () => {
      cache.clear();
      resources.clear();
    },
    // Changes made here are forgotten here at once; other instances hear the notice (src/clients/changes.ts).
    async save(metadata) {
      await saveClientMetadata(db, metadata as ProtocolMetadata);
      cache.forget(metadata.client_id);
    },
    async saveIfAbsent(metadata) {
      if (await findClientRow(db, metadata.client_id)) return false;
      const saved = await saveClientMetadata(db, metadata as ProtocolMetadata);
      cache.forget(metadata.client_id);
      return saved;
    },
    async remove(clientId) {
      await db.transaction().execute(async (trx) => {
        await trx.deleteFrom('relying_parties').where('client_id', '=', clientId).execute();
        await announceClientChange(trx, clientId);
      });
      cache.forget(clientId);
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
        cache.forget(id);
      },
      destroy: async (id) => {
        await db.transaction().execute(async (trx) => {
          await trx.deleteFrom('relying_parties').where('client_id', '=', id).execute();
          await announceClientChange(trx, id);
          await recordAudit(trx, { actor: REGISTRATION, action: 'client.deleted', subject: { type: 'relying_party', id } });
        });
        cache.forget(id);
      },
      findByUid: async () => undefined,
      findByUserCode: async () => undefined,
      consume: async () => {},
      revokeByGrantId: async () => {},
    }),
  };
  return self;
}
