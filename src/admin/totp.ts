// Officers' second factor: RFC 6238 codes (30 s, 6 digits, SHA-1: what every authenticator app reads) through
// otpauth, and the secret sealed at rest with a key derived from the provider's cookie secret.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';

export const TOTP_ISSUER = 'dinhdanh';
const PERIOD = 30;
/** One step either side: an authenticator's clock a little off still works. */
const WINDOW = 1;

const totpFor = (base32: string, label = 'officer') =>
  new TOTP({ issuer: TOTP_ISSUER, label, algorithm: 'SHA1', digits: 6, period: PERIOD, secret: Secret.fromBase32(base32) });

export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

/** The otpauth:// URI an authenticator app scans (as a QR code) or reads. */
export function totpUri(base32: string, username: string): string {
  return totpFor(base32, username).toString();
}

/** The 30-second step a code belongs to, if it is a current code for this secret at this time. */
export function matchingStep(base32: string, code: string, at: Date): number | null {
  code = code.replace(/\s/g, '');
  if (!/^[0-9]{6}$/.test(code)) return null;
  const totp = totpFor(base32);
  const delta = totp.validate({ token: code, timestamp: at.getTime(), window: WINDOW });
  return delta === null ? null : totp.counter({ timestamp: at.getTime() }) + delta;
}

/** The code for a step (sandbox developers and tests act as the authenticator app with this). */
export function totpCode(base32: string, at: Date, stepOffset = 0): string {
  return totpFor(base32).generate({ timestamp: at.getTime() + stepOffset * PERIOD * 1000 });
}

export function totpStep(at: Date): number {
  return Math.floor(at.getTime() / 1000 / PERIOD);
}

export interface TotpSealer {
  seal(base32: string): string;
  open(sealed: string): string;
}

/**
 * AES-256-GCM under a key derived (HKDF-SHA256) from the provider's cookie secret: a copy of the officers
 * table, a log or a dump of some tables does not give the secrets away; the whole database with its
 * provider_keys does (an operator who needs that keeps provider_keys apart: see README).
 */
export function totpSealer(cookieSecret: string): TotpSealer {
  const key = Buffer.from(hkdfSync('sha256', cookieSecret, 'dinhdanh', 'officer-totp-secret-v1', 32));
  return {
    seal(base32) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const sealed = Buffer.concat([cipher.update(base32, 'utf8'), cipher.final()]);
      return ['v1', iv.toString('base64url'), sealed.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
    },
    open(sealed) {
      const [version, iv, body, tag] = sealed.split('.');
      if (version !== 'v1' || !iv || !body || !tag) throw new Error('unknown sealed TOTP secret format');
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
    },
  };
}
