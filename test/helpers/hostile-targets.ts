// Every route the hostile-input property test (test/integration/hostile-input.test.ts) sends hostile values to, with
// the parameters a well-formed request carries.
import { SANDBOX_CITIZENS } from '../../src/sandbox/seed.ts';
import { SANDBOX_SECRET } from './provider.ts';

/** Values planted in requests: the log and the answers must never show them back. */
export const PLANTED_ID = SANDBOX_CITIZENS[0]!.personalId;
export const PLANTED_PHONE = SANDBOX_CITIZENS[0]!.phone; // +84912345678
export const REDIRECT = 'http://localhost:8080/callback';
export const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';
export type Channel = 'query' | 'form' | 'json';
export interface Target {
  name: string;
  method: string;
  /** The path, given its variable segment (the interaction's uid, an id); `segment` is that segment's usual value. */
  path: (segment: string) => string;
  segment?: string;
  channel: Channel;
  /** The parameters a well-formed request carries; one of them (or an extra one) is made hostile. */
  params: Record<string, string>;
  headers?: 'basic' | 'ciba' | 'officer' | 'officer?';
  /** Needs a sign-in in progress (cookie and CSRF token), with or without them. */
  interaction?: boolean;
}

const AUTH_PARAMS = { client_id: 'sandbox', response_type: 'code', scope: 'openid', redirect_uri: REDIRECT, code_challenge: CHALLENGE, code_challenge_method: 'S256', state: 'st', nonce: 'no', login_hint: PLANTED_ID, ui_locales: 'vi', acr_values: 'urn:vn:eid:loa:1', prompt: 'login', max_age: '60', claims: '{"userinfo":{"phone_number":null}}', response_mode: 'query', lang: 'en' };
const UUID = '7f1c1c52-8f1e-4f55-9d55-5b1c2d3e4f50';
const DEVICE = 'dev0AbCdEfGhIjKlMnOpQrSt';

