// oidc-provider writes its auto-submitting form (response_mode=form_post, and a sign-out without a session) in
// English and without a language (lib/response_modes/form_post.js); the page contract wants the citizen's. The
// page is rewritten in place: its script stays byte for byte, since the provider put that script's hash in the CSP.
import { translator, type Language } from '../interactions/i18n.ts';

const STOCK_TITLE = '<title>Submitting Callback</title>';
const STOCK_NOSCRIPT = /Your browser does not support JavaScript or you've disabled it\.<br\/>\s*<button autofocus type="submit">Continue<\/button>/;

/** The provider's form_post page in `lang`; undefined for any other body. */
export function localisedFormPost(html: string, lang: Language): string | undefined {
  if (!html.includes(STOCK_TITLE)) return undefined;
  const t = translator(lang);
  return html
    .replace('<html>', `<html lang="${lang}">`)
    .replace('<meta http-equiv="X-UA-Compatible" content="IE=edge">', '<meta charset="utf-8">\n  <meta name="viewport" content="width=device-width, initial-scale=1">')
    .replace(STOCK_TITLE, `<title>${t('redirect.title')}</title>`)
    .replace(STOCK_NOSCRIPT, `${t('redirect.noscript')}<br/>\n      <button autofocus type="submit">${t('notice.continue')}</button>`);
}
