// CIBA's pure rules: the binding message the app shows, the claims a request would release, who may be approved for CIBA.
import { describe, expect, it } from 'vitest';
import { applyProfile, CIBA_GRANT, ProfileViolation } from '../../src/clients/profiles.ts';
import { assertCibaClientMetadata, checkBindingMessage, claimsToRelease } from '../../src/oidc/ciba.ts';
import { assignSector } from '../../src/oidc/sectors.ts';

describe('binding_message', () => {
  it('accepts short plain text in any script', () => {
    for (const message of ['GD 4821', 'Mở tài khoản 4821', 'A', 'Chuyển 5.000.000 VND', 'x'.repeat(40)]) expect(() => checkBindingMessage(message)).not.toThrow();
  });
  it('refuses none, markup, control and invisible characters, too long, or padded text', () => {
    for (const message of [undefined, '', '<script>', 'a&b', 'x'.repeat(41), ' GD', 'GD ', 'GD\n1', 'GD\u200b1', 'Mo\u0302\u0309']) {
      expect(() => checkBindingMessage(message), String(message)).toThrow(/binding_message/);
    }
  });
});

describe('claims a request would release', () => {
  const approved = new Set(['openid', 'profile', 'personal_id', 'address']);
  it('lists the scopes\' claims within the approval and the level', () => {
    expect(claimsToRelease(['openid', 'profile', 'address'], undefined, approved, 2)).toEqual(
      ['address', 'birthdate', 'family_name', 'gender', 'given_name', 'middle_name', 'name', 'place_of_origin'].sort(),
    );
    expect(claimsToRelease(['openid', 'address'], undefined, approved, 1)).toEqual([]);
  });
  it('adds claims named in the claims parameter only within the approval; personal_id needs its scope', () => {
    const claims = { id_token: { id_card: null, address: null, personal_id: null }, userinfo: { verified_claims: {} } };
    expect(claimsToRelease(['openid'], claims, approved, 2)).toEqual(['address', 'verified_claims']);
    expect(claimsToRelease(['openid', 'personal_id'], claims, approved, 1)).toEqual(['personal_id']);
  });
});

describe('who may be approved for CIBA', () => {
  it('banks and sandbox clients only', () => {
    expect(() => assertCibaClientMetadata({ profile: 'bank', grant_types: [CIBA_GRANT] })).not.toThrow();
    expect(() => assertCibaClientMetadata({ profile: 'sandbox', grant_types: [CIBA_GRANT] })).not.toThrow();
    expect(() => assertCibaClientMetadata({ profile: 'public_service', grant_types: ['authorization_code', CIBA_GRANT] })).toThrow(
      expect.objectContaining({ error: 'invalid_client_metadata', error_description: expect.stringContaining('bank and sandbox clients only') }),
    );
    expect(() => applyProfile('public_service', { grant_types: ['authorization_code', CIBA_GRANT], token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [] } })).toThrow(ProfileViolation);
  });
  it('a CIBA-only bank gets no response type; a bank that also redirects gets its own sector URI', () => {
    const cibaOnly = applyProfile('bank', { grant_types: [CIBA_GRANT], jwks_uri: 'https://bank.example.vn/jwks', backchannel_token_delivery_mode: 'poll' });
    expect(cibaOnly.response_types).toEqual([]);
    const both = assignSector({ client_id: 'bank-x', grant_types: ['authorization_code', CIBA_GRANT], redirect_uris: ['https://bank.example.vn/cb'] }, 'https://id.example.vn');
    expect(both).toMatchObject({ sector_identifier: 'bank.example.vn', sector_identifier_uri: 'https://id.example.vn/sectors/bank-x' });
  });
});
