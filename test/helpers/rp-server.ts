// A relying party's own HTTP server on 127.0.0.1, as the provider reaches it: its JWKS (jwks_uri) and its
// back-channel logout endpoint, which records every logout token and answers as the test wants.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRemoteJWKSet, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose';

/** ok: 200; error: 500; silent: never answers (the provider gives up on its own). */
export type LogoutAnswer = 'ok' | 'error' | 'silent';

export interface RpServer {
  url: string;
  logoutUri: string;
  jwksUri: string;
  /** logout_token values received, oldest first. */
  logoutTokens: string[];
  /** Logout requests that never got an answer and that the provider abandoned. */
  abandoned: number;
  close(): Promise<void>;
}

export async function startRpServer(options: { answer?: LogoutAnswer; jwks?: JSONWebKeySet } = {}): Promise<RpServer> {
  const answer = options.answer ?? 'ok';
  const held = new Set<ServerResponse>();
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    if (request.method === 'GET' && request.url === '/jwks.json' && options.jwks) {
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(options.jwks));
      return;
    }
    if (request.method !== 'POST' || request.url !== '/backchannel-logout') {
      response.writeHead(404).end();
      return;
    }
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      const token = new URLSearchParams(body).get('logout_token');
      if (token) self.logoutTokens.push(token);
      if (answer === 'silent') {
        held.add(response);
        response.on('close', () => {
          if (held.delete(response)) self.abandoned += 1;
        });
        return;
      }
      response.writeHead(answer === 'ok' ? 200 : 500, { 'cache-control': 'no-store' }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const self: RpServer = {
    url,
    logoutUri: `${url}/backchannel-logout`,
    jwksUri: `${url}/jwks.json`,
    logoutTokens: [],
    abandoned: 0,
    async close() {
      held.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return self;
}

/**
 * Verifies a logout token as OpenID Connect Back-Channel Logout 1.0 §2.6 asks a relying party to: signed by the
 * provider (its JWKS), issuer, audience, typ, the logout event, sub or sid, and no nonce. Returns its claims.
 */
export async function verifyLogoutToken(token: string, expected: { issuer: string; jwksUri: string; clientId: string }): Promise<JWTPayload> {
  const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(expected.jwksUri)), {
    issuer: expected.issuer,
    audience: expected.clientId,
    typ: 'logout+jwt',
    requiredClaims: ['iat', 'jti', 'events'],
  });
  const events = payload.events as Record<string, unknown> | undefined;
  if (JSON.stringify(events?.['http://schemas.openid.net/event/backchannel-logout']) !== '{}') throw new Error('no back-channel logout event');
  if (!payload.sub && !payload.sid) throw new Error('neither sub nor sid');
  if ('nonce' in payload) throw new Error('a logout token carries no nonce');
  return payload;
}
