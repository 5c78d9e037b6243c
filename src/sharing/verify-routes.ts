// The counter's side on the provider: /verify (a page: paste or upload the scanned text; vi and en) and
// POST /verify/presentations (JSON). Both verify against the published keys and take the sharing's one use.
import fastifyMultipart from '@fastify/multipart';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { translator, type Language } from '../interactions/i18n.ts';
import { chooseLanguage, LANGUAGE_COOKIE, switchUrl } from '../interactions/language.ts';
import { shownAttributes } from './display.ts';
import type { SharingService } from './service.ts';
import { MAX_PRESENTATION, type Verification } from './verify.ts';

export interface VerifyRouteOptions {
  sharing: Pick<SharingService, 'verify'>;
}

// Guessing presentations is pointless (each is signed), but every attempt costs signature checks. Generous
// enough for a bank whose branches all verify from one address.
const rateLimit = { max: 300, timeWindow: 60_000 };
const at = (date: Date, lang: Language) => date.toLocaleString(lang === 'vi' ? 'vi-VN' : 'en-GB', { timeZone: 'Asia/Ho_Chi_Minh' });

export const verifyRoutes: FastifyPluginAsync<VerifyRouteOptions> = async (app, { sharing }) => {
  // The upload is the scanned text of one QR code: one small file, a few fields, all read into the body. In this
  // plugin's scope only.
  await app.register(fastifyMultipart, { attachFieldsToBody: 'keyValues', limits: { fileSize: MAX_PRESENTATION, files: 1, fields: 4, parts: 5 } });
  type Page = { Querystring: { lang?: string }; Body: { presentation?: unknown; file?: unknown; _csrf?: unknown } };
  const languageOf = (request: FastifyRequest<Page>) => chooseLanguage({ query: request.query.lang, cookie: request.cookies[LANGUAGE_COOKIE] });

  async function page(request: FastifyRequest<Page>, reply: FastifyReply, extra: { result?: Verification; error?: string; status?: number } = {}) {
    const lang = languageOf(request);
    const t = translator(lang);
    const result = extra.result;
    reply.header('cache-control', 'no-store');
    return reply.code(extra.status ?? 200).view('verify', {
      lang,
      t,
      title: t('verify.title'),
      switchUrl: switchUrl(request.url, lang),
      csrf: await reply.generateCsrf(),
      action: `/verify?lang=${lang}`,
      error: extra.error,
      verified: result?.ok ? { attributes: shownAttributes(result.claims, t), validity: t('verify.valid_until', { issued: at(result.issuedAt, lang), expires: at(result.expiresAt, lang) }) } : undefined,
      refused: result && !result.ok ? { reason: result.reason, message: t(`verify.reason.${result.reason}`), detail: result.detail } : undefined,
    });
  }

  // A person whose form fails its CSRF check gets the page again with the reason, not the JSON the app-wide
  // handler gives programs; every other error goes on to that handler (Fastify passes what this one throws up).
  // So does one whose upload is not one small text file (too large, several files, not multipart).
  app.setErrorHandler(async (error: { code?: string; statusCode?: number; message?: string }, request: FastifyRequest<Page>, reply) => {
    // busboy's refusals of a body it cannot read (no boundary, cut short) carry no status: the caller's doing, a 400.
    if (error.statusCode === undefined && /^(Multipart: |Malformed part header|Unexpected end of (form|multipart data))/.test(error.message ?? '')) {
      error.statusCode = 400;
    }
    if (request.routeOptions.url !== '/verify' || request.method !== 'POST') throw error;
    const t = translator(languageOf(request));
    if (error.code?.startsWith('FST_CSRF')) return page(request, reply, { error: t('error.csrf'), status: 403 });
    if (error.statusCode && error.statusCode < 500) return page(request, reply, { error: t('verify.upload_refused'), status: error.statusCode });
    throw error;
  });

  app.get<Page>('/verify', async (request, reply) => page(request, reply));

  app.post<Page>(
    '/verify',
    {
      config: { rateLimit },
      preHandler: app.csrfProtection,
    },
    async (request, reply) => {
      const pasted = typeof request.body?.presentation === 'string' ? request.body.presentation : '';
      const file = request.body?.file;
      const uploaded = typeof file === 'string' ? file : Buffer.isBuffer(file) ? file.toString('utf8') : '';
      const text = pasted.trim() || uploaded.trim();
      const result: Verification = text ? await sharing.verify(text) : { ok: false, reason: 'malformed', detail: 'nothing was pasted or uploaded' };
      return page(request, reply, { result, status: result.ok ? 200 : 422 });
    },
  );

  app.post<{ Body: { presentation: string } }>(
    '/verify/presentations',
    {
      config: { rateLimit },
      schema: {
        body: {
          type: 'object',
          required: ['presentation'],
          additionalProperties: false,
          properties: { presentation: { type: 'string', minLength: 1, maxLength: MAX_PRESENTATION } },
        },
      },
    },
    async (request, reply) => {
      const result = await sharing.verify(request.body.presentation);
      reply.header('cache-control', 'no-store');
      if (!result.ok) return reply.code(400).send({ error: 'invalid_presentation', reason: result.reason, error_description: result.detail });
      return { verified: true, claims: result.claims, issued_at: result.issuedAt.toISOString(), expires_at: result.expiresAt.toISOString() };
    },
  );
};
