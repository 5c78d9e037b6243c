// The app simulator's sharing panel: a developer picks attributes for a simulated device and gets the QR code
// (inline SVG) and its text, made through the real /app API; pasted at /verify it shows just those attributes.
import { describe, expect, it } from 'vitest';
import { SANDBOX_CITIZENS } from '../../src/sandbox/seed.ts';
import { verifyOnPage } from '../helpers/counter.ts';
import { sandboxProviderForSuite } from '../helpers/relying-party.ts';
import { csrfToken, formAction, UserAgent } from '../helpers/user-agent.ts';

const suite = sandboxProviderForSuite();
const an = SANDBOX_CITIZENS.find((c) => c.personalId === '001090012345')!;
const unescape = (html: string) => html.replace(/&amp;/g, '&').replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>');

describe('/sandbox/app/sharing', () => {
  it('makes a sharing QR code for a simulated device, which the counter verifies with only the chosen attributes', async () => {
    const agent = new UserAgent();
    const start = (await agent.follow(`${suite.provider.url}/sandbox/app`, suite.provider.url)).page!.html;
    const enrolled = (await agent.follow(`${suite.provider.url}/sandbox/app/enrol`, suite.provider.url, { form: { _csrf: csrfToken(start), personal_id: an.personalId, device_name: 'Điện thoại của An' } })).page!.html;
    const panelLink = /href="(\/sandbox\/app\/sharing\?device=[^"]+)"/.exec(enrolled)![1]!.replace(/&amp;/g, '&');
    expect(enrolled).toContain('Chia sẻ thông tin bằng mã QR');

    const panel = (await agent.follow(`${suite.provider.url}${panelLink}`, suite.provider.url)).page!;
    expect(panel.status).toBe(200);
    expect(panel.html).toContain('id="share"');
    const shared = (await agent.follow(new URL(formAction(panel.html, 'share'), panel.url).href, suite.provider.url, {
      form: { _csrf: csrfToken(panel.html), name: 'on', nationality: 'on', age_over_18: 'on' },
    })).page!;
    expect(shared.status).toBe(200);
    expect(shared.html).toMatch(/<section id="sharing-qr"[\s\S]*<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    const text = unescape(/<textarea id="presentation" readonly[^>]*>([^<]+)<\/textarea>/.exec(shared.html)![1]!);

    const counter = await verifyOnPage(suite.provider.url, text, { lang: 'en' });
    expect(counter.html).toContain('data-result="verified"');
    expect(counter.html).toContain('data-claim="name">Nguyễn Văn An<');
    expect(counter.html).toContain('data-claim="nationality">Việt Nam<');
    expect(counter.html).toContain('data-claim="age_over_18">Yes<');
    expect(counter.html).not.toContain('data-claim="birthdate"');

    const none = (await agent.follow(new URL(formAction(shared.html, 'share'), shared.url).href, suite.provider.url, { form: { _csrf: csrfToken(shared.html) } })).page!;
    expect(none.status).toBe(400);
    expect(none.html).toContain('Hãy chọn ít nhất một thông tin.');
  });

  it('says so for a device the simulator does not hold', async () => {
    const agent = new UserAgent();
    const panel = (await agent.follow(`${suite.provider.url}/sandbox/app/sharing?device=nope&lang=en`, suite.provider.url)).page!;
    const refused = (await agent.follow(new URL(formAction(panel.html, 'share'), panel.url).href, suite.provider.url, { form: { _csrf: csrfToken(panel.html), name: 'on' } })).page!;
    expect(refused.status).toBe(404);
    expect(refused.html).toContain('This device is not a simulated one');
  });
});
