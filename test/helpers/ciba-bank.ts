// A bank's back office using CIBA through openid-client 6: private_key_jwt, DPoP-bound tokens, its keys published at a
// jwks_uri and (ping mode) a client notification endpoint. Both live on a local https server on 127.0.0.1, whose
// certificate (made by openssl for the test) the provider is told to trust (OUTBOUND_EXTRA_CA_FILE).
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import type { ClientMetadata } from 'oidc-provider';
import * as oidc from 'openid-client';
import { bankClientDefaults } from '../../src/clients/profiles.ts';
import type { RunningProvider } from './provider.ts';

const run = promisify(execFile);
export const CIBA_GRANT = 'urn:openid:params:grant-type:ciba';

/** A certificate for 127.0.0.1, made for this test run. */
export interface LocalTls {
  caFile: string;
  cert: string;
  key: string;
  remove(): Promise<void>;
}

export async function localTls(): Promise<LocalTls> {
  const dir = await mkdtemp(join(tmpdir(), 'ciba-tls-'));
  const [certFile, keyFile] = [join(dir, 'cert.pem'), join(dir, 'key.pem')];
  await run('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', keyFile, '-out', certFile,
  ]);
  return { caFile: certFile, cert: await readFile(certFile, 'utf8'), key: await readFile(keyFile, 'utf8'), remove: () => rm(dir, { recursive: true, force: true }) };
}

/** A notification the provider sent to the bank (ping mode). */
export interface Ping {
  authorization: string | undefined;
  body: { auth_req_id?: string };
}

/** The bank's https server: /jwks/<client> for its keys, /notify for pings (answered 204 No Content). */
export interface BankServer {
  url: string;
  pings: Ping[];
  publish(clientId: string, keys: JWK[]): void;
  close(): Promise<void>;
}

export async function bankServer(tls: LocalTls): Promise<BankServer> {
  const published = new Map<string, JWK[]>();
  const pings: Ping[] = [];
  const server: Server = createServer({ cert: tls.cert, key: tls.key }, (request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const path = request.url ?? '';
      if (request.method === 'GET' && path.startsWith('/jwks/')) {
        const keys = published.get(decodeURIComponent(path.slice('/jwks/'.length)));
        response.writeHead(keys ? 200 : 404, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: keys ?? [] }));
        return;
      }
      if (request.method === 'POST' && path === '/notify') {
        pings.push({ authorization: request.headers.authorization, body: JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') });
        response.writeHead(204).end();
        return;
      }
      response.writeHead(404).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const url = `https://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return {
    url,
    pings,
    publish: (clientId, keys) => published.set(clientId, keys),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export interface CibaBank {
  clientId: string;
  config: oidc.Configuration;
  authKey: { publicKey: CryptoKey; privateKey: CryptoKey };
}

export interface CibaBankOptions {
  mode?: 'poll' | 'ping';
  scope?: string;
  assuranceLevel?: 1 | 2;
}

/** Registers a FAPI bank approved for CIBA (the registry's defaults) and configures openid-client for it. */
export async function registerCibaBank(provider: RunningProvider, server: BankServer, clientId: string, options: CibaBankOptions = {}): Promise<CibaBank> {
  const authKey = await generateKeyPair('ES256');
  server.publish(clientId, [{ ...(await exportJWK(authKey.publicKey)), use: 'sig', alg: 'ES256', kid: 'auth' }]);
  const mode = options.mode ?? 'poll';
  await provider.addClient(
    bankClientDefaults({
      client_id: clientId,
      client_name: `Ngân hàng ${clientId}`,
      organisation_name: `Ngân hàng TMCP ${clientId}`,
      organisation_domain: `${clientId}.example.vn`,
      assurance_level: options.assuranceLevel ?? 2,
      scope: options.scope ?? 'openid profile personal_id address',
      jwks_uri: `${server.url}/jwks/${encodeURIComponent(clientId)}`,
      token_endpoint_auth_signing_alg: 'ES256',
      redirect_uris: [],
      grant_types: [CIBA_GRANT],
      backchannel_token_delivery_mode: mode,
      ...(mode === 'ping' ? { backchannel_client_notification_endpoint: `${server.url}/notify` } : {}),
    } as ClientMetadata),
  );
  const config = await oidc.discovery(
    new URL(provider.url),
    clientId,
    { id_token_signed_response_alg: 'PS256' },
    oidc.PrivateKeyJwt(authKey.privateKey, { [oidc.modifyAssertion]: (header) => void (header.kid = 'auth') }),
    { execute: [oidc.allowInsecureRequests] },
  );
  return { clientId, config, authKey };
}

/** A fresh DPoP handle: every bank token request must carry a proof (dpop_bound_access_tokens). */
export async function dpopFor(bank: CibaBank): Promise<oidc.DPoPHandle> {
  return oidc.getDPoPHandle(bank.config, await generateKeyPair('ES256'));
}
