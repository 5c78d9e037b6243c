import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { pickLanguage } from '../../src/interactions/i18n.ts';
import { chooseLanguage, switchUrl } from '../../src/interactions/language.ts';
import { createLogger, loggableUrl, requestChildLogger } from '../../src/logger.ts';

function capturedLogger() {
  const lines: string[] = [];
  const logger = createLogger('info', new Writable({ write: (chunk, _encoding, done) => (lines.push(String(chunk)), done()) }));
  return { logger, lines, parsed: () => lines.map((line) => JSON.parse(line) as Record<string, any>) };
}

describe('loggable URLs', () => {
  it('masks credentials and personal data in query strings and paths', () => {
    const url = loggableUrl('/auth?client_id=sandbox&login_hint=001090012345&state=abc&scope=openid');
    expect(url).not.toContain('001090012345');
    expect(url).not.toContain('abc');
    expect(url).toContain('client_id=sandbox');
    expect(loggableUrl('/session/end?id_token_hint=eyJhbGciOi.x.y')).not.toContain('eyJ');
    expect(loggableUrl('/accounts/001090012345')).toBe('/accounts/[number]');
    expect(loggableUrl('/x?phone=%2B84912345678')).not.toContain('912345678');
    expect(loggableUrl('/x?phone=912345678')).not.toContain('912345678');
    expect(loggableUrl('/callback?code=SplxlOBeZQQYbYS6WxSbIA&state=af0ifjsldkj')).not.toContain('SplxlOBeZQQYbYS6WxSbIA');
  });
});

describe('error logging', () => {
  it('masks the input JSON.parse quotes back in its message', () => {
    const { logger, lines } = capturedLogger();
    let error: unknown;
    try {
      JSON.parse('{"username":"Nguyễn Văn An 001090012345"');
    } catch (caught) {
      error = caught;
    }
    logger.warn({ err: error }, 'x');
    expect(lines.join('')).not.toContain('Nguyễn');
    expect(lines.join('')).not.toContain('001090012345');
  });

  it('keeps error codes readable: a rejected request says which rule refused it', () => {
    const { logger, parsed } = capturedLogger();
    logger.info({ code: 'FST_CSRF_INVALID_TOKEN', status: 403 }, 'request rejected');
    logger.info({ err: Object.assign(new Error('duplicate key value violates unique constraint "accounts_pkey"'), { code: '23505', detail: 'Key (personal_id)=(001090012345) already exists.' }) }, 'conflict');
    const [rejected, conflict] = parsed();
    expect(rejected).toMatchObject({ code: 'FST_CSRF_INVALID_TOKEN', status: 403 });
    expect(conflict!.err).toMatchObject({ code: '23505', message: expect.stringContaining('accounts_pkey') });
    expect(JSON.stringify(conflict)).not.toContain('001090012345');
  });
});

describe('a request\'s logger', () => {
  it('writes what pino\'s own child writes, request id included, and still redacts what it logs', () => {
    const { logger, parsed } = capturedLogger();
    // A proxy's request id header may carry quotes or backslashes: the line must stay valid JSON.
    for (const reqId of ['req-1a', 'from-proxy "quoted" \\ id']) {
      const fields = { password: 'ThuNghiem@2026', body: { token: 'opaque-token', phone: '0912345678' }, outcome: 'denied' };
      requestChildLogger(logger, { reqId }, {}).warn(fields, 'sign-in refused');
      logger.child({ reqId }, {}).warn(fields, 'sign-in refused');
      const [ours, pinos] = parsed().slice(-2).map(({ time: _time, ...line }) => line);
      expect(ours).toEqual(pinos);
      expect(ours).toMatchObject({ reqId, password: '[Redacted]', body: { token: '[Redacted]', phone: '[Redacted]' }, outcome: 'denied' });
    }
  });

  it('is pino\'s ordinary child when a route sets its own level', () => {
    const { logger, lines } = capturedLogger();
    requestChildLogger(logger, { reqId: 'req-2' }, { level: 'warn' }).info('not written');
    expect(lines).toHaveLength(0);
  });
});

describe('page language', () => {
  it('prefers the visible switch, then ui_locales, then Vietnamese', () => {
    expect(chooseLanguage({})).toBe('vi');
    expect(chooseLanguage({ uiLocales: 'fr en-US' })).toBe('en');
    expect(chooseLanguage({ uiLocales: 'en', cookie: 'vi' })).toBe('vi');
    expect(chooseLanguage({ query: 'en', cookie: 'vi' })).toBe('en');
    expect(chooseLanguage({ query: 'de', uiLocales: 'zz' })).toBe('vi');
    expect(pickLanguage(undefined)).toBeUndefined();
  });

  it('builds a switch link that stays on the same page', () => {
    expect(switchUrl('/interaction/abc', 'vi')).toBe('/interaction/abc?lang=en');
    expect(switchUrl('/interaction/abc?lang=en', 'en')).toBe('/interaction/abc?lang=vi');
  });
});
