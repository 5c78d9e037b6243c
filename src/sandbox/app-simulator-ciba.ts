// The app simulator's CIBA panel (/sandbox/app/ciba?device=<id>): the bank requests waiting for the simulated
// device's citizen, with their binding messages, approved (PIN or fingerprint) or denied through the real /app API.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SignedDevice } from '../devices/device-client.ts';
import { chooseLanguage, LANGUAGE_COOKIE, switchUrl } from '../interactions/language.ts';
import { translator, type Language } from '../interactions/i18n.ts';
import { simulatedDevice, type SimulatorDeps } from './simulated-devices.ts';

const TEXT = {
  vi: {
    title: 'Yêu cầu xác thực từ ngân hàng',
    lead: 'Ngân hàng gửi yêu cầu qua kênh sau (CIBA) với số định danh của công dân; ứng dụng hiển thị nội dung đối chiếu (binding message) để công dân so với màn hình của ngân hàng rồi đồng ý hoặc từ chối.',
    none: 'Không có yêu cầu nào đang chờ.',
    service: 'Dịch vụ', binding: 'Nội dung đối chiếu', data: 'Dữ liệu được chia sẻ', level: 'Mức độ', expires: 'Còn {seconds} giây',
    pin: 'Đồng ý (mở khóa bằng PIN)', biometric: 'Đồng ý (vân tay)', deny: 'Từ chối',
    approved: 'Đã đồng ý: ngân hàng nhận được token.', denied: 'Đã từ chối: ngân hàng nhận access_denied.',
    refused: 'Máy chủ từ chối: {description}', not_simulated: 'Thiết bị này không phải thiết bị mô phỏng (hoặc đã bị gỡ).', back: 'Thiết bị',
  },
  en: {
    title: 'Bank requests',
    lead: 'A bank sends a back-channel (CIBA) request naming the citizen by personal ID number; the app shows its binding message so the citizen can compare it with the bank\'s screen, then approve or deny.',
    none: 'No request is waiting.',
    service: 'Service', binding: 'Binding message', data: 'Data shared', level: 'Level', expires: '{seconds} s left',
    pin: 'Approve (PIN)', biometric: 'Approve (fingerprint)', deny: 'Deny',
    approved: 'Approved: the bank gets its tokens.', denied: 'Denied: the bank is told access_denied.',
    refused: 'The server refused: {description}', not_simulated: 'This is not a simulated device (or it was removed).', back: 'Device',
  },
} as const satisfies Record<Language, Record<string, string>>;

type Key = keyof (typeof TEXT)['vi'];
type Query = { Querystring: { device?: string; lang?: string; done?: string } };

export async function cibaSimulatorRoutes(app: FastifyInstance, options: Omit<SimulatorDeps, 'app'>) {
  const deps: SimulatorDeps = { ...options, app };
  const textFor = (request: FastifyRequest<Query>) => {
    const lang = chooseLanguage({ query: request.query.lang, cookie: request.cookies[LANGUAGE_COOKIE] });
    const s = (key: Key, vars: Record<string, string> = {}) => TEXT[lang][key].replace(/\{(\w+)\}/g, (_, name: string) => vars[name] ?? '');
    return { lang, t: translator(lang), s, switchUrl: switchUrl(request.url, lang) };
  };
  const deviceOf = async (request: FastifyRequest<Query>): Promise<SignedDevice | undefined> =>
    typeof request.query.device === 'string' && /^[A-Za-z0-9_-]{20,64}$/.test(request.query.device) ? simulatedDevice(deps, request.query.device) : undefined;

  async function show(request: FastifyRequest<Query>, reply: FastifyReply, extra: { error?: string; status?: number } = {}) {
    const p = textFor(request);
    const device = await deviceOf(request);
    const common = { ...p, title: p.s('title'), csrf: await reply.generateCsrf(), deviceHref: device ? `/sandbox/app/devices/${encodeURIComponent(device.deviceId)}` : '/sandbox/app' };
    reply.header('cache-control', 'no-store');
    if (!device) return reply.code(404).view('sandbox-app-ciba', { ...common, requests: [], error: p.s('not_simulated') });
    const listed = await device.request('GET', '/app/ciba-requests');
    if (listed.status !== 200) return reply.code(409).view('sandbox-app-ciba', { ...common, requests: [], error: p.s('refused', { description: String(listed.body?.error_description ?? listed.status) }) });
    const notice = request.query.done === 'approved' ? p.s('approved') : request.query.done === 'denied' ? p.s('denied') : undefined;
    // The language rides along, so the answer's page speaks the same one.
    const action = (id: string, what: string) => `/sandbox/app/ciba/${encodeURIComponent(id)}/${what}?device=${encodeURIComponent(device.deviceId)}&lang=${p.lang}`;
    const requests = (listed.body.requests as Array<Record<string, any>>).map((r) => ({ ...r, approveAction: action(r.request_id, 'approve'), denyAction: action(r.request_id, 'deny') }));
    return reply.code(extra.status ?? 200).view('sandbox-app-ciba', { ...common, requests, notice, error: extra.error });
  }

  app.get<Query>('/sandbox/app/ciba', (request, reply) => show(request, reply));

  type Answer = Query & { Params: { id: string }; Body: { user_verification?: string } };
  for (const decision of ['approve', 'deny'] as const) {
    app.post<Answer>(`/sandbox/app/ciba/:id/${decision}`, { preHandler: app.csrfProtection }, async (request, reply) => {
      const device = await deviceOf(request);
      if (!device) return show(request, reply);
      const body = decision === 'approve' ? { user_verification: request.body?.user_verification === 'biometric' ? 'biometric' : 'pin' } : undefined;
      const answered = await device.request('POST', `/app/ciba-requests/${encodeURIComponent(request.params.id)}/${decision}`, body);
      if (answered.status !== 200) return show(request, reply, { status: answered.status, error: textFor(request).s('refused', { description: String(answered.body?.error_description ?? answered.status) }) });
      return reply.redirect(`/sandbox/app/ciba?device=${encodeURIComponent(device.deviceId)}&done=${answered.body.status}&lang=${textFor(request).lang}`, 303);
    });
  }
}
