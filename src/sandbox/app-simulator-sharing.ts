// The app simulator's sharing panel (/sandbox/app/sharing?device=<id>): play the app for a simulated device —
// choose attributes, get the credential from POST /app/sharings, add the device's key binding, and show the QR
// code (drawn by POST /app/sharings/{id}/qr) with its text to paste at /verify. Sandbox only.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { claimLabels, translator, type Language } from '../interactions/i18n.ts';
import { chooseLanguage, LANGUAGE_COOKIE, switchUrl } from '../interactions/language.ts';
import { SHAREABLE } from '../sharing/attributes.ts';
import { presentCredential } from '../sharing/presentation.ts';
import { simulatedDevice, simulatedDeviceKey, type SimulatorDeps } from './simulated-devices.ts';

const TEXT = {
  vi: {
    title: 'Chia sẻ thông tin bằng mã QR',
    lead: 'Chọn thông tin muốn cho quầy giao dịch xem. Ứng dụng nhận thông tin đã ký (hiệu lực 5 phút, dùng một lần), thiết bị ký xác nhận rồi hiện mã QR.',
    submit: 'Tạo mã QR',
    back: 'Thiết bị',
    qr: 'Đưa mã này cho quầy giao dịch quét',
    text: 'Nội dung mã (dán vào trang kiểm tra)',
    verify: 'Mở trang kiểm tra',
    expires: 'Hết hạn lúc {at}',
    refused: 'Máy chủ từ chối: {error} — {description}',
    none: 'Hãy chọn ít nhất một thông tin.',
    not_simulated: 'Thiết bị này không phải thiết bị mô phỏng (hoặc đã bị gỡ).',
  },
  en: {
    title: 'Share information by QR code',
    lead: 'Choose what the counter may see. The app gets a signed credential (valid 5 minutes, once), the device signs its key binding, and the QR code appears.',
    submit: 'Make the QR code',
    back: 'Device',
    qr: 'Show this code to the counter',
    text: 'The code\'s text (paste it on the checking page)',
    verify: 'Open the checking page',
    expires: 'Expires {at}',
    refused: 'The server refused: {error} — {description}',
    none: 'Choose at least one attribute.',
    not_simulated: 'This device is not a simulated one (or it was removed).',
  },
} as const;

type Text = keyof (typeof TEXT)['vi'];
type Req = FastifyRequest<{ Querystring: { lang?: string; device?: string }; Body: Record<string, unknown> | undefined }>;

export async function appSimulatorSharing(app: FastifyInstance, options: Omit<SimulatorDeps, 'app'>) {
  const deps: SimulatorDeps = { ...options, app };

  async function show(request: Req, reply: FastifyReply, extra: { status?: number; error?: string; shared?: { svg: string; text: string; expires: string }; chosen?: string[] } = {}) {
    const lang: Language = chooseLanguage({ query: request.query.lang, cookie: request.cookies[LANGUAGE_COOKIE] });
    const t = translator(lang);
    const s = (key: Text, vars: Record<string, string> = {}) => TEXT[lang][key].replace(/\{(\w+)\}/g, (_, name: string) => vars[name] ?? '');
    const deviceId = String(request.query.device ?? '');
    reply.header('cache-control', 'no-store');
    return reply.code(extra.status ?? 200).view('sandbox-app-sharing', {
      lang,
      t,
      s,
      title: s('title'),
      switchUrl: switchUrl(request.url, lang),
      csrf: await reply.generateCsrf(),
      action: `/sandbox/app/sharing?device=${encodeURIComponent(deviceId)}&lang=${lang}`,
      back: `/sandbox/app/devices/${encodeURIComponent(deviceId)}`,
      attributes: SHAREABLE.map((name) => ({ name, label: claimLabels([name], t)[0] ?? name, checked: (extra.chosen ?? ['name', 'birthdate']).includes(name) })),
      error: extra.error,
      shared: extra.shared,
    });
  }

  app.get<{ Querystring: { lang?: string; device?: string } }>('/sandbox/app/sharing', (request, reply) => show(request as Req, reply));

  app.post<{ Querystring: { lang?: string; device?: string } }>('/sandbox/app/sharing', { preHandler: app.csrfProtection }, async (request, reply) => {
    const req = request as Req;
    const lang: Language = chooseLanguage({ query: req.query.lang, cookie: req.cookies[LANGUAGE_COOKIE] });
    const s = (key: Text, vars: Record<string, string> = {}) => TEXT[lang][key].replace(/\{(\w+)\}/g, (_, name: string) => vars[name] ?? '');
    const body = req.body ?? {};
    const chosen = SHAREABLE.filter((name) => body[name] === 'on');
    const deviceId = String(req.query.device ?? '');
    const device = await simulatedDevice(deps, deviceId);
    const key = await simulatedDeviceKey(options.db, deviceId);
    if (!device || !key) return show(req, reply, { status: 404, error: s('not_simulated'), chosen });
    if (!chosen.length) return show(req, reply, { status: 400, error: s('none'), chosen });
    // The app's steps, through the same API a phone calls.
    const created = await device.request('POST', '/app/sharings', { attributes: chosen });
    if (created.status !== 201) return show(req, reply, { status: 409, error: s('refused', { error: String(created.body?.error), description: String(created.body?.error_description ?? '') }), chosen });
    const text = await presentCredential(created.body.credential, key, { now: options.now() });
    const qr = await device.request('POST', `/app/sharings/${encodeURIComponent(created.body.sharing_id)}/qr`, { presentation: text });
    if (qr.status !== 200) return show(req, reply, { status: 409, error: s('refused', { error: String(qr.body?.error), description: String(qr.body?.error_description ?? '') }), chosen });
    const expires = new Date(created.body.expires_at).toLocaleString(lang === 'vi' ? 'vi-VN' : 'en-GB', { timeZone: 'Asia/Ho_Chi_Minh' });
    return show(req, reply, { shared: { svg: qr.body.svg, text, expires: s('expires', { at: expires }) }, chosen });
  });
}
