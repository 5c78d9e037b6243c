// Officer reads leave a trace: every look at a citizen's record, an account or an application is in the audit
// trail, so a supervisor can answer a citizen's "who looked at my record, and when".
import { describe, expect, it } from 'vitest';
import { SANDBOX_CITIZENS, SANDBOX_UNREGISTERED } from '../../src/sandbox/seed.ts';
import { officerClient } from '../helpers/officer-api.ts';
import { sandboxProviderForSuite } from '../helpers/relying-party.ts';

const suite = sandboxProviderForSuite();
type Event = { at: string; actor_type: string; actor_id: string | null; action: string; detail: Record<string, unknown> };

describe('officer reads', () => {
  it('puts an officer’s lookup of a citizen and of an account in the trail a supervisor reads, with who and when', async () => {
    const officer = await officerClient(suite.provider.url, 'canbo');
    const supervisor = await officerClient(suite.provider.url, 'giamsat');
    const canbo = (await officer.call('GET', '/admin/me')).body.id as string;
    const citizen = SANDBOX_CITIZENS[1]!;

    const looked = await officer.call('GET', `/admin/citizens/${citizen.personalId}`);
    expect(looked.status).toBe(200);
    const accountId = looked.body.account.id as string;
    expect((await officer.call('GET', `/admin/accounts/${accountId}`)).status).toBe(200);

    const trail = (await supervisor.call('GET', `/admin/accounts/${accountId}/audit`)).body.events as Event[];
    const reads = trail.filter((e) => e.action.endsWith('.viewed'));
    expect(reads).toEqual([
      expect.objectContaining({ actor_type: 'officer', actor_id: canbo, action: 'citizen.viewed' }),
      expect.objectContaining({ actor_type: 'officer', actor_id: canbo, action: 'account.viewed' }),
    ]);
    expect(Date.parse(reads[0]!.at)).toBeGreaterThan(Date.now() - 60_000);
    // Filed under the account's id: the ID number is not copied into the trail.
    expect(JSON.stringify(trail)).not.toContain(citizen.personalId);
    // Reading the trail is a read too, seen in the next reading.
    const again = (await supervisor.call('GET', `/admin/accounts/${accountId}/audit`)).body.events as Event[];
    expect(again.at(-1)).toMatchObject({ action: 'account.audit_viewed', actor_type: 'officer', actor_id: (await supervisor.call('GET', '/admin/me')).body.id });
  });

  it('keeps lookups of a citizen made before the account existed, and the desk’s reads of the application', async () => {
    const officer = await officerClient(suite.provider.url, 'canbo');
    const supervisor = await officerClient(suite.provider.url, 'giamsat');
    const long = SANDBOX_UNREGISTERED[2]!;
    expect((await officer.call('GET', `/admin/citizens/${long.personalId}`)).body.account).toBeNull();
    const filed = await officer.call('POST', '/admin/applications', { personal_id: long.personalId, phone: '0912111222', requested_level: 1 });
    expect(filed.status).toBe(201);
    expect((await supervisor.call('GET', '/admin/applications?status=applied')).body.applications.map((a: { id: string }) => a.id)).toContain(filed.body.id);
    const approved = await supervisor.call('POST', `/admin/applications/${filed.body.id}/approve`);
    expect(approved.status).toBe(200);

    const trail = (await supervisor.call('GET', `/admin/accounts/${approved.body.account_id}/audit`)).body.events as Event[];
    expect(trail.map((e) => e.action)).toEqual(['citizen.viewed', 'account.issued']);
    const applicationReads = await suite.provider.database.db.selectFrom('audit_events').select(['actor_id', 'detail']).where('action', '=', 'application.viewed').where('subject_id', '=', filed.body.id).execute();
    expect(applicationReads).toEqual([expect.objectContaining({ detail: { via: 'queue' } })]);
  });

  it('puts a filing refused for what the record holds in the trail: probing by filing is a lookup too', async () => {
    const officer = await officerClient(suite.provider.url, 'canbo');
    const supervisor = await officerClient(suite.provider.url, 'giamsat');
    const citizen = SANDBOX_CITIZENS[2]!;
    const refused = await officer.call('POST', '/admin/applications', { personal_id: citizen.personalId, phone: '0912111333', requested_level: 1 });
    expect(refused).toMatchObject({ status: 409, body: { error: 'account_exists' } });
    const accountId = (await supervisor.call('GET', `/admin/citizens/${citizen.personalId}`)).body.account.id as string;
    const trail = (await supervisor.call('GET', `/admin/accounts/${accountId}/audit`)).body.events as Event[];
    expect(trail).toContainEqual(expect.objectContaining({ actor_type: 'officer', actor_id: (await officer.call('GET', '/admin/me')).body.id, action: 'application.refused', detail: { error: 'account_exists' } }));
  });

  it('records nothing for a number with no record, and refuses an officer the officers list without a trace', async () => {
    const officer = await officerClient(suite.provider.url, 'canbo');
    const supervisor = await officerClient(suite.provider.url, 'giamsat');
    const count = async () => Number((await suite.provider.database.db.selectFrom('audit_events').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
    const before = await count();
    expect((await officer.call('GET', '/admin/citizens/001090999999')).status).toBe(404);
    expect((await officer.call('GET', '/admin/officers')).status).toBe(403);
    expect(await count()).toBe(before);
    expect((await supervisor.call('GET', '/admin/officers')).status).toBe(200);
    const listed = await suite.provider.database.db.selectFrom('audit_events').select(['action', 'subject_type']).orderBy('id', 'desc').executeTakeFirstOrThrow();
    expect(listed).toEqual({ action: 'officers.listed', subject_type: null });
  });
});
