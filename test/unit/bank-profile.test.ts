import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { bankClientDefaults } from '../../src/clients/profiles.ts';
import { assertBankClientMetadata, bankProfile } from '../../src/oidc/bank-profile.ts';

const publicJwk = (key: ReturnType<typeof generateKeyPairSync>) => key.publicKey.export({ format: 'jwk' });
const p256 = { ...publicJwk(generateKeyPairSync('ec', { namedCurve: 'P-256' })), use: 'sig' };
const p384 = { ...publicJwk(generateKeyPairSync('ec', { namedCurve: 'P-384' })), use: 'sig' };
const rsa2048 = publicJwk(generateKeyPairSync('rsa', { modulusLength: 2048 }));
const conformant = () => bankClientDefaults({ client_id: 'bank', redirect_uris: ['https://bank.example/cb'], jwks: { keys: [p256] } });

describe('bank profile rules', () => {
  it('fills in the FAPI 2.0 fields, keeps what the bank gave, and picks the assertion algorithm from its key', () => {
    expect(conformant()).toMatchObject({
      profile: 'bank',
      token_endpoint_auth_method: 'private_key_jwt',
      token_endpoint_auth_signing_alg: 'ES256',
      id_token_signed_response_alg: 'PS256',
      dpop_bound_access_tokens: true,
      require_pushed_authorization_requests: true,
      response_types: ['code'],
    });
    expect(bankClientDefaults({ client_id: 'b', jwks: { keys: [rsa2048] } }).token_endpoint_auth_signing_alg).toBe('PS256');
    // The first key that can sign PS256 or ES256 decides: a P-384 key signs neither.
    expect(bankClientDefaults({ client_id: 'b', jwks: { keys: [p384, rsa2048] } }).token_endpoint_auth_signing_alg).toBe('PS256');
    expect(bankClientDefaults({ client_id: 'b', jwks: { keys: [p384, p256] } }).token_endpoint_auth_signing_alg).toBe('ES256');
    expect(bankClientDefaults({ client_id: 'b', id_token_signed_response_alg: 'ES256' }).id_token_signed_response_alg).toBe('ES256');
    expect(() => assertBankClientMetadata(conformant() as Record<string, unknown>)).not.toThrow();
  });

  it('names the first field that falls short, and leaves other profiles alone', () => {
    const check = (change: Record<string, unknown>) => {
      try {
        assertBankClientMetadata({ ...conformant(), ...change });
        return undefined;
      } catch (error) {
        expect(error).toMatchObject({ error: 'invalid_client_metadata' });
        return (error as { error_description?: string }).error_description;
      }
    };
    expect(check({ token_endpoint_auth_method: 'client_secret_post' })).toMatch(/^token_endpoint_auth_method must be private_key_jwt/);
    expect(check({ token_endpoint_auth_signing_alg: 'HS256' })).toMatch(/^token_endpoint_auth_signing_alg must be PS256 or ES256/);
    expect(check({ dpop_bound_access_tokens: undefined })).toMatch(/^dpop_bound_access_tokens must be true/);
    expect(check({ require_pushed_authorization_requests: false })).toMatch(/^require_pushed_authorization_requests must be true/);
    expect(check({ id_token_signed_response_alg: 'RS256' })).toMatch(/^id_token_signed_response_alg must be PS256 or ES256/);
    expect(check({ response_types: ['code id_token'] })).toMatch(/^response_types must be \["code"\]/);
    expect(() => assertBankClientMetadata({ profile: 'public_service', token_endpoint_auth_method: 'client_secret_basic' })).not.toThrow();
  });

  it('keeps authorization codes at 60 s at most for banks only', () => {
    const ttl = bankProfile({ AuthorizationCode: 300 }).ttl!.AuthorizationCode as (ctx: unknown, token: unknown, client: unknown) => number;
    expect(ttl({}, {}, { profile: 'bank' })).toBe(60);
    expect(ttl({}, {}, { profile: 'public_service' })).toBe(300);
    const short = bankProfile({ AuthorizationCode: 30 }).ttl!.AuthorizationCode as typeof ttl;
    expect(short({}, {}, { profile: 'bank' })).toBe(30);
  });

  it('enables no algorithm keyed by a client secret', () => {
    const { enabledJWA } = bankProfile({});
    const every = Object.values(enabledJWA!).flat() as string[];
    expect(every.filter((alg) => /^HS|^A\d+KW$|^A\d+GCMKW$|^dir$/.test(alg))).toEqual([]);
  });
});
