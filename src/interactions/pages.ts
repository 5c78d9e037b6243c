// Server-rendered pages over views/ (eta). Every page gets its language, a translator and the language switch.
import { fileURLToPath } from 'node:url';
import { Eta } from 'eta';
import { translator, type Language, type MessageKey } from './i18n.ts';

export const VIEWS_DIR = fileURLToPath(new URL('../../views/', import.meta.url));

export interface PageData {
  lang: Language;
  title: string;
  switchUrl?: string | undefined;
  [key: string]: unknown;
}

export interface Pages {
  eta: Eta;
  render(template: string, data: PageData): Promise<string>;
  /** A page that only says something: expired, error, not found, signed out. */
  message(
    lang: Language,
    parts: { heading: MessageKey; message: MessageKey; code?: string; retryUrl?: string; switchUrl?: string; link?: { href: string; text: MessageKey } },
  ): Promise<string>;
}

// Templates ship with the code: each is read and compiled once, in development as in production. Recompiled on
// every page, they put a synchronous file read and a compile on each sign-in page of the sandbox and the benchmark.
export function createPages(): Pages {
  const eta = new Eta({ views: VIEWS_DIR, cache: true, autoEscape: true, autoTrim: false });
  const render: Pages['render'] = (template, data) => eta.renderAsync(template, { ...data, t: translator(data.lang) });
  return {
    eta,
    render,
    message(lang, { heading, message, link, ...rest }) {
      const t = translator(lang);
      return render('message', { lang, title: t(heading), heading: t(heading), message: t(message), ...(link ? { link: { href: link.href, text: t(link.text) } } : {}), ...rest });
    },
  };
}
