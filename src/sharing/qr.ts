// The presentation as an inline SVG QR code (nothing loaded from elsewhere). Low error correction: a phone
// screen is clean, and it leaves room for the ~3 kB a credential with every attribute takes.
import QRCode from 'qrcode';

/** The largest text a QR code holds at this error correction level (version 40, byte mode). */
export const QR_CAPACITY = 2953;

export async function qrSvg(text: string): Promise<string> {
  return QRCode.toString(text, { type: 'svg', errorCorrectionLevel: 'L', margin: 2 });
}
