// Which language a page is shown in: the visible switch (remembered in a cookie) wins, then ui_locales, then Vietnamese.
import { isLanguage, pickLanguage, type Language } from './i18n.ts';

export const LANGUAGE_COOKIE = 'lang';

export function chooseLanguage(sources: { query?: unknown; cookie?: unknown; uiLocales?: unknown }): Language {
  if (isLanguage(sources.query)) return sources.query;
  if (isLanguage(sources.cookie)) return sources.cookie;
  return pickLanguage(typeof sources.uiLocales === 'string' ? sources.uiLocales : undefined) ?? 'vi';
}

/** The same URL with the other language: following it keeps the citizen where they are in the flow. */
export function switchUrl(pathWithQuery: string, current: Language): string {
  const url = new URL(pathWithQuery, 'http://x');
  url.searchParams.set('lang', current === 'vi' ? 'en' : 'vi');
  return `${url.pathname}${url.search}`;
}
