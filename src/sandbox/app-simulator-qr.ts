// The app simulator's QR sign-in panel (/sandbox/app/qr?device=<id>): the simulated device scans a sign-in page's
// code (pasted, or picked from the codes sandbox sign-in pages show now), sees what the app would show, and
// approves or denies, all through the real /app API with the device's proofs. Sandbox only, never in production.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppResponse, SignedDevice } from '../devices/device-client.ts';
import { qrPayload } from '../devices/qr-sign-in/code.ts';
import type { QrSignInRequests } from '../devices/qr-sign-in/requests.ts';
import { translator, type Language } from '../interactions/i18n.ts';
import { chooseLanguage, LANGUAGE_COOKIE, switchUrl } from '../interactions/language.ts';

export interface QrPanelOptions {
  requests: QrSignInRequests;
  issuer: string;
  /** The simulator's device with this id, signing as the app does; undefined when the simulator holds no key for it. */
  device(deviceId: string): Promise<SignedDevice | undefined>;
}

export const QR_PANEL_PATH = '/sandbox/app/qr';

const TEXT = {
  vi: {
    title: 'Trình mô phỏng ứng dụng: đăng nhập bằng mã QR',
    lead: 'Thiết bị mô phỏng quét mã QR của trang đăng nhập, xem dịch vụ yêu cầu gì, rồi đồng ý hoặc từ chối, qua đúng API /app mà điện thoại dùng.',
    device: 'Thiết bị: {name}',
    no_device: 'Thiết bị này không phải của trình mô phỏng. Hãy chọn hoặc đăng ký một thiết bị tại trình mô phỏng ứng dụng.',
    back: 'Về thiết bị này trong trình mô phỏng',
    paste: 'Nội dung mã QR',
    paste_hint: 'Dán nội dung mã (trang đăng nhập ghi nó trong #qr-code[data-qr-payload]), hoặc chọn một mã bên dưới.',
    scan: 'Quét mã',
    open_codes: 'Mã QR đang hiện trên trang đăng nhập của ứng dụng thử nghiệm',
    no_open: 'Không có mã nào đang chờ quét.',
    awaiting: 'Đang chờ bạn quyết định',
    service: 'Dịch vụ',
    organisation: 'Tổ chức',
    domain: 'Tên miền trở về',
    level: 'Mức độ yêu cầu',
    level_none: 'không yêu cầu (kết quả: {result})',
    data: 'Thông tin yêu cầu',
    expires: 'Còn {seconds} giây để quyết định.',
    unlock: 'Công dân mở khóa thiết bị bằng',
    pin: 'Mã PIN',
    biometric: 'Sinh trắc học',
    approve: 'Đồng ý đăng nhập',
    deny: 'Từ chối',
    approved: 'Đã đồng ý. Trang đăng nhập tự chuyển tiếp (hoặc bấm “tiếp tục” nếu không có JavaScript).',
    denied: 'Đã từ chối. Dịch vụ nhận lỗi access_denied.',
    refused: 'API từ chối ({status}): {error}: {description}',
  },
  en: {
    title: 'App simulator: QR sign-in',
    lead: 'The simulated device scans a sign-in page\'s QR code, sees what the service asks for, and approves or denies, through the same /app API a phone uses.',
    device: 'Device: {name}',
    no_device: 'This device is not one of the simulator\'s. Pick or enrol a device in the app simulator.',
    back: 'Back to this device in the simulator',
    paste: 'Text of the QR code',
    paste_hint: 'Paste the code\'s text (the sign-in page carries it in #qr-code[data-qr-payload]), or pick a code below.',
    scan: 'Scan',
    open_codes: 'QR codes shown now on sign-in pages of sandbox clients',
    no_open: 'No code is waiting to be scanned.',
    awaiting: 'Waiting for your decision',
    service: 'Service',
    organisation: 'Organisation',
    domain: 'Returns to domain',
    level: 'Level asked for',
    level_none: 'none (result: {result})',
    data: 'Data asked for',
    expires: '{seconds} seconds left to decide.',
    unlock: 'The citizen unlocks the device with',
    pin: 'PIN',
    biometric: 'Biometrics',
    approve: 'Approve the sign-in',
    deny: 'Deny',
    approved: 'Approved. The sign-in page goes on by itself (or press "continue" without JavaScript).',
    denied: 'Denied. The service receives access_denied.',
    refused: 'The API refused ({status}): {error}: {description}',
  },
} as const;
type TextKey = keyof (typeof TEXT)['vi'];

