// The sandbox's e-ID app simulator (/sandbox/app): pick a level-2 sandbox persona, bind a simulated device through
// the real /app API, list the persona's devices, open one to use the app's features (panels other files add, see
// app-simulator-panels.ts). Registered by app.ts only while the sandbox is on: in production it does not exist.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Schema } from '../db/schema.ts';
import { deviceName } from '../devices/devices.ts';
import { translator } from '../interactions/i18n.ts';
import { chooseLanguage, LANGUAGE_COOKIE, switchUrl } from '../interactions/language.ts';
import { simulatorText } from './app-simulator-messages.ts';
import { SIMULATOR_PANELS } from './app-simulator-panels.ts';
import { enrolSimulatedDevice, personaDevices, simulatedDevice, simulatorPersonas, type SimulatorDeps } from './simulated-devices.ts';

export { simulatedDevice, enrolSimulatedDevice, type SimulatorDeps } from './simulated-devices.ts';

export interface AppSimulatorOptions {
  db: Kysely<Schema>;
  issuer: string;
  now: () => Date;
}

type Lang = { Querystring: { lang?: string; enrolled?: string; removed?: string } };

export async function appSimulatorRoutes(app: FastifyInstance, options: AppSimulatorOptions) {
  const deps: SimulatorDeps = { ...options, app };
  const page = (request: FastifyRequest<Lang>) => {
    const lang = chooseLanguage({ query: request.query.lang, cookie: request.cookies[LANGUAGE_COOKIE] });
    return { lang, t: translator(lang), s: simulatorText(lang), switchUrl: switchUrl(request.url, lang) };
  };

  async function showSimulator(request: FastifyRequest<Lang>, reply: FastifyReply, extra: { error?: string; status?: number } = {}) {
    const p = page(request);
    const notice = request.query.removed ? p.s('removed') : undefined;
    return reply
      .code(extra.status ?? 200)
      .header('cache-control', 'no-store')
      .view('sandbox-app', { ...p, title: p.s('title'), personas: simulatorPersonas(), accounts: await personaDevices(options.db), notice, error: extra.error, csrf: await reply.generateCsrf() });
  }

  app.get<Lang>('/sandbox/app', (request, reply) => showSimulator(request, reply));

  app.post<Lang & { Body: { personal_id?: string; device_name?: string } }>('/sandbox/app/enrol', { preHandler: app.csrfProtection }, async (request, reply) => {
    const s = page(request).s;
    const name = deviceName(request.body?.device_name ?? '') ?? s('device_name.default');
    const outcome = await enrolSimulatedDevice(deps, { personalId: String(request.body?.personal_id ?? ''), deviceName: name }).catch((error: unknown) => {
      request.log.warn({ err: error }, 'simulated enrolment failed');
      return { ok: false as const, error: 'server_error', description: 'the simulated enrolment did not complete' };
    });
    if (!outcome.ok) return showSimulator(request, reply, { status: 400, error: s('refused', { error: outcome.error, description: outcome.description }) });
    return reply.redirect(`/sandbox/app/devices/${encodeURIComponent(outcome.deviceId)}?enrolled=1`, 303);
  });

  app.get<Lang & { Params: { id: string } }>('/sandbox/app/devices/:id', async (request, reply) => {
    const p = page(request);
    const device = await simulatedDevice(deps, request.params.id);
    const me = device ? await device.request('GET', '/app/devices/me') : undefined;
    const common = { ...p, title: p.s('title'), panels: SIMULATOR_PANELS.map((panel) => ({ href: `${panel.path}?device=${encodeURIComponent(request.params.id)}`, label: panel.label[p.lang] })), csrf: await reply.generateCsrf() };
    reply.header('cache-control', 'no-store');
    if (!device || !me) return reply.code(404).view('sandbox-app-device', { ...common, error: p.s('not_simulated') });
    if (me.status !== 200) return reply.code(409).view('sandbox-app-device', { ...common, error: p.s('device.refused', { description: String(me.body?.error_description ?? me.status) }) });
    return reply.view('sandbox-app-device', {
      ...common,
      device: { id: device.deviceId, name: me.body.device.name, citizen: me.body.citizen.name, level: String(me.body.citizen.level) },
      notice: request.query.enrolled ? p.s('enrolled', { name: me.body.device.name }) : undefined,
      removeAction: `/sandbox/app/devices/${encodeURIComponent(device.deviceId)}/remove`,
    });
  });

  app.post<Lang & { Params: { id: string } }>('/sandbox/app/devices/:id/remove', { preHandler: app.csrfProtection }, async (request, reply) => {
    const device = await simulatedDevice(deps, request.params.id);
    // The app unbinds itself through the API; the held key is then dropped.
    if (device) await device.request('DELETE', `/app/devices/${encodeURIComponent(device.deviceId)}`);
    await options.db.deleteFrom('sandbox_app_device_keys').where('device_id', '=', request.params.id).execute();
    return reply.redirect('/sandbox/app?removed=1', 303);
  });
}
