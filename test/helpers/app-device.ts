// The citizen's e-ID app in tests: a REAL enrolment through /app (password, SMS code, device key) and then
// requests that each carry a fresh Device-Proof. Other tests use enrolDevice(provider, {...}).request(...).
import type { FastifyInstance } from 'fastify';
import { enrol, httpSend, injectSend, type DeviceKey, type Send, type SignedDevice } from '../../src/devices/device-client.ts';

export { generateDeviceKey, injectSend, signChallenge, signProof, EnrolmentError } from '../../src/devices/device-client.ts';

/** A provider by base URL (HTTP), a RunningProvider ({url}), or an app in-process ({app, issuer}: fastify inject). */
export type AppTarget = string | { url: string } | { app: FastifyInstance; issuer: string };

export function targetOf(target: AppTarget): { issuer: string; send: Send } {
  if (typeof target === 'string') return { issuer: target, send: httpSend(target) };
  // A RunningProvider has both: it is reached over HTTP, like a phone would.
  if ('url' in target) return { issuer: target.url, send: httpSend(target.url) };
  return { issuer: target.issuer, send: injectSend(target.app) };
}

/** Reads the 6-digit code of the newest SMS to a phone (a RunningProvider's lastSms). */
export function smsCode(provider: { lastSms(phone: string): Promise<string | undefined> }, phone: string): () => Promise<string> {
  return async () => {
    const code = /\b(\d{6})\b/.exec((await provider.lastSms(phone)) ?? '')?.[1];
    if (!code) throw new Error(`no SMS code for ${phone}`);
    return code;
  };
}

/** What the app knows at enrolment (the same as the device client's enrol, less where it sends). */
export type EnrolOptions = Omit<Parameters<typeof enrol>[0], 'issuer' | 'send'>;

export async function enrolDevice(target: AppTarget, options: EnrolOptions): Promise<SignedDevice & { key: DeviceKey }> {
  return enrol({ ...targetOf(target), ...options });
}
