// The developer sandbox's console: /sandbox (personas, the sandbox client, discovery), /sandbox/sms and
// /sandbox/sms.json (what was sent to sandbox phones). Registered by app.ts only while the sandbox is on, so in
// production these routes do not exist. Also marks clients registered through dynamic registration as sandbox's.
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type Provider from 'oidc-provider';
import { normalizeMobile } from '../accounts/phone.ts';
import type { Schema } from '../db/schema.ts';
import { translator } from '../interactions/i18n.ts';
import { chooseLanguage, LANGUAGE_COOKIE, switchUrl } from '../interactions/language.ts';
import { TRY_IT_VERIFIER, tryItUrl } from './banner.ts';
import { sandboxInbox } from './inbox.ts';
import { sandboxText } from './messages.ts';
import { personas } from './personas.ts';
import { SANDBOX_CLIENT_ID, SANDBOX_PASSWORD, sandboxClient, type SandboxClientOptions } from './seed.ts';

export interface SandboxRouteOptions {
  db: Kysely<Schema>;
  provider: Provider;
  client: SandboxClientOptions;
  now: () => Date;
}

export const sandboxRoutes: FastifyPluginAsync<SandboxRouteOptions> = async (app, options) => {
  const { db, provider, client } = options;
  const issuer = client.issuer;

  // A registered client is the sandbox's: production refuses to start while it exists, `cli sandbox remove` takes it.
  provider.on('registration_create.success', (_ctx, registered) => {
    void db.insertInto('sandbox_seed').values({ kind: 'relying_party', key: registered.clientId }).onConflict((oc) => oc.doNothing()).execute()
      .catch((error: unknown) => app.log.warn({ err: error }, 'could not mark a registered client as the sandbox\'s'));
  });
  provider.on('registration_delete.success', (_ctx, deleted) => {
    void db.deleteFrom('sandbox_seed').where('kind', '=', 'relying_party').where('key', '=', deleted.clientId).execute()
      .catch((error: unknown) => app.log.warn({ err: error }, 'could not unmark a deleted sandbox client'));
  });

  type LangQuery = { Querystring: { lang?: string; phone?: string } };
  const pageData = (request: FastifyRequest<LangQuery>) => {
    const lang = chooseLanguage({ query: request.query.lang, cookie: request.cookies[LANGUAGE_COOKIE] });
    return { lang, t: translator(lang), s: sandboxText(lang), switchUrl: switchUrl(request.url, lang) };
  };

  app.get<LangQuery>('/sandbox', async (request, reply) => {
    const page = pageData(request);
    const metadata = sandboxClient(client);
    return reply.header('cache-control', 'no-store').view('sandbox', {
      ...page,
      title: page.s('title'),
      password: SANDBOX_PASSWORD,
      personas: personas(),
      client: {
        id: SANDBOX_CLIENT_ID,
        secret: client.clientSecret,
        redirectUris: metadata.redirect_uris,
        postLogoutRedirectUris: metadata.post_logout_redirect_uris,
        scopes: String(metadata.scope).split(' '),
        grantTypes: metadata.grant_types,
      },
      tryIt: client.redirectUris[0] ? tryItUrl(issuer, client.redirectUris[0]) : undefined,
      verifier: TRY_IT_VERIFIER,
      discovery: `${issuer}/.well-known/openid-configuration`,
      registration: `${issuer}/reg`,
    });
  });

  /** The ?phone= filter in E.164, as people type it (0912…, +84912…); undefined: none; null: not a phone number. */
  const phoneFilter = (raw: unknown) => (typeof raw === 'string' && raw.trim() ? normalizeMobile(raw.trim()) : undefined);

  app.get<LangQuery>('/sandbox/sms.json', async (request, reply) => {
    const phone = phoneFilter(request.query.phone);
    if (phone === null) return reply.code(400).send({ error: 'invalid_request', error_description: 'phone: not a Vietnamese mobile number (0 or +84, then 9 digits)' });
    const messages = await sandboxInbox(db, options.now(), phone ? { phone } : {});
    return reply.header('cache-control', 'no-store').send({ messages });
  });

  app.get<LangQuery>('/sandbox/sms', async (request, reply) => {
    const page = pageData(request);
    const phone = phoneFilter(request.query.phone);
    const messages = phone === null ? [] : await sandboxInbox(db, options.now(), phone ? { phone } : {});
    return reply.code(phone === null ? 400 : 200).header('cache-control', 'no-store').view('sandbox-sms', {
      ...page,
      title: page.s('sms'),
      messages,
      phone: typeof request.query.phone === 'string' ? request.query.phone : '',
      jsonUrl: `/sandbox/sms.json${phone ? `?phone=${encodeURIComponent(phone)}` : ''}`,
    });
  });
};
