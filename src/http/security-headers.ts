// Security headers on every response, by helmet. Its middleware is built once here: @fastify/helmet builds it
// anew on every request (parsing the CSP directives each time), which showed in the profile of the token endpoint.
// And it runs once: every header it sets is static, so each response gets the recorded list (its chain of a dozen
// middlewares per request was 3 % of the token endpoint's CPU). Pages get the full set, API answers a shorter one.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import helmet from 'helmet';
import { WAIT_SCRIPT_SOURCE } from '../devices/qr-sign-in/wait-script.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route answers programs (JSON or a JWT, never a page): it gets the API's shorter set of headers. */
    answersPrograms?: boolean;
  }
}

type HelmetOptions = NonNullable<Parameters<typeof helmet>[0]>;

export function securityHeaders(app: FastifyInstance, { secureCookies }: { secureCookies: boolean }): void {
  const hsts: HelmetOptions['strictTransportSecurity'] = secureCookies ? { maxAge: 31_536_000, includeSubDomains: true } : false;
  const forDocuments = recordedHeaders({
    // Our pages may not be framed (clickjacking of sign-in and consent) and load nothing from elsewhere.
    // No form-action: after a form post the flow redirects on to the relying party, which form-action would block.
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'none'"],
        // No script of ours runs: this source is the hash of the empty script. It exists so that the provider's
        // form_post page can add the hash of its one auto-submit script here (oidc-provider
        // lib/helpers/script_src_sha.js extends an existing script-src only); without it the response never leaves.
        // And the sign-in page's QR waiting script (src/devices/qr-sign-in/wait-script.ts), by its hash too.
        scriptSrc: ["'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='", WAIT_SCRIPT_SOURCE],
        styleSrc: ["'unsafe-inline'"],
        // https: for the relying party's logo on the consent page (registered by an operator, https only in production).
        imgSrc: ["'self'", 'data:', 'https:'],
        // That script asks its own origin how the QR code stands.
        connectSrc: ["'self'"],
        baseUri: ["'none'"],
        frameAncestors: ["'none'"],
        ...(secureCookies ? { upgradeInsecureRequests: [] } : {}),
      },
    },
    strictTransportSecurity: hsts,
    referrerPolicy: { policy: 'no-referrer' },
    crossOriginEmbedderPolicy: false,
  });
  // What an API answer needs (OWASP's REST security headers): nothing may load or frame it, its type is not
  // sniffed. The rest of the documents' set only means something to a page: half the header bytes of every
  // token, userinfo and introspection answer, which were a fifth of the full stack's extra cost per token.
  const forPrograms = recordedHeaders({
    contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
    strictTransportSecurity: hsts,
    referrerPolicy: { policy: 'no-referrer' },
    xFrameOptions: { action: 'deny' },
    crossOriginEmbedderPolicy: false,
    crossOriginOpenerPolicy: false,
    originAgentCluster: false,
    xDnsPrefetchControl: false,
    xDownloadOptions: false,
    xPermittedCrossDomainPolicies: false,
    xXssProtection: false,
  });
  // On the root instance, so that every route has them, the provider's hijacked ones included. A browser opening
  // a program's endpoint may be shown a page (the provider's error page): it gets the documents' set.
  app.addHook('onRequest', (request, reply, done) => {
    const programs = request.routeOptions.config?.answersPrograms === true && !request.headers.accept?.includes('text/html');
    const { headers, removed } = programs ? forPrograms : forDocuments;
    const response = reply.raw;
    for (const [name, value] of headers) response.setHeader(name, value);
    for (const name of removed) response.removeHeader(name);
    done();
  });
}

/** The headers helmet sets with these options, recorded once: they are static, so each response gets the list. */
function recordedHeaders(options: HelmetOptions): { headers: Array<[string, string]>; removed: string[] } {
  const headers: Array<[string, string]> = [];
  const removed: string[] = [];
  let failure: unknown;
  const recorder = {
    setHeader: (name: string, value: string) => void headers.push([name, value]),
    removeHeader: (name: string) => void removed.push(name),
  } as unknown as ServerResponse;
  helmet(options)({ headers: {} } as IncomingMessage, recorder, (error?: unknown) => void (failure = error));
  if (failure !== undefined || headers.length === 0) throw new Error(`helmet did not give its headers at start: ${String(failure)}`);
  return { headers, removed };
}