export const TARGETS: Target[] = [
  { name: 'discovery', method: 'GET', path: () => '/.well-known/openid-configuration', channel: 'query', params: { x: '1' } },
  { name: 'jwks', method: 'GET', path: () => '/jwks', channel: 'query', params: { x: '1' } },
  { name: 'auth GET', method: 'GET', path: () => '/auth', channel: 'query', params: AUTH_PARAMS },
  { name: 'auth resume', method: 'GET', segment: 'no-such-uid', path: (uid) => `/auth/${uid}`, channel: 'query', params: { lang: 'en' } },
  { name: 'auth POST', method: 'POST', path: () => '/auth', channel: 'form', params: AUTH_PARAMS },
  { name: 'token code', method: 'POST', path: () => '/token', channel: 'form', headers: 'basic', params: { grant_type: 'authorization_code', code: 'c', redirect_uri: REDIRECT, code_verifier: 'v'.repeat(43) } },
  { name: 'token refresh', method: 'POST', path: () => '/token', channel: 'form', headers: 'basic', params: { grant_type: 'refresh_token', refresh_token: 'r', scope: 'openid' } },
  { name: 'token client credentials', method: 'POST', path: () => '/token', channel: 'form', params: { grant_type: 'client_credentials', client_id: 'sandbox', client_secret: SANDBOX_SECRET, scope: 'openid' } },
  { name: 'userinfo GET', method: 'GET', path: () => '/me', channel: 'query', params: { access_token: 'a', schema: 'openid' } },
  { name: 'userinfo POST', method: 'POST', path: () => '/me', channel: 'form', params: { access_token: 'a' } },
  { name: 'introspection', method: 'POST', path: () => '/token/introspection', channel: 'form', headers: 'basic', params: { token: 't', token_type_hint: 'access_token' } },
  { name: 'revocation', method: 'POST', path: () => '/token/revocation', channel: 'form', headers: 'basic', params: { token: 't', token_type_hint: 'refresh_token' } },
  { name: 'end session', method: 'GET', path: () => '/session/end', channel: 'query', params: { client_id: 'sandbox', post_logout_redirect_uri: REDIRECT, state: 's', id_token_hint: 'x.y.z', logout_hint: PLANTED_ID, ui_locales: 'en' } },
  { name: 'end session confirm', method: 'POST', path: () => '/session/end/confirm', channel: 'form', params: { xsrf: 'x', logout: 'yes' } },
  { name: 'interaction', method: 'GET', path: (uid) => `/interaction/${uid}`, channel: 'query', interaction: true, params: { lang: 'en', notice: 'password_reset' } },
  { name: 'login', method: 'POST', path: (uid) => `/interaction/${uid}/login`, channel: 'form', interaction: true, params: { username: PLANTED_ID, password: 'wrong-password' } },
  { name: 'consent', method: 'POST', path: (uid) => `/interaction/${uid}/consent`, channel: 'form', interaction: true, params: { decision: 'approve' } },
  { name: 'abort', method: 'GET', path: (uid) => `/interaction/${uid}/abort`, channel: 'query', interaction: true, params: { reason: 'level' } },
  { name: 'otp page', method: 'GET', path: (uid) => `/interaction/${uid}/otp`, channel: 'query', interaction: true, params: { lang: 'vi' } },
  { name: 'otp', method: 'POST', path: (uid) => `/interaction/${uid}/otp`, channel: 'form', interaction: true, params: { otp: '123456' } },
  { name: 'otp resend', method: 'POST', path: (uid) => `/interaction/${uid}/otp/resend`, channel: 'form', interaction: true, params: {} },
  { name: 'password page', method: 'GET', path: (uid) => `/interaction/${uid}/password`, channel: 'query', interaction: true, params: { lang: 'en' } },
  { name: 'password', method: 'POST', path: (uid) => `/interaction/${uid}/password`, channel: 'form', interaction: true, params: { password: 'x', password_confirm: 'x' } },
  { name: 'reset page', method: 'GET', path: (uid) => `/interaction/${uid}/reset`, channel: 'query', interaction: true, params: { lang: 'en' } },
  { name: 'reset', method: 'POST', path: (uid) => `/interaction/${uid}/reset`, channel: 'form', interaction: true, params: { username: PLANTED_ID } },
  { name: 'reset confirm page', method: 'GET', path: (uid) => `/interaction/${uid}/reset/confirm`, channel: 'query', interaction: true, params: {} },
  { name: 'reset confirm', method: 'POST', path: (uid) => `/interaction/${uid}/reset/confirm`, channel: 'form', interaction: true, params: { username: PLANTED_ID, code: '123456', password: 'x', password_confirm: 'x' } },
  { name: 'qr waiting page', method: 'GET', path: (uid) => `/interaction/${uid}/qr`, channel: 'query', interaction: true, params: { lang: 'en' } },
  { name: 'qr status', method: 'GET', path: (uid) => `/interaction/${uid}/qr/status`, channel: 'query', interaction: true, params: { lang: 'en' } },
  { name: 'app qr scan', method: 'POST', path: () => '/app/qr-sign-ins', channel: 'json', params: { qr: 'http://127.0.0.1/app/qr/AAAAAAAAAAAAAAAAAAAAAA' } },
  { name: 'app qr approve', method: 'POST', segment: 'AAAAAAAAAAAAAAAAAAAAAA', path: (id) => `/app/qr-sign-ins/${id}/approve`, channel: 'json', params: { user_verification: 'pin' } },
  { name: 'account', method: 'GET', path: () => '/account', channel: 'query', params: { lang: 'en', revoked: '1' } },
  { name: 'account callback', method: 'GET', path: () => '/account/callback', channel: 'query', params: { state: 's' } },
  { name: 'account revoke', method: 'POST', segment: 'sandbox', path: (id) => `/account/services/${id}/revoke`, channel: 'form', params: { _csrf: 'x' } },
  { name: 'account password page', method: 'GET', path: () => '/account/password', channel: 'query', params: { lang: 'en', changed: '1' } },
  { name: 'account password', method: 'POST', path: () => '/account/password', channel: 'form', params: { _csrf: 'x', current_password: PLANTED_PHONE, password: PLANTED_ID, password_confirm: PLANTED_ID } },
  { name: 'officer sign-in', method: 'POST', path: () => '/admin/sessions', channel: 'json', params: { username: 'canbo', password: PLANTED_PHONE } },
  { name: 'officer sign-out', method: 'DELETE', path: () => '/admin/sessions/current', channel: 'query', params: {} },
  { name: 'officer me', method: 'GET', path: () => '/admin/me', channel: 'query', headers: 'officer?', params: {} },
  { name: 'citizen lookup', method: 'GET', segment: PLANTED_ID, path: (id) => `/admin/citizens/${id}`, channel: 'query', headers: 'officer?', params: { x: '1' } },
  { name: 'file application', method: 'POST', path: () => '/admin/applications', channel: 'json', headers: 'officer?', params: { personal_id: '036079000987', phone: PLANTED_PHONE, email: 'a@b.vn', requested_level: '1' } },
  { name: 'list applications', method: 'GET', path: () => '/admin/applications', channel: 'query', headers: 'officer?', params: { status: 'applied' } },
  { name: 'application', method: 'GET', segment: UUID, path: (id) => `/admin/applications/${id}`, channel: 'query', headers: 'officer?', params: {} },
  { name: 'approve', method: 'POST', segment: UUID, path: (id) => `/admin/applications/${id}/approve`, channel: 'json', headers: 'officer?', params: {} },
  { name: 'reject', method: 'POST', segment: UUID, path: (id) => `/admin/applications/${id}/reject`, channel: 'json', headers: 'officer?', params: { reason: PLANTED_ID } },
  { name: 'account view', method: 'GET', segment: UUID, path: (id) => `/admin/accounts/${id}`, channel: 'query', headers: 'officer?', params: {} },
  { name: 'lock', method: 'POST', segment: UUID, path: (id) => `/admin/accounts/${id}/lock`, channel: 'json', headers: 'officer?', params: { reason: PLANTED_PHONE } },
  { name: 'unlock', method: 'POST', segment: UUID, path: (id) => `/admin/accounts/${id}/unlock`, channel: 'json', headers: 'officer?', params: {} },
  { name: 'change phone', method: 'POST', segment: UUID, path: (id) => `/admin/accounts/${id}/phone`, channel: 'json', headers: 'officer?', params: { phone: PLANTED_PHONE, reason: PLANTED_ID } },
  { name: 'revoke', method: 'POST', segment: UUID, path: (id) => `/admin/accounts/${id}/revoke`, channel: 'json', headers: 'officer?', params: { reason: 'abc' } },
  { name: 'audit', method: 'GET', segment: UUID, path: (id) => `/admin/accounts/${id}/audit`, channel: 'query', headers: 'officer?', params: {} },
  { name: 'app enrolment', method: 'POST', path: () => '/app/enrolments', channel: 'json', params: { personal_id: PLANTED_ID, password: PLANTED_PHONE } },
  { name: 'app enrolment complete', method: 'POST', segment: 'no-such-enrolment', path: (id) => `/app/enrolments/${id}/complete`, channel: 'json', params: { code: '123456', public_jwk: '{"kty":"EC"}', device_name: PLANTED_PHONE, signature: 'a.b.c' } },
  { name: 'app device', method: 'GET', path: () => '/app/devices/me', channel: 'query', params: {} },
  { name: 'app device rename', method: 'PATCH', segment: DEVICE, path: (id) => `/app/devices/${id}`, channel: 'json', params: { name: PLANTED_ID } },
  { name: 'app device remove', method: 'DELETE', segment: DEVICE, path: (id) => `/app/devices/${id}`, channel: 'query', params: {} },
  { name: 'account device rename', method: 'POST', segment: DEVICE, path: (id) => `/account/devices/${id}/rename`, channel: 'form', params: { _csrf: 'x', name: PLANTED_PHONE } },
  { name: 'account device remove', method: 'POST', segment: DEVICE, path: (id) => `/account/devices/${id}/remove`, channel: 'form', params: { _csrf: 'x' } },
  { name: 'backchannel', method: 'POST', path: () => '/backchannel', channel: 'form', headers: 'ciba', params: { scope: 'openid profile', login_hint: PLANTED_ID, binding_message: 'GD 4821', acr_values: 'urn:vn:eid:loa:2', requested_expiry: '60', claims: '{"id_token":{"personal_id":null}}' } },
  { name: 'token ciba', method: 'POST', path: () => '/token', channel: 'form', headers: 'ciba', params: { grant_type: 'urn:openid:params:grant-type:ciba', auth_req_id: 'a'.repeat(43) } },
  { name: 'app ciba list', method: 'GET', path: () => '/app/ciba-requests', channel: 'query', params: {} },
  { name: 'app ciba approve', method: 'POST', segment: DEVICE, path: (id) => `/app/ciba-requests/${id}/approve`, channel: 'json', params: { user_verification: 'pin' } },
  { name: 'app ciba deny', method: 'POST', segment: DEVICE, path: (id) => `/app/ciba-requests/${id}/deny`, channel: 'json', params: {} },
  { name: 'app simulator ciba', method: 'GET', path: () => '/sandbox/app/ciba', channel: 'query', params: { device: DEVICE, lang: 'en', done: 'approved' } },
  { name: 'app simulator ciba approve', method: 'POST', segment: DEVICE, path: (id) => `/sandbox/app/ciba/${id}/approve`, channel: 'form', params: { _csrf: 'x', user_verification: PLANTED_ID } },
  { name: 'app simulator enrol', method: 'POST', path: () => '/sandbox/app/enrol', channel: 'form', params: { _csrf: 'x', personal_id: PLANTED_ID, device_name: PLANTED_PHONE } },
  { name: 'app simulator device', method: 'GET', segment: DEVICE, path: (id) => `/sandbox/app/devices/${id}`, channel: 'query', params: { lang: 'en' } },
  { name: 'app simulator qr panel', method: 'GET', path: () => '/sandbox/app/qr', channel: 'query', params: { device: DEVICE, lang: 'en' } },
  { name: 'app simulator qr scan', method: 'POST', path: () => '/sandbox/app/qr/scan', channel: 'form', params: { _csrf: 'x', device: DEVICE, qr: PLANTED_ID } },
  { name: 'app simulator qr decide', method: 'POST', path: () => '/sandbox/app/qr/decide', channel: 'form', params: { _csrf: 'x', device: DEVICE, request_id: PLANTED_ID, decision: 'approve', user_verification: 'pin' } },
  { name: 'verify page', method: 'GET', path: () => '/verify', channel: 'query', params: { lang: 'en' } },
  { name: 'verify form', method: 'POST', path: () => '/verify', channel: 'form', params: { _csrf: 'x', presentation: PLANTED_ID } },
  { name: 'verify presentation', method: 'POST', path: () => '/verify/presentations', channel: 'json', params: { presentation: PLANTED_ID } },
  { name: 'app sharing', method: 'POST', path: () => '/app/sharings', channel: 'json', params: { attributes: PLANTED_ID } },
  { name: 'app sharing qr', method: 'POST', segment: 'sharing-id-0123456789', path: (id) => `/app/sharings/${id}/qr`, channel: 'json', params: { presentation: PLANTED_PHONE } },
  { name: 'app simulator sharing', method: 'POST', path: () => '/sandbox/app/sharing', channel: 'form', params: { _csrf: 'x', name: 'on', device: PLANTED_ID } },
  { name: 'healthz', method: 'GET', path: () => '/healthz', channel: 'query', params: { x: '1' } },
  { name: 'readyz', method: 'GET', path: () => '/readyz', channel: 'query', params: { x: '1' } },
];
