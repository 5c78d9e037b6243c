// What text a caller may send us: no NUL, no other control characters but tab and line breaks, no unpaired
// surrogates. PostgreSQL cannot store NUL (text) or a lone surrogate (jsonb), and no parameter of ours needs either.

// C0 controls except tab, line feed and carriage return (a textarea's line breaks), DEL, and the C1 controls.
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;

export function isAcceptableText(text: string): boolean {
  return !CONTROL.test(text) && text.isWellFormed();
}

/**
 * The name of the first parameter whose name or value (at any depth of a parsed JSON or form body) is not
 * acceptable text, or undefined when all are. Names are reported printable: `client_id`, `claims.userinfo`.
 */
export function unacceptableParameter(params: unknown, path = ''): string | undefined {
  if (typeof params === 'string') return isAcceptableText(params) ? undefined : path || 'value';
  if (Array.isArray(params)) {
    for (const item of params) {
      const found = unacceptableParameter(item, path);
      if (found) return found;
    }
    return undefined;
  }
  if (params && typeof params === 'object') {
    for (const [key, value] of Object.entries(params)) {
      const name = path ? `${path}.${printable(key)}` : printable(key);
      if (!isAcceptableText(key)) return name;
      const found = unacceptableParameter(value, name);
      if (found) return found;
    }
  }
  return undefined;
}

/** A parameter name as it may be quoted back to the caller and written to a log: short, unacceptable characters escaped. */
export function printable(name: string): string {
  const escaped = [...name.slice(0, 40)].map((c) => (isAcceptableText(c) && c !== '\n' && c !== '\r' && c !== '\t' ? c : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)).join('');
  return name.length > 40 ? `${escaped}…` : escaped;
}

export function unacceptableDescription(parameter: string): string {
  return `parameter ${parameter} contains a character that is not allowed (a control character or an unpaired surrogate)`;
}
