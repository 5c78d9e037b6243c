// multipart/form-data for the /verify form's file upload, without a plugin: text fields and small text files
// only (the scanned text of one QR code), the whole body already bounded by the app's body limit.
import type { FastifyInstance } from 'fastify';

const MAX_BODY = 32 * 1024;

export function parseMultipartText(body: string, contentType: string): Record<string, string> | undefined {
  const boundary = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const marker = boundary?.[1] ?? boundary?.[2];
  if (!marker) return undefined;
  const fields: Record<string, string> = {};
  for (const part of body.split(`--${marker}`).slice(1)) {
    if (part.startsWith('--')) break;
    const split = part.indexOf('\r\n\r\n');
    if (split < 0) continue;
    const name = /content-disposition:[^\r\n]*\bname="([^"]*)"/i.exec(part.slice(0, split))?.[1];
    if (!name || name in fields) continue;
    fields[name] = part.slice(split + 4).replace(/\r\n$/, '');
  }
  return fields;
}

/** Registers the parser in the calling plugin's scope only. */
export function acceptMultipartText(app: FastifyInstance): void {
  app.addContentTypeParser('multipart/form-data', { parseAs: 'string', bodyLimit: MAX_BODY }, (request, body, done) => {
    const fields = parseMultipartText(body as string, request.headers['content-type'] ?? '');
    if (!fields) done(Object.assign(new Error('the form is not valid multipart/form-data'), { statusCode: 400 }), undefined);
    else done(null, fields);
  });
}
