// The app simulator's devices: enrolled through the real /app API (password, SMS code read from the sandbox inbox,
// a key generated here), their private keys kept in sandbox_app_device_keys. Sandbox personas only.
import type { FastifyInstance } from 'fastify';
import type { JWK } from 'jose';
import type { Kysely } from 'kysely';
import type { Schema } from '../db/schema.ts';
import { enrol, EnrolmentError, injectSend, signedDevice, type SignedDevice } from '../devices/device-client.ts';
import { devicesOf, type Device } from '../devices/devices.ts';
import { sandboxInbox } from './inbox.ts';
import { SANDBOX_CITIZENS, SANDBOX_PASSWORD, type SandboxCitizen } from './seed.ts';

export interface SimulatorDeps {
  db: Kysely<Schema>;
  /** The app itself: the simulator calls the /app API in-process, through the same routes as a phone. */
  app: FastifyInstance;
  issuer: string;
  now: () => Date;
}

/** The personas the simulator can play: level-2 sandbox citizens whose account is not locked at seeding. */
export function simulatorPersonas(): SandboxCitizen[] {
  return SANDBOX_CITIZENS.filter((c) => c.level === 2 && !c.locked);
}

/**
 * A simulated device that signs its requests with the key the simulator holds; undefined when the device is not one
 * of the simulator's (or its key is gone). Other panels (QR, CIBA, sharing) play the app through this.
 */
export async function simulatedDevice(deps: SimulatorDeps, deviceId: string): Promise<SignedDevice | undefined> {
  const row = await deps.db.selectFrom('sandbox_app_device_keys').select('private_jwk').where('device_id', '=', deviceId).executeTakeFirst();
  if (!row) return undefined;
  return signedDevice({ deviceId, privateJwk: row.private_jwk as JWK, issuer: deps.issuer, send: injectSend(deps.app), now: deps.now });
}

/** The private key the simulator holds for a device: panels sign what the app signs besides proofs (a sharing's key binding). */
export async function simulatedDeviceKey(db: Kysely<Schema>, deviceId: string): Promise<JWK | undefined> {
  const row = await db.selectFrom('sandbox_app_device_keys').select('private_jwk').where('device_id', '=', deviceId).executeTakeFirst();
  return row ? (row.private_jwk as JWK) : undefined;
}

export type SimulatedEnrolment = { ok: true; deviceId: string } | { ok: false; error: string; description: string };

/** Enrols a new simulated device for a sandbox persona, as the app would: the whole enrolment through /app. */
export async function enrolSimulatedDevice(deps: SimulatorDeps, input: { personalId: string; deviceName: string }): Promise<SimulatedEnrolment> {
  const persona = simulatorPersonas().find((c) => c.personalId === input.personalId);
  if (!persona) return { ok: false, error: 'not_a_persona', description: 'the simulator plays level-2 sandbox personas only' };
  let privateJwk: JWK | undefined;
  try {
    const device = await enrol({
      issuer: deps.issuer,
      send: injectSend(deps.app),
      personalId: persona.personalId,
      password: SANDBOX_PASSWORD,
      deviceName: input.deviceName,
      now: deps.now,
      // The simulator reads the phone's SMS from the sandbox inbox, as the developer would on /sandbox/sms.
      readSmsCode: async () => {
        const messages = await sandboxInbox(deps.db, deps.now(), { phone: persona.phone, limit: 5 });
        const code = messages.find((m) => m.purpose === 'sign_in_code' && m.live)?.secret;
        if (!code) throw new Error('no live SMS code in the sandbox inbox');
        return code;
      },
    });
    privateJwk = device.key.privateJwk;
    await deps.db.insertInto('sandbox_app_device_keys').values({ device_id: device.deviceId, private_jwk: JSON.stringify(privateJwk), created_at: deps.now() }).execute();
    return { ok: true, deviceId: device.deviceId };
  } catch (error) {
    if (error instanceof EnrolmentError) return { ok: false, error: String(error.response.body?.error ?? 'enrolment_refused'), description: String(error.response.body?.error_description ?? '') };
    throw error;
  }
}

export interface PersonaDevices {
  persona: SandboxCitizen;
  devices: Array<Device & { simulated: boolean }>;
}

/** Each persona with the devices bound to its account, marking those the simulator holds a key for. */
export async function personaDevices(db: Kysely<Schema>): Promise<PersonaDevices[]> {
  const personas = simulatorPersonas();
  const accounts = await db.selectFrom('accounts').select(['id', 'personal_id']).where('personal_id', 'in', personas.map((p) => p.personalId)).execute();
  const held = new Set((await db.selectFrom('sandbox_app_device_keys').select('device_id').execute()).map((r) => r.device_id));
  return Promise.all(
    personas.map(async (persona) => {
      const account = accounts.find((a) => a.personal_id === persona.personalId);
      const devices = account ? await devicesOf(db, account.id) : [];
      return { persona, devices: devices.map((d) => ({ ...d, simulated: held.has(d.id) })) };
    }),
  );
}
