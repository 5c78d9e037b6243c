// The sharing routes of the e-ID app's API, inside its scope (device-signed): create a sharing for the chosen
// attributes, and draw the presentation the app made as a QR code. Device removal or a revoked account stop
// both at once: the Device-Proof check refuses them before these run.
import type { FastifyInstance } from 'fastify';
import type { Shareable } from './attributes.ts';
import { sharingSchemas } from './app-schemas.ts';
import { COUNTER_AUDIENCE, SHARING_SECONDS } from './credential.ts';
import { QR_CAPACITY, qrSvg } from './qr.ts';
import { SharingRefused, type SharingService } from './service.ts';

export function sharingAppRoutes(deps: { sharing: SharingService }) {
  return async (app: FastifyInstance) => {
    app.post<{ Body: { attributes: Shareable[] } }>('/app/sharings', { schema: sharingSchemas.create, preHandler: app.requireDevice }, async (request, reply) => {
      const device = request.device!;
      reply.header('cache-control', 'no-store');
      try {
        const issued = await deps.sharing.issue({ accountId: device.accountId, deviceId: device.id, attributes: request.body.attributes });
        return reply.code(201).send({
          sharing_id: issued.id,
          credential: issued.credential,
          attributes: issued.claims,
          expires_at: issued.expiresAt.toISOString(),
          expires_in: SHARING_SECONDS,
          key_binding: { aud: COUNTER_AUDIENCE, nonce: issued.id },
        });
      } catch (error) {
        if (!(error instanceof SharingRefused)) throw error;
        return reply.code(error.error === 'access_denied' ? 403 : 400).send({ error: error.error, error_description: error.message });
      }
    });

    app.post<{ Params: { id: string }; Body: { presentation: string } }>('/app/sharings/:id/qr', { schema: sharingSchemas.qr, preHandler: app.requireDevice }, async (request, reply) => {
      reply.header('cache-control', 'no-store');
      const { presentation } = request.body;
      const result = await deps.sharing.check(request.device!.id, request.params.id, presentation);
      if (!result) return reply.code(404).send({ error: 'not_found', error_description: 'no such sharing of this device' });
      if (!result.ok) return reply.code(400).send({ error: 'invalid_presentation', reason: result.reason, error_description: result.detail });
      const text = presentation.replace(/\s+/g, '');
      if (text.length > QR_CAPACITY) return reply.code(400).send({ error: 'invalid_request', error_description: `the presentation (${text.length} characters) does not fit one QR code (${QR_CAPACITY}): show fewer attributes` });
      return { svg: await qrSvg(text) };
    });
  };
}
