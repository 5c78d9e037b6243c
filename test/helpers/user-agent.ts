// A minimal user agent over fetch: keeps cookies, follows redirects by hand, fills our forms like a person would.
export interface FormPage {
  status: number;
  url: string;
  html: string;
}

export class UserAgent {
  readonly cookies = new Map<string, string>();

  async request(url: string, init: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {}) {
    const headers: Record<string, string> = { accept: 'text/html', ...init.headers };
    if (this.cookies.size) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    let body: string | undefined;
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    }
    const response = await fetch(url, { method: init.method ?? (body ? 'POST' : 'GET'), headers, body, redirect: 'manual' });
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a) || (/^\s*expires=/i.test(a) && Date.parse(a.split('=')[1]!) < Date.now()));
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return response;
  }

  /** Follows redirects until one leaves the provider (the relying party's redirect_uri) or a page is shown. */
  async follow(url: string, providerOrigin: string, init: Parameters<UserAgent['request']>[1] = {}): Promise<{ redirect?: string; page?: FormPage }> {
    let response = await this.request(url, init);
    let current = url;
    for (let hops = 0; hops < 10; hops++) {
      const location = response.headers.get('location');
      if (!location || response.status < 300 || response.status >= 400) {
        return { page: { status: response.status, url: current, html: await response.text() } };
      }
      const next = new URL(location, current).toString();
      if (new URL(next).origin !== providerOrigin) return { redirect: next };
      current = next;
      response = await this.request(next);
    }
    throw new Error('too many redirects');
  }
}

export function formAction(html: string, formId: string): string {
  const match = new RegExp(`<form[^>]*id="${formId}"[^>]*action="([^"]+)"`).exec(html);
  if (!match) throw new Error(`no form#${formId} in page:\n${html.slice(0, 2000)}`);
  return match[1]!.replace(/&amp;/g, '&');
}

export function csrfToken(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!match) throw new Error('no CSRF token in page');
  return match[1]!;
}

/** Signs in with the password through the real pages and stops at the consent page it leads to. */
export async function untilConsent(agent: UserAgent, authorizationUrl: string, credentials: { username: string; password: string }): Promise<FormPage> {
  const origin = new URL(authorizationUrl).origin;
  const login = (await agent.follow(authorizationUrl, origin)).page!;
  const consent = (await agent.follow(new URL(formAction(login.html, 'login'), login.url).toString(), origin, { form: { _csrf: csrfToken(login.html), ...credentials } })).page;
  if (!consent?.html.includes('id="consent"')) throw new Error(`no consent page after the password: ${consent?.html.slice(0, 1500)}`);
  return consent;
}

/** Signs in through the real pages and answers consent; returns where the provider finally sent the browser. */
export async function signInThroughPages(
  agent: UserAgent,
  authorizationUrl: string,
  credentials: { username: string; password: string },
  decision: 'approve' | 'deny' = 'approve',
): Promise<string> {
  const origin = new URL(authorizationUrl).origin;
  let step = await agent.follow(authorizationUrl, origin);
  for (let pages = 0; pages < 5 && step.page; pages++) {
    const { html, url } = step.page;
    if (html.includes('id="login"')) {
      step = await agent.follow(new URL(formAction(html, 'login'), url).toString(), origin, {
        form: { _csrf: csrfToken(html), ...credentials },
      });
    } else if (html.includes('id="consent"')) {
      step = await agent.follow(new URL(formAction(html, 'consent'), url).toString(), origin, {
        form: { _csrf: csrfToken(html), decision },
      });
    } else {
      throw new Error(`unexpected page (${step.page.status}) at ${url}:\n${html.slice(0, 1500)}`);
    }
  }
  if (!step.redirect) throw new Error(`sign-in did not return to the relying party: ${step.page?.html.slice(0, 1500)}`);
  return step.redirect;
}
