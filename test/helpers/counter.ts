// A counter that scans a sharing QR code: posts the text to the provider's verifier, as JSON or through the
// /verify page (paste or file upload, with the page's CSRF token), and tampers with presentations for the tests.
import { createHash } from 'node:crypto';
import { expect } from 'vitest';
import { csrfToken, UserAgent } from './user-agent.ts';

export async function verifyJson(baseUrl: string, presentation: string): Promise<{ status: number; body: any }> {
  const response = await fetch(`${baseUrl}/verify/presentations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ presentation }) });
  return { status: response.status, body: await response.json() };
}

/** Through the page as a clerk would: open /verify, then paste the text or upload it as a file. */
export async function verifyOnPage(baseUrl: string, presentation: string, options: { lang?: 'vi' | 'en'; upload?: boolean } = {}): Promise<{ status: number; html: string }> {
  const agent = new UserAgent();
  const form = await agent.request(`${baseUrl}/verify${options.lang ? `?lang=${options.lang}` : ''}`);
  expect(form.status).toBe(200);
  const html = await form.text();
  const body = new FormData();
  body.set('_csrf', csrfToken(html));
  if (options.upload) {
    body.set('presentation', '');
    body.set('file', new Blob([`${presentation}\n`], { type: 'text/plain' }), 'scan.txt');
  } else body.set('presentation', presentation);
  const action = /<form[^>]*id="verify"[^>]*action="([^"]+)"/.exec(html)![1]!.replace(/&amp;/g, '&');
  const cookie = [...agent.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  const response = await fetch(new URL(action, baseUrl), { method: 'POST', body, headers: { cookie, accept: 'text/html' } });
  return { status: response.status, html: await response.text() };
}

const segments = (presentation: string) => presentation.split('~');
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const unb64 = (text: string) => JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));

/** Changes the value inside one disclosure (say, another birthdate): its digest no longer matches. */
export function withChangedDisclosure(presentation: string, claim: string, value: unknown): string {
  const parts = segments(presentation);
  const index = parts.findIndex((part, i) => i > 0 && i < parts.length - 1 && unb64(part)[1] === claim);
  if (index < 0) throw new Error(`no disclosure of ${claim}`);
  const [salt] = unb64(parts[index]!);
  parts[index] = b64([salt, claim, value]);
  return parts.join('~');
}

/** Changes the issuer-signed payload (say, a later exp), keeping the provider's signature. */
export function withChangedPayload(presentation: string, change: Record<string, unknown>): string {
  const parts = segments(presentation);
  const [header, payload, signature] = parts[0]!.split('.');
  parts[0] = [header, b64({ ...unb64(payload!), ...change }), signature].join('.');
  return parts.join('~');
}

export const withoutKeyBinding = (presentation: string) => presentation.slice(0, presentation.lastIndexOf('~') + 1);

export const sdHash = (presentationWithoutKb: string) => createHash('sha256').update(presentationWithoutKb).digest('base64url');
