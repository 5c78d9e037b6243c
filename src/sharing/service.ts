// Sharing as the routes use it: issue a credential to a device for the attributes the citizen chose, verify a
// presentation once, and the citizen's history. Bound to the database, the issuer and the clock here.
import type { JWK } from 'jose';
import type { Kysely } from 'kysely';
import { opensToDevices, type Accounts, type CitizenAccount } from '../accounts/accounts.ts';
import { recordIdentity } from '../accounts/identity.ts';
import { deviceForProof } from '../devices/devices.ts';
import type { Schema } from '../db/schema.ts';
import { keySetAt } from '../oidc/key-lifecycle.ts';
import { signingKeyRows } from '../oidc/keys.ts';
import { shareableValues, type Shareable } from './attributes.ts';
import { issueCredential, type IssuedCredential } from './credential.ts';
import { recordSharing, sharingOfDevice, sharingsOf, takeSharing, type SharingEntry } from './sharings.ts';
import { verifyPresentation, type Verification } from './verify.ts';

const PRIVATE_PARTS = new Set(['d', 'p', 'q', 'dp', 'dq', 'qi']);
const publicPart = (key: JWK): JWK => Object.fromEntries(Object.entries(key).filter(([name]) => !PRIVATE_PARTS.has(name))) as JWK;

/** Level 2, and open to its devices (a lock from failed password attempts guards the password only). */
function mayShare(account: CitizenAccount): boolean {
  return account.level === 2 && opensToDevices(account);
}

export class SharingRefused extends Error {
  readonly error: string;
  constructor(error: string, description: string) {
    super(description);
    this.error = error;
  }
}

export interface SharingService {
  /** Issues the credential for a device of the citizen; refuses (SharingRefused) what cannot be shared. */
  issue(input: { accountId: string; deviceId: string; attributes: Shareable[] }): Promise<IssuedCredential & { claims: string[] }>;
  /**
   * Checks a presentation the device made of its own sharing, without using it up (the app shows this QR code
   * next): the same checks a counter makes, so a broken key binding is caught on the phone, not at the counter.
   */
  check(deviceId: string, sharingId: string, presentation: string): Promise<Verification | undefined>;
  /** Verifies a presentation as a counter would, then takes its single use. */
  verify(presentation: string): Promise<Verification>;
  /** The public keys /jwks publishes now (what a counter would fetch). */
  publishedKeys(): Promise<JWK[]>;
  history(accountId: string): Promise<SharingEntry[]>;
}

export function sharingService(deps: { db: Kysely<Schema>; issuer: string; accounts: Accounts; now: () => Date }): SharingService {
  const { db } = deps;
  const keySet = async () => keySetAt(await signingKeyRows(db, deps.now()), deps.now()).keys;
  const publishedKeys = async () => (await keySet()).map(publicPart);
  return {
    publishedKeys,
    async issue({ accountId, deviceId, attributes }) {
      const account = await deps.accounts.findById(accountId);
      const now = deps.now();
      // The device's authentication already refused these; checked again because a credential must never outlive them.
      if (!account || !mayShare(account)) throw new SharingRefused('access_denied', 'only an active level-2 account can share');
      if (!attributes.length) throw new SharingRefused('invalid_request', 'choose at least one attribute to share');
      const { values, missing } = shareableValues(account, await recordIdentity(db, account), attributes, now);
      if (missing.length) throw new SharingRefused('invalid_request', `nothing on record to share for: ${missing.join(', ')}`);
      // The provider's active ES256 key: each alg's signer comes first in the key set (key-lifecycle.ts).
      const signingKey = (await keySet()).find((key) => key.alg === 'ES256')!;
      // Bound to the key the device proved it holds (its public key as enrolled).
      const device = await deviceForProof(db, deviceId);
      if (!device || device.accountId !== accountId || device.removedAt) throw new SharingRefused('access_denied', 'the device is not bound to this account');
      const issued = await issueCredential({ issuer: deps.issuer, signingKey, deviceKey: device.publicJwk, values, now });
      const claims = Object.keys(values);
      await recordSharing(db, { id: issued.id, accountId, deviceId, claims, createdAt: issued.issuedAt, expiresAt: issued.expiresAt });
      return { ...issued, claims };
    },
    async check(deviceId, sharingId, presentation) {
      const sharing = await sharingOfDevice(db, sharingId, deviceId);
      if (!sharing) return undefined;
      const result = await verifyPresentation(presentation, { issuer: deps.issuer, keys: await publishedKeys(), now: deps.now() });
      if (result.ok && result.id !== sharingId) return { ok: false, reason: 'key_binding', detail: 'the presentation is of another sharing' };
      if (result.ok && sharing.presentedAt) return { ok: false, reason: 'replayed', detail: 'this sharing was already presented once' };
      return result;
    },
    async verify(presentation) {
      const result = await verifyPresentation(presentation, { issuer: deps.issuer, keys: await publishedKeys(), now: deps.now() });
      if (!result.ok) return result;
      const use = await takeSharing(db, result.id, Object.keys(result.claims), deps.now());
      if (use === 'replayed') return { ok: false, reason: 'replayed', detail: 'this sharing was already presented once' };
      if (use === 'revoked') return { ok: false, reason: 'revoked', detail: 'the citizen\'s account or device no longer allows this sharing' };
      return result;
    },
    history: (accountId) => sharingsOf(db, accountId),
  };
}
