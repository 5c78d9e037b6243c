// Debian's Chromium through playwright-core (never a downloaded browser), and the relying party's callback page a
// browser lands on at the end of a sign-in.
import { createServer } from 'node:http';
import { chromium, type Browser } from 'playwright-core';
import { freePort } from './provider.ts';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export interface CallbackPage {
  redirectUri: string;
  /** Bodies of the form posts it received (response_mode=form_post). */
  posted: string[];
  close(): Promise<void>;
}

/** A page on 127.0.0.1 whose URL (or posted form) carries the authorization response. */
export async function relyingPartyCallback(): Promise<CallbackPage> {
  const port = await freePort();
  const posted: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.method === 'POST') posted.push(Buffer.concat(chunks).toString());
      res.writeHead(200, { 'content-type': 'text/html' }).end('<!DOCTYPE html><title>RP</title><p>back at the service</p>');
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { redirectUri: `http://127.0.0.1:${port}/callback`, posted, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
