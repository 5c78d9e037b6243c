// Mounts oidc-provider inside Fastify: protocol paths go to the provider, Fastify owns everything else. Before the
// provider sees a request, its parameters are checked here: text PostgreSQL cannot store (NUL, unpaired
// surrogates) and other control characters are refused as invalid_request, in the provider's own terms.
import type { IncomingMessage } from 'node:http';
import { parse as parseQuery } from 'node:querystring';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { decodesToPrintableAscii, isAcceptableText, unacceptableDescription, unacceptableParameter } from '../http/acceptable-text.ts';
import type { ProviderPages } from './provider.ts';
import { localisedFormPost } from './form-post-page.ts';
import { chooseLanguage, LANGUAGE_COOKIE } from '../interactions/language.ts';

// The provider's default routes (node_modules/oidc-provider/lib/helpers/defaults.js, `routes`), plus discovery.
// Those whose callers are programs answer JSON (or a JWT); the others are pages a browser shows.
const PROGRAM_PATHS = ['/.well-known', '/token', '/me', '/jwks', '/request', '/backchannel', '/reg', '/challenge', '/credential'];
const DOCUMENT_PATHS = ['/auth', '/session/end', '/device'];

export interface ProviderMountOptions {
  provider: Provider;
  /** The provider's error page (its configured renderError), for refusals a browser should see as a page. */
  errorPage: ProviderPages['error'];
}

export async function providerRoutes(app: FastifyInstance, { provider, errorPage }: ProviderMountOptions) {
  // Fastify reads the body (its body limit applies) so it can be checked; the provider gets it replayed.
  app.removeAllContentTypeParsers();
  const asRead = (_request: FastifyRequest, body: Buffer, done: (error: null, body: Buffer) => void) => done(null, body);
  // The types the provider reads by name: Fastify remembers which parser a content type found, except the
  // catch-all's, which it looked for afresh on every request (about 5 µs per token request in a CPU profile).
  app.addContentTypeParser(['application/x-www-form-urlencoded', 'application/json'], { parseAs: 'buffer' }, asRead);
  app.addContentTypeParser('*', { parseAs: 'buffer' }, asRead);

  // The provider's own auto-submitting page in the citizen's language (form-post-page.ts). A protocol path with no
  // route for this method (GET /token, /me/x) is answered like any other unknown route: JSON for programs, the
  // error page for browsers; Koa's default would be a bare text "Not Found".
  provider.use(async (ctx, next) => {
    await next();
    if (typeof ctx.body === 'string' && ctx.response.is('html')) {
      const lang = chooseLanguage({ cookie: ctx.cookies.get(LANGUAGE_COOKIE, { signed: false }), uiLocales: (ctx as unknown as KoaContextWithOIDC).oidc?.params?.ui_locales });
      const page = localisedFormPost(ctx.body, lang);
      if (page) ctx.body = page;
      return;
    }
    if (ctx.status !== 404 || ctx.body != null) return;
    const out = { error: 'not_found', error_description: `no route ${ctx.method} ${ctx.path}` };
    ctx.status = 404;
    ctx.set('cache-control', 'no-store');
    if (ctx.accepts('json', 'html') === 'html') {
      ctx.type = 'text/html; charset=utf-8';
      ctx.body = await errorPage(ctx as unknown as KoaContextWithOIDC, out);
    } else {
      ctx.body = out;
    }
  });
  const handle = provider.callback();

  async function refuse(request: FastifyRequest, reply: FastifyReply, description: string) {
    const out = { error: 'invalid_request', error_description: description };
    reply.code(400).header('cache-control', 'no-store');
    const ctx = provider.createContext(request.raw, reply.raw) as unknown as KoaContextWithOIDC;
    // As the provider answers its own errors: the authorization endpoint always with a page (it is a browser's),
    // the others with a page only when the caller prefers HTML to JSON.
    if (request.url.startsWith('/auth') || ctx.accepts('json', 'html') === 'html') {
      return reply.type('text/html; charset=utf-8').send(await errorPage(ctx, out));
    }
    return reply.send(out);
  }

  const forward = (request: FastifyRequest, reply: FastifyReply) => {
    const body = Buffer.isBuffer(request.body) ? request.body : undefined;
    const problem = unacceptablePart(request, body);
    if (problem) return refuse(request, reply, problem);
    reply.hijack();
    // Fastify has read the stream to its end (req.readable is false), so the provider takes the body Fastify read
    // from req.body (lib/shared/selective_body.js), as it does under an upstream body parser.
    if (body) (request.raw as IncomingMessage & { body?: Buffer }).body = body;
    handle(request.raw, reply.raw);
    return undefined;
  };
  for (const [paths, config] of [[PROGRAM_PATHS, { checksOwnParameters: true, answersPrograms: true }], [DOCUMENT_PATHS, { checksOwnParameters: true }]] as const) {
    for (const path of paths) {
      app.all(path, { config }, forward);
      app.all(`${path}/*`, { config }, forward);
    }
  }
}

/** What in the request is not acceptable text, described for the caller; parsed as the provider parses it. */
function unacceptablePart(request: FastifyRequest, body: Buffer | undefined): string | undefined {
  const url = request.raw.url ?? '';
  // Most requests are printable ASCII however they are decoded: told from the raw bytes, nothing parsed twice.
  if (decodesToPrintableAscii(url) && (!body || (isForm(request.headers['content-type']) && decodesToPrintableAscii(body)))) return undefined;
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  if (!isAcceptableText(safeDecode(path))) return 'the request path contains a character that is not allowed (a control character or an unpaired surrogate)';
  // Koa reads the query with node:querystring, as here.
  const inQuery = q < 0 ? undefined : unacceptableParameter(parseQuery(url.slice(q + 1)));
  const inBody = body ? unacceptableParameter(parsedBody(request.headers['content-type'] ?? '', body)) : undefined;
  const found = inQuery ?? inBody;
  return found ? unacceptableDescription(found) : undefined;
}

/**
 * The body as oidc-provider parses it (lib/shared/selective_body.js): always as UTF-8, whatever charset the
 * content type names (it reads ctx.charset, which Koa's context does not define). What it cannot parse, it refuses itself.
 */
function parsedBody(contentType: string, body: Buffer): unknown {
  const mime = mimeOf(contentType);
  try {
    if (mime === 'application/x-www-form-urlencoded') return parseQuery(body.toString('utf8'));
    if (mime === 'application/json') return JSON.parse(body.toString('utf8'));
  } catch {
    // Malformed JSON: the provider answers invalid_request for it.
  }
  return undefined;
}

const mimeOf = (contentType: string) => (contentType.split(';')[0] ?? '').trim().toLowerCase();
const FORM = /^\s*application\/x-www-form-urlencoded\s*(;|$)/i;
const isForm = (contentType: string | undefined) => contentType !== undefined && FORM.test(contentType);

function safeDecode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}
