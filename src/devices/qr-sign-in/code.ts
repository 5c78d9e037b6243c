// What the QR code says and how it is drawn: a URL under the issuer naming the request, as an inline SVG
// (nothing loaded from elsewhere). The app accepts only codes of its own provider, so a page elsewhere cannot
// pass off another provider's code.
import QRCode from 'qrcode';

const PATH = '/app/qr/';
const ID = /^[A-Za-z0-9_-]{22,64}$/;

export function qrPayload(issuer: string, requestId: string): string {
  return `${issuer}${PATH}${requestId}`;
}

/** The request id in a scanned text, when it is a code of this issuer. */
export function parseQrPayload(issuer: string, scanned: string): string | undefined {
  const prefix = `${issuer}${PATH}`;
  if (!scanned.startsWith(prefix)) return undefined;
  const id = scanned.slice(prefix.length);
  return ID.test(id) ? id : undefined;
}

/** The code as an SVG element; `label` names it for screen readers. */
export async function qrSvg(payload: string, label: string): Promise<string> {
  // One byte-mode segment: a URL is bytes anyway, and qrcode's search for the shortest mix of modes (a shortest
  // path over every split of the text) cost more than drawing the code, on every sign-in page.
  const svg = await QRCode.toString([{ data: Buffer.from(payload, 'utf8'), mode: 'byte' }], { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
  const escaped = label.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  return svg.replace('<svg ', `<svg role="img" aria-label="${escaped}" width="208" height="208" `);
}
