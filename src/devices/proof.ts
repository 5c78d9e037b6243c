// Checks a Device-Proof: a compact JWS (ES256, typ device-proof+jwt, kid = device id) over {htm, htu, iat, jti, bsh?}
// made by the device key for this one request. Everything is read afresh on every request (device, account state,
// level), so removing a device or locking the account stops its requests at once.
import { createHash, timingSafeEqual } from 'node:crypto';
import { decodeProtectedHeader, importJWK, jwtVerify, type JWTPayload } from 'jose';
import type { Kysely } from 'kysely';
import type { Schema } from '../db/schema.ts';
import { deviceForProof, touchDevice, type Device } from './devices.ts';
import { claimProofJti } from './proof-replay.ts';
import { opensToDevices } from '../accounts/accounts.ts';

export const PROOF_TYP = 'device-proof+jwt';
/** How far a proof's iat may be from the server's clock, either way. */
export const PROOF_WINDOW_SECONDS = 60;

export interface ProofDeps {
  db: Kysely<Schema>;
  now: () => Date;
  /** The public base URL (the issuer): htu is this followed by the request's path. */
  issuer: string;
}

export interface ProofRequest {
  proof: string | undefined;
  method: string;
  /** The request's path (and query, which is ignored). */
  url: string;
  /** The body exactly as received, when there was one. */
  rawBody: string | undefined;
}

/** `reason` is a fixed word for the log (never the caller's text); `description` is for the caller. */
export type ProofCheck = { ok: true; device: Device } | { ok: false; reason: string; description: string };

const refuse = (reason: string, description: string): ProofCheck => ({ ok: false, reason, description });
const JTI = /^[\x21-\x7e]{16,128}$/;

export const bodyHash = (raw: string) => createHash('sha256').update(raw).digest('base64url');

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export async function verifyDeviceProof(deps: ProofDeps, request: ProofRequest): Promise<ProofCheck> {
  const { proof } = request;
  if (!proof) return refuse('missing', 'the Device-Proof header is missing: every app request carries a proof signed by the device key');
  if (proof.length > 4096 || !/^[\w-]+\.[\w-]+\.[\w-]+$/.test(proof)) return refuse('malformed', 'Device-Proof is not a compact JWS');
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(proof);
  } catch {
    return refuse('malformed', 'Device-Proof: the protected header is not readable JSON');
  }
  if (header.typ !== PROOF_TYP) return refuse('typ', `Device-Proof: typ must be "${PROOF_TYP}"`);
  if (header.alg !== 'ES256') return refuse('alg', 'Device-Proof: alg must be "ES256"');
  if (typeof header.kid !== 'string' || !/^[A-Za-z0-9_-]{20,64}$/.test(header.kid)) return refuse('kid', 'Device-Proof: kid must be the device_id given at enrolment');

  const device = await deviceForProof(deps.db, header.kid);
  // Unknown and removed answer alike: a device id says nothing about whether it was ever bound.
  if (!device || device.removedAt) return refuse('unknown_device', 'this device is not bound to an account (unknown or removed): enrol it again');

  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(proof, await importJWK(device.publicJwk, 'ES256'), { algorithms: ['ES256'], typ: PROOF_TYP, currentDate: deps.now() }));
  } catch {
    return refuse('signature', "Device-Proof: the signature does not verify with this device's key");
  }

  const path = request.url.split('?')[0]!;
  if (payload.htm !== request.method) return refuse('htm', `Device-Proof: htm must be this request's method (${request.method})`);
  if (typeof payload.htu !== 'string' || payload.htu !== `${deps.issuer}${path}`) return refuse('htu', `Device-Proof: htu must be this request's URL without query (${deps.issuer}${path})`);
  const now = deps.now().getTime() / 1000;
  if (typeof payload.iat !== 'number' || Math.abs(now - payload.iat) > PROOF_WINDOW_SECONDS) {
    return refuse('iat', `Device-Proof: iat must be the current time (within ${PROOF_WINDOW_SECONDS} seconds of the server's clock)`);
  }
  if (typeof payload.jti !== 'string' || !JTI.test(payload.jti)) return refuse('jti', 'Device-Proof: jti must be a unique random value of 16 to 128 characters');
  const bsh = payload.bsh;
  if (request.rawBody) {
    if (typeof bsh !== 'string' || !sameText(bsh, bodyHash(request.rawBody))) return refuse('bsh', 'Device-Proof: bsh must be the base64url SHA-256 of this request\'s body, exactly as sent');
  } else if (bsh !== undefined) {
    return refuse('bsh', 'Device-Proof: bsh given but the request has no body');
  }

  // The account is checked on every request: an officer's lock, a revocation or no longer level 2 stops the device
  // at once. A lock from failed password attempts guards the password only (opensToDevices).
  if (!opensToDevices({ status: device.accountStatus, lockReason: device.lockReason })) {
    return refuse('account_state', `the account is ${device.accountStatus}: its devices are refused until an officer restores it`);
  }
  if (device.accountLevel !== 2) return refuse('level', 'the account is no longer level 2: the app works with level-2 accounts only');

  // Last, once everything else holds: a refused proof does not use up its jti.
  if (!(await claimProofJti(deps.db, device.id, payload.jti, deps.now(), 2 * PROOF_WINDOW_SECONDS + 60))) {
    return refuse('replayed', 'Device-Proof: this proof was already used (jti seen): sign a fresh proof for every request');
  }
  await touchDevice(deps.db, device.id, deps.now());
  return { ok: true, device: { id: device.id, accountId: device.accountId, name: device.name, createdAt: device.createdAt, lastUsedAt: device.lastUsedAt } };
}
