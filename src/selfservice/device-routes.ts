// The citizen's devices on /account: the e-ID app installs bound to the account, renaming one and removing one.
// Removing takes effect at the next request the device makes (its proofs are checked against the table each time).
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type Provider from 'oidc-provider';
import { recordAudit } from '../audit/audit.ts';
import type { Schema } from '../db/schema.ts';
import { deviceName, devicesOf, removeDevice, renameDevice } from '../devices/devices.ts';
import type { Language, Translate } from '../interactions/i18n.ts';
import { sessionAccountId } from '../oidc/session.ts';

const when = (date: Date, lang: Language) => date.toLocaleString(lang === 'vi' ? 'vi-VN' : 'en-GB', { timeZone: 'Asia/Ho_Chi_Minh' });

/** The account's devices as the page shows them. */
export async function deviceList(db: Kysely<Schema>, accountId: string, lang: Language, t: Translate) {
  return (await devicesOf(db, accountId)).map((device) => ({
    id: device.id,
    name: device.name,
    added: when(device.createdAt, lang),
    lastUsed: device.lastUsedAt ? when(device.lastUsedAt, lang) : t('account.device_never_used'),
    renameAction: `/account/devices/${encodeURIComponent(device.id)}/rename`,
    removeAction: `/account/devices/${encodeURIComponent(device.id)}/remove`,
  }));
}

const NOTICES = {
  removed: 'account.device_removed',
  renamed: 'account.device_renamed',
  invalid_name: 'account.device_name_invalid',
  not_found: 'account.device_not_found',
} as const;

/** The message after a device form, from ?device=… on the page it redirected to. */
export function deviceNotice(query: unknown, t: Translate): string | undefined {
  const outcome = (query as { device?: unknown }).device;
  return typeof outcome === 'string' && outcome in NOTICES ? t(NOTICES[outcome as keyof typeof NOTICES]) : undefined;
}

export function deviceRoutes(app: FastifyInstance, deps: { provider: Provider; db: Kysely<Schema>; now: () => Date }) {
  const { provider, db } = deps;
  type DeviceForm = { Params: { id: string }; Body: { name?: unknown } };
  const back = (outcome: keyof typeof NOTICES) => `/account?device=${outcome}`;

  app.post<DeviceForm>('/account/devices/:id/rename', { preHandler: app.csrfProtection }, async (request, reply) => {
    const accountId = await sessionAccountId(provider, request.raw, reply.raw);
    if (!accountId) return reply.redirect('/account', 303);
    const name = typeof request.body?.name === 'string' ? deviceName(request.body.name) : undefined;
    if (!name) return reply.redirect(back('invalid_name'), 303);
    if (!(await renameDevice(db, accountId, request.params.id, name))) return reply.redirect(back('not_found'), 303);
    await recordAudit(db, { actor: { type: 'citizen', id: accountId }, action: 'device.renamed', subject: { type: 'account', id: accountId }, detail: { device: request.params.id }, ip: request.ip, at: deps.now() });
    return reply.redirect(back('renamed'), 303);
  });

  app.post<DeviceForm>('/account/devices/:id/remove', { preHandler: app.csrfProtection }, async (request, reply) => {
    const accountId = await sessionAccountId(provider, request.raw, reply.raw);
    if (!accountId) return reply.redirect('/account', 303);
    const at = deps.now();
    if (!(await removeDevice(db, accountId, request.params.id, at))) return reply.redirect(back('not_found'), 303);
    await recordAudit(db, { actor: { type: 'citizen', id: accountId }, action: 'device.removed', subject: { type: 'account', id: accountId }, detail: { device: request.params.id, by: 'account_page' }, ip: request.ip, at });
    return reply.redirect(back('removed'), 303);
  });
}
