// Accounts read by id, kept in memory per instance: a sign-in asks the provider for the same account at every step
// (after the password, at consent, at the token and userinfo endpoints). Every change to an account or a citizen's
// record is announced by the database itself (migrations/0018_account_changes.sql), so what is served is never
// older than the last commit's notice; sign-in by personal ID (the password check) always reads the database.
import { noticedCache } from '../db/noticed-cache.ts';
import type { Accounts, CitizenAccount } from './accounts.ts';

export const ACCOUNT_CHANGES = 'dinhdanh_account_changes';

export interface CachedAccounts extends Accounts {
  /** A change notice: that account ('' for all). */
  changed(accountId: string): void;
  reset(): void;
}

export function cachedAccounts(accounts: Accounts, live: () => boolean): CachedAccounts {
  const cache = noticedCache<CitizenAccount | undefined>((id) => accounts.findById(id), live, { keep: (account) => account !== undefined });
  return {
    findById: (id) => cache.find(id),
    findByPersonalId: (personalId) => accounts.findByPersonalId(personalId),
    byPersonalId: (personalId) => accounts.byPersonalId(personalId),
    changed: (accountId) => cache.forget(accountId),
    reset: () => cache.clear(),
  };
}
