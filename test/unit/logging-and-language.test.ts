import { describe, expect, it } from 'vitest';
import { pickLanguage } from '../../src/interactions/i18n.ts';
import { chooseLanguage, switchUrl } from '../../src/interactions/language.ts';
import { loggableUrl } from '../../src/logger.ts';

describe('loggable URLs', () => {
  it('masks credentials and personal data in query strings and paths', () => {
    const url = loggableUrl('/auth?client_id=sandbox&login_hint=001090012345&state=abc&scope=openid');
    expect(url).not.toContain('001090012345');
    expect(url).not.toContain('abc');
    expect(url).toContain('client_id=sandbox');
    expect(loggableUrl('/session/end?id_token_hint=eyJhbGciOi.x.y')).not.toContain('eyJ');
    expect(loggableUrl('/accounts/001090012345')).toBe('/accounts/[number]');
    expect(loggableUrl('/x?phone=%2B84912345678')).not.toContain('912345678');
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
