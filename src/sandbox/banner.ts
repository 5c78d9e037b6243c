// What a developer sees on `npm start`: where the provider is, the sandbox client and the test citizens.
import type { Config } from '../config.ts';
import { SANDBOX_CITIZENS, SANDBOX_CLIENT_ID, SANDBOX_OFFICER_PASSWORD, SANDBOX_OFFICER_TOTP_SECRET, SANDBOX_OFFICERS, SANDBOX_PASSWORD, SANDBOX_POPULATION, SANDBOX_UNREGISTERED } from './seed.ts';

/** The PKCE verifier of the "try it" URL (its challenge is in the URL), published so the code can be redeemed. */
export const TRY_IT_VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';

/** An authorization request for the sandbox client that works as it stands (the banner's and /sandbox's). */
export function tryItUrl(issuer: string, redirectUri: string): string {
  const example = new URL(`${issuer}/auth`);
  example.search = new URLSearchParams({
    client_id: SANDBOX_CLIENT_ID,
    response_type: 'code',
    scope: 'openid profile',
    redirect_uri: redirectUri,
    code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    code_challenge_method: 'S256',
  }).toString();
  return example.href;
}

export function sandboxBanner(config: Config, databaseLabel: string): string {
  const rows = SANDBOX_CITIZENS.map(
    (c) => `    ${c.personalId}  level ${c.level}  ${`${c.familyName} ${c.middleName} ${c.givenName}`.padEnd(18)} ${c.birthdate}${c.locked ? '  (locked by an officer)' : ''}`,
  );
  const example = tryItUrl(config.issuer, config.sandbox.redirectUris[0] ?? '');
  return [
    '',
    `  dinhdanh e-ID provider at ${config.issuer}  (database: ${databaseLabel})`,
    `  discovery      ${config.issuer}/.well-known/openid-configuration`,
    '',
    '  sandbox client',
    `    client_id      ${SANDBOX_CLIENT_ID}`,
    `    client_secret  ${config.sandbox.clientSecret}  (client_secret_basic)`,
    `    redirect_uris  ${config.sandbox.redirectUris.join(' ')}`,
    `    scopes, personas and the SMS inbox: ${config.issuer}/sandbox  (${config.issuer}/sandbox/sms)`,
    '',
    `  test citizens (password for all: ${SANDBOX_PASSWORD})`,
    ...rows,
    '',
    `  registration desk (officer API under /admin, password for all: ${SANDBOX_OFFICER_PASSWORD})`,
    ...SANDBOX_OFFICERS.map((o) => `    ${o.username.padEnd(10)} ${o.role}`),
    `    second factor for all: TOTP secret ${SANDBOX_OFFICER_TOTP_SECRET} (SHA1, 6 digits, 30 s); send the code as "otp"`,
    '  citizens on record without an account, to register:',
    ...SANDBOX_UNREGISTERED.map((c) => `    ${c.personalId}  ${`${c.familyName} ${c.middleName} ${c.givenName}`.padEnd(18)} ${c.birthdate}`),
    `  and ${SANDBOX_POPULATION} synthetic citizens on record (households, documents; generator seed "sandbox")`,
    config.smsGateway
      ? `  SMS (first passwords, codes) go to the gateway at ${new URL(config.smsGateway.url).origin} (SMS_GATEWAY_URL)`
      : `  SMS (first passwords, codes) stay in the sms_outbox table: no gateway is configured (SMS_GATEWAY_URL); read them at ${config.issuer}/sandbox/sms`,
    '',
    `  try it: open this in a browser (PKCE verifier: ${TRY_IT_VERIFIER}; the code it returns is valid 60 s)`,
    `    ${example}`,
    '',
  ].join('\n');
}