type Query = { Querystring: { lang?: string; device?: string } };
type Form = Query & { Body: Record<string, string | undefined> };

export async function appSimulatorQrRoutes(app: FastifyInstance, options: QrPanelOptions) {
  function page(request: FastifyRequest<Query>) {
    const lang: Language = chooseLanguage({ query: request.query.lang, cookie: request.cookies[LANGUAGE_COOKIE] });
    const s = (key: TextKey, vars: Record<string, string> = {}) => TEXT[lang][key].replace(/\{(\w+)\}/g, (_, name: string) => vars[name] ?? '');
    return { lang, t: translator(lang), s, title: TEXT[lang].title, switchUrl: switchUrl(request.url, lang) };
  }

  async function render(request: FastifyRequest<Query>, reply: FastifyReply, deviceId: string, extra: { shown?: AppResponse['body']; notice?: string; error?: string; status?: number } = {}) {
    const p = page(request);
    const device = await options.device(deviceId);
    const me = device ? await device.request('GET', '/app/devices/me') : undefined;
    reply.header('cache-control', 'no-store');
    if (!device || me?.status !== 200) return reply.code(404).view('sandbox-app-qr', { ...p, deviceId, error: p.s('no_device') });
    const open = await options.requests.openForSandbox(deviceId);
    return reply.code(extra.status ?? 200).view('sandbox-app-qr', {
      ...p,
      deviceId,
      deviceName: String(me.body.device?.name ?? deviceId),
      csrf: await reply.generateCsrf(),
      unscanned: open.unscanned.map((r) => ({ qr: qrPayload(options.issuer, r.id), service: r.shown.service.name })),
      awaiting: open.awaiting.map((r) => ({ id: r.id, service: r.shown.service.name })),
      ...extra,
    });
  }

  const refusal = (p: ReturnType<typeof page>, answer: AppResponse) =>
    p.s('refused', { status: String(answer.status), error: String(answer.body?.error ?? ''), description: String(answer.body?.error_description ?? '') });

  app.get<Query>(QR_PANEL_PATH, (request, reply) => render(request, reply, String(request.query.device ?? '')));

  /** Scans a code (or looks again at one this device scanned) and shows what the app shows. */
  app.post<Form>(`${QR_PANEL_PATH}/scan`, { preHandler: app.csrfProtection }, async (request, reply) => {
    const deviceId = String(request.body?.device ?? '');
    const device = await options.device(deviceId);
    if (!device) return render(request, reply, deviceId);
    const id = request.body?.request_id;
    const answer = id
      ? await device.request('GET', `/app/qr-sign-ins/${encodeURIComponent(id)}`)
      : await device.request('POST', '/app/qr-sign-ins', { qr: String(request.body?.qr ?? '').trim() });
    if (answer.status !== 200) return render(request, reply, deviceId, { error: refusal(page(request), answer), status: 400 });
    return render(request, reply, deviceId, { shown: answer.body });
  });

  app.post<Form>(`${QR_PANEL_PATH}/decide`, { preHandler: app.csrfProtection }, async (request, reply) => {
    const deviceId = String(request.body?.device ?? '');
    const device = await options.device(deviceId);
    if (!device) return render(request, reply, deviceId);
    const id = encodeURIComponent(String(request.body?.request_id ?? ''));
    const approve = request.body?.decision === 'approve';
    const answer = approve
      ? await device.request('POST', `/app/qr-sign-ins/${id}/approve`, { user_verification: request.body?.user_verification === 'biometric' ? 'biometric' : 'pin' })
      : await device.request('POST', `/app/qr-sign-ins/${id}/deny`);
    const p = page(request);
    if (answer.status !== 200) return render(request, reply, deviceId, { error: refusal(p, answer), status: 400 });
    return render(request, reply, deviceId, { notice: p.s(approve ? 'approved' : 'denied') });
  });
}
