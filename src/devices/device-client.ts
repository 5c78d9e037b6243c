// The app's side of the app API, for the sandbox simulator and tests: a device key, the enrolment signature and
// a fresh Device-Proof per request. What a real phone does, with the key in a JWK instead of secure hardware.
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { CompactSign, exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';
import { bodyHash, PROOF_TYP } from './proof.ts';

export interface DeviceKey {
  privateJwk: JWK;
  publicJwk: JWK;
}

export async function generateDeviceKey(): Promise<DeviceKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  return { privateJwk: await exportJWK(privateKey), publicJwk: { kty: publicJwk.kty!, crv: publicJwk.crv!, x: publicJwk.x!, y: publicJwk.y! } };
}

/** The enrolment signature: a compact JWS whose payload is exactly the challenge. */
export async function signChallenge(privateJwk: JWK, challenge: string): Promise<string> {
  return new CompactSign(new TextEncoder().encode(challenge)).setProtectedHeader({ alg: 'ES256' }).sign(await importJWK(privateJwk, 'ES256'));
}

export interface ProofInput {
  deviceId: string;
  method: string;
  /** Full URL; any query is left out of htu. */
  url: string;
  /** The body exactly as it will be sent. */
  rawBody?: string | undefined;
  /** Seconds since the epoch (default: now). */
  iat?: number;
  jti?: string;
}

export async function signProof(privateJwk: JWK, input: ProofInput): Promise<string> {
  const htu = input.url.split('?')[0]!;
  return new SignJWT({ htm: input.method, htu, ...(input.rawBody ? { bsh: bodyHash(input.rawBody) } : {}) })
    .setProtectedHeader({ alg: 'ES256', typ: PROOF_TYP, kid: input.deviceId })
    .setIssuedAt(input.iat ?? Math.floor(Date.now() / 1000))
    .setJti(input.jti ?? randomBytes(16).toString('base64url'))
    .sign(await importJWK(privateJwk, 'ES256'));
}

export interface AppResponse {
  status: number;
  body: any;
}

/** How requests reach the API: over HTTP, or into the app in-process (fastify inject). */
export type Send = (method: string, path: string, headers: Record<string, string>, rawBody: string | undefined) => Promise<AppResponse>;

export function httpSend(baseUrl: string): Send {
  return async (method, path, headers, rawBody) => {
    const response = await fetch(`${baseUrl}${path}`, { method, headers, ...(rawBody !== undefined ? { body: rawBody } : {}) });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  };
}

/** Into the app in-process, through Fastify's inject: the same routes, hooks and checks as over HTTP. */
export function injectSend(app: FastifyInstance): Send {
  return async (method, path, headers, rawBody) => {
    const response = await app.inject({ method: method as 'GET', url: path, headers, ...(rawBody !== undefined ? { payload: rawBody } : {}) });
    return { status: response.statusCode, body: response.body ? JSON.parse(response.body) : undefined };
  };
}

export interface SignedDevice {
  deviceId: string;
  /** Sends a JSON request to the app API with a fresh Device-Proof. */
  request(method: string, path: string, body?: unknown): Promise<AppResponse>;
}

export function signedDevice(options: { deviceId: string; privateJwk: JWK; issuer: string; send: Send; now?: () => Date }): SignedDevice {
  return {
    deviceId: options.deviceId,
    async request(method, path, body) {
      const rawBody = body === undefined ? undefined : JSON.stringify(body);
      const iat = Math.floor((options.now?.() ?? new Date()).getTime() / 1000);
      const proof = await signProof(options.privateJwk, { deviceId: options.deviceId, method, url: `${options.issuer}${path}`, rawBody, iat });
      const headers: Record<string, string> = { 'device-proof': proof, accept: 'application/json' };
      if (rawBody !== undefined) headers['content-type'] = 'application/json';
      return options.send(method, path, headers, rawBody);
    },
  };
}

/** The whole enrolment as the app does it: password → SMS code → key, signature → device. */
export async function enrol(options: {
  issuer: string;
  send: Send;
  personalId: string;
  password: string;
  readSmsCode: () => Promise<string>;
  deviceName?: string;
  key?: DeviceKey;
  now?: () => Date;
}): Promise<SignedDevice & { key: DeviceKey }> {
  const json = { 'content-type': 'application/json', accept: 'application/json' };
  const started = await options.send('POST', '/app/enrolments', json, JSON.stringify({ personal_id: options.personalId, password: options.password }));
  if (started.status !== 201) throw new EnrolmentError(started);
  const key = options.key ?? (await generateDeviceKey());
  const code = await options.readSmsCode();
  const body = { code, public_jwk: key.publicJwk, device_name: options.deviceName ?? 'Điện thoại thử nghiệm', signature: await signChallenge(key.privateJwk, started.body.challenge) };
  const done = await options.send('POST', `/app/enrolments/${encodeURIComponent(started.body.enrolment_id)}/complete`, json, JSON.stringify(body));
  if (done.status !== 201) throw new EnrolmentError(done);
  const device = signedDevice({ deviceId: done.body.device_id, privateJwk: key.privateJwk, issuer: options.issuer, send: options.send, ...(options.now ? { now: options.now } : {}) });
  return { ...device, key };
}

export class EnrolmentError extends Error {
  override name = 'EnrolmentError';
  readonly response: AppResponse;
  constructor(response: AppResponse) {
    super(`enrolment refused (${response.status}): ${response.body?.error}: ${response.body?.error_description}`);
    this.response = response;
  }
}
