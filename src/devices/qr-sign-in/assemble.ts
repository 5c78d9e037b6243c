// QR sign-in's parts bound to the app's database, clock and provider: what the sign-in pages need
// (interactions/qr-routes.ts), the app API's routes (app-routes.ts), and the requests for the sandbox's panel.
import type Provider from 'oidc-provider';
import type { Kysely } from 'kysely';
import type { Accounts } from '../../accounts/accounts.ts';
import { recordAudit } from '../../audit/audit.ts';
import type { Schema } from '../../db/schema.ts';
import { deviceForProof } from '../devices.ts';
import { qrSignInAppApi } from './app-routes.ts';
import { qrSignInRequests } from './requests.ts';

export function qrSignIn(deps: { db: Kysely<Schema>; provider: Provider; accounts: Accounts; issuer: string; now: () => Date }) {
  const { db, issuer, now } = deps;
  const requests = qrSignInRequests(db, now);
  // Still bound to the account when the browser goes on (the account's own state is checked beside it).
  const deviceUsable = async (deviceId: string, accountId: string) => {
    const device = await deviceForProof(db, deviceId);
    return device?.accountId === accountId && device.removedAt === null;
  };
  return {
    requests,
    pages: { requests, issuer, now, deviceUsable },
    appApi: qrSignInAppApi({ requests, accounts: deps.accounts, provider: deps.provider, issuer, now, audit: (event) => recordAudit(db, event) }),
  };
}
