// What text a caller may send us: no NUL, no other control characters but tab and line breaks, no unpaired
// surrogates. PostgreSQL cannot store NUL (text) or a lone surrogate (jsonb), and no parameter of ours needs either.

// C0 controls except tab, line feed and carriage return (a textarea's line breaks), DEL, and the C1 controls.
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;

export function isAcceptableText(text: string): boolean {
  return !CONTROL.test(text) && text.isWellFormed();
}

/**
 * True when URL-encoded text (a path, a query string, a form body) decodes to printable ASCII only, which is always
 * acceptable: the common case, told without decoding or parsing anything. False only means: decode and look closer.
 */
export function decodesToPrintableAscii(encoded: string | Uint8Array): boolean {
  const text = typeof encoded === 'string';
  const length = encoded.length;
  for (let i = 0; i < length; i++) {
    const code = text ? encoded.charCodeAt(i) : encoded[i]!;
    if (code < 0x20 || code > 0x7e) return false;
    // %XX: what it decodes to counts. A % without two hex digits after it stays a literal %.
    if (code === 0x25 && i + 2 < length) {
      const high = hexValue(text ? encoded.charCodeAt(i + 1) : encoded[i + 1]!);
      const low = hexValue(text ? encoded.charCodeAt(i + 2) : encoded[i + 2]!);
      if (high >= 0 && low >= 0) {
        const decoded = high * 16 + low;
        if (decoded < 0x20 || decoded > 0x7e) return false;
        i += 2;
      }
    }
  }
  return true;
}

function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  const lower = code | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x61 + 10 : -1;
}

/** No request of ours nests deeper; a body that does (12,000 brackets fit in 24 KB) would exhaust the stack here. */
const MAX_DEPTH = 32;
/** Reported in place of a name for a body nested too deep (a real name never holds a NUL: printable escapes it). */
const TOO_DEEP = '\u0000too-deep';

/**
 * The name of the first parameter whose name or value (at any depth of a parsed JSON or form body) is not
 * acceptable text, or undefined when all are. Names are reported printable: `client_id`, `claims.userinfo`.
 */
export function unacceptableParameter(params: unknown, path = '', depth = 0): string | undefined {
  if (typeof params === 'string') return isAcceptableText(params) ? undefined : path || 'value';
  if (typeof params !== 'object' || params === null) return undefined;
  if (depth >= MAX_DEPTH) return TOO_DEEP;
  if (Array.isArray(params)) {
    for (const item of params) {
      const found = unacceptableParameter(item, path, depth + 1);
      if (found) return found;
    }
    return undefined;
  }
  for (const [key, value] of Object.entries(params)) {
    const name = path ? `${path}.${printable(key)}` : printable(key);
    if (!isAcceptableText(key)) return name;
    const found = unacceptableParameter(value, name, depth + 1);
    if (found) return found;
  }
  return undefined;
}

/** A parameter name as it may be quoted back to the caller and written to a log: short, unacceptable characters escaped. */
export function printable(name: string): string {
  const escaped = [...name.slice(0, 40)].map((c) => (isAcceptableText(c) && c !== '\n' && c !== '\r' && c !== '\t' ? c : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)).join('');
  return name.length > 40 ? `${escaped}…` : escaped;
}

export function unacceptableDescription(parameter: string): string {
  if (parameter === TOO_DEEP) return `the request nests objects or arrays more than ${MAX_DEPTH} deep`;
  return `parameter ${parameter} contains a character that is not allowed (a control character or an unpaired surrogate)`;
}
