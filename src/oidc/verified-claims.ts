// OpenID Connect for Identity Assurance 1.0 (final): verified_claims for level-2 sessions. The citizen's
// identity was verified in person at a police office against the chip ID card issued by the Ministry of
// Public Security; the evidence says so, so a bank can show its regulator how.
import { errors } from 'oidc-provider';

export const TRUST_FRAMEWORK = 'vn_eid';
/** Claims a relying party may ask for inside verified_claims. */
export const CLAIMS_IN_VERIFIED_CLAIMS = ['name', 'family_name', 'middle_name', 'given_name', 'birthdate', 'gender', 'nationality', 'address', 'place_of_origin', 'personal_id'];

export const VERIFIED_CLAIMS_DISCOVERY = {
  verified_claims_supported: true,
  trust_frameworks_supported: [TRUST_FRAMEWORK],
  evidence_supported: ['document'],
  documents_supported: ['idcard'],
  documents_check_methods_supported: ['vpip'],
  claims_in_verified_claims_supported: CLAIMS_IN_VERIFIED_CLAIMS,
};

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Checks a verified_claims request element as IDA 1.0 §6 requires: an object (or an array of them), each with a
 * `verification` object holding `trust_framework`, and a non-empty `claims` object whose members are null or
 * objects. Anything else is an invalid_request, not silence.
 */
export function assertVerifiedClaimsRequest(claimsParameter: Json): void {
  for (const target of ['id_token', 'userinfo'] as const) {
    const member = claimsParameter[target];
    if (!isObject(member) || !('verified_claims' in member)) continue;
    const requests = Array.isArray(member.verified_claims) ? member.verified_claims : [member.verified_claims];
    if (requests.length === 0) throw new errors.InvalidRequest(`claims.${target}.verified_claims must not be an empty array`);
    for (const request of requests) {
      const where = `claims.${target}.verified_claims`;
      if (!isObject(request)) throw new errors.InvalidRequest(`${where} must be an object or an array of objects`);
      if (!isObject(request.verification)) throw new errors.InvalidRequest(`${where}.verification is required and must be an object`);
      if (!('trust_framework' in request.verification)) throw new errors.InvalidRequest(`${where}.verification.trust_framework is required`);
      const framework = request.verification.trust_framework;
      if (framework !== null && !isObject(framework)) throw new errors.InvalidRequest(`${where}.verification.trust_framework must be null or an object`);
      if (!isObject(request.claims) || Object.keys(request.claims).length === 0) {
        throw new errors.InvalidRequest(`${where}.claims is required and must be a non-empty object`);
      }
      for (const [claim, value] of Object.entries(request.claims)) {
        if (value !== null && !isObject(value)) throw new errors.InvalidRequest(`${where}.claims.${claim} must be null or an object`);
      }
    }
  }
}

export interface VerificationRecord {
  /** The ID card's number (the personal ID), only when the token may release it. */
  documentNumber: string | undefined;
  /** The card's dates, only when the token may release the id_card claim. */
  idCard: { issueDate: string; expiryDate: string | null } | null;
  /** When the level-2 verification happened (the account's approval), and where. */
  verifiedAt: Date;
  verifiedBy: string;
  /** The verification's reference as this relying party sees it (of its pairwise sector). */
  reference: string;
}

/** Does a request accept our trust framework (no constraint, or a value/values naming it)? */
function acceptsFramework(framework: unknown): boolean {
  if (!isObject(framework)) return true;
  if (typeof framework.value === 'string') return framework.value === TRUST_FRAMEWORK;
  if (Array.isArray(framework.values)) return framework.values.includes(TRUST_FRAMEWORK);
  return true;
}

/**
 * The verified_claims answer to a request element, with only the requested claims that `release` lets out;
 * undefined when nothing can be answered (another trust framework, or no releasable claim).
 */
export function verifiedClaims(request: unknown, record: VerificationRecord, claims: Json, release: (claims: Json) => Json): Json | Json[] | undefined {
  const requests = Array.isArray(request) ? request : [request];
  const answers = requests
    .filter((r): r is Json => isObject(r) && isObject(r.verification) && acceptsFramework(r.verification.trust_framework) && isObject(r.claims))
    .map((r) => {
      const wanted = Object.keys(r.claims as Json).filter((c) => CLAIMS_IN_VERIFIED_CLAIMS.includes(c) && claims[c] !== undefined);
      const released = release(Object.fromEntries(wanted.map((c) => [c, claims[c]])));
      if (Object.keys(released).length === 0) return undefined;
      return {
        verification: {
          trust_framework: TRUST_FRAMEWORK,
          time: record.verifiedAt.toISOString(),
          verification_process: record.reference,
          evidence: [
            {
              type: 'document',
              check_details: [{ check_method: 'vpip', organization: record.verifiedBy, time: record.verifiedAt.toISOString() }],
              time: record.verifiedAt.toISOString(),
              document_details: {
                type: 'idcard',
                ...(record.documentNumber ? { document_number: record.documentNumber } : {}),
                issuer: { name: 'Bộ Công an', country: 'VN' },
                ...(record.idCard ? { date_of_issuance: record.idCard.issueDate } : {}),
                ...(record.idCard?.expiryDate ? { date_of_expiry: record.idCard.expiryDate } : {}),
              },
            },
          ],
        },
        claims: released,
      };
    })
    .filter((answer) => answer !== undefined);
  if (answers.length === 0) return undefined;
  return Array.isArray(request) ? answers : answers[0];
}
