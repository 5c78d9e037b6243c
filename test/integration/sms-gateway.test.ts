// The SMS dispatcher against a fake HTTP gateway on 127.0.0.1 (the edge of the world): what it posts, what it
// keeps and erases in the outbox, retries, giving up, and never sending one message twice.
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/db/database.ts';
import { migrate } from '../../src/db/migrator.ts';
import { createLogger } from '../../src/logger.ts';
import { deliverPendingSms, type GatewayOptions } from '../../src/notify/gateway.ts';
import { queueSms } from '../../src/notify/sms.ts';
import { testClock } from '../helpers/clock.ts';
import { createTestDatabase, ENGINE, type TestDatabase } from '../helpers/database.ts';
import { officerClient } from '../helpers/officer-api.ts';
import { freePort, SANDBOX_SECRET, startProvider } from '../helpers/provider.ts';
import { authorizationRequest, relyingParty } from '../helpers/relying-party.ts';
import { csrfToken, formAction, UserAgent } from '../helpers/user-agent.ts';

const TOKEN = 'gateway-token-for-tests';
const PHONES = ['+84912345678', '+84387654321', '+84703456789'] as const;

interface Received {
  path: string;
  authorization: string | undefined;
  contentType: string | undefined;
  body: { to: string; text: string | null; reference: string };
}
type Handler = (request: Received, response: ServerResponse) => void | Promise<void>;

/** A gateway that records every POST and answers as the test tells it to (200 unless told otherwise). */
async function fakeGateway() {
  const received: Received[] = [];
  const ok: Handler = (_request, response) => void response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"accepted"}');
  let handler: Handler = ok;
  const server = createServer((req, res) => {
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (data += chunk));
    req.on('end', () => {
      const request: Received = { path: req.url ?? '', authorization: req.headers.authorization, contentType: req.headers['content-type'], body: JSON.parse(data || '{}') };
      received.push(request);
      Promise.resolve(handler(request, res)).catch(() => res.writeHead(500).end());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    answer(next: Handler) {
      handler = next;
    },
    reset() {
      received.length = 0;
      handler = ok;
    },
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

let testDb: TestDatabase;
let database: Database;
/** A second instance's connection to the same database (PGlite is embedded: the same one). */
let otherInstance: Database;
let gateway: Awaited<ReturnType<typeof fakeGateway>>;
const logs: string[] = [];
const logger = createLogger('info', new Writable({ write: (chunk, _encoding, done) => done(void logs.push(String(chunk))) }));

beforeAll(async () => {
  testDb = await createTestDatabase();
  database = await openDatabase(testDb.location);
  await migrate(database);
  otherInstance = ENGINE === 'postgres' ? await openDatabase(testDb.location) : database;
  gateway = await fakeGateway();
});
afterEach(async () => {
  gateway.reset();
  await database.db.deleteFrom('sms_outbox').execute();
});
afterAll(async () => {
  await gateway?.close();
  if (otherInstance !== database) await otherInstance?.close();
  await database?.close();
  await testDb?.drop();
});

const options = (extra: Partial<GatewayOptions> = {}): GatewayOptions => ({ url: `${gateway.url}/sms`, token: TOKEN, ...extra });

async function queue(count: number) {
  for (let i = 0; i < count; i++) {
    await queueSms(database.db, { to: PHONES[i % PHONES.length]!, purpose: 'password_reset', text: `Định danh điện tử: mã đặt lại mật khẩu của bạn là ${String(100_000 + i)}` });
  }
  return database.db.selectFrom('sms_outbox').selectAll().orderBy('id').execute();
}

const outbox = () => database.db.selectFrom('sms_outbox').selectAll().orderBy('id').execute();

describe('SMS delivery through the HTTP gateway', () => {
  it('posts each queued message with the bearer token, then erases its text from the outbox', async () => {
    const queued = await queue(3);
    expect(await deliverPendingSms(database.db, logger, options())).toBe(3);

    expect(gateway.received.map((r) => r.body)).toEqual(queued.map((m) => ({ to: m.recipient, text: m.body, reference: String(m.id) })));
    for (const request of gateway.received) {
      expect(request).toMatchObject({ path: '/sms', authorization: `Bearer ${TOKEN}`, contentType: 'application/json' });
    }
    for (const row of await outbox()) {
      expect(row).toMatchObject({ body: null, last_error: null, attempts: 1 });
      expect(row.delivered_at).toBeInstanceOf(Date);
    }
    // Each delivery is in the audit trail, by purpose only.
    const delivered = await database.db.selectFrom('audit_events').select(['subject_id', 'detail']).where('action', '=', 'sms.delivered').execute();
    expect(delivered.map((e) => e.subject_id)).toEqual(expect.arrayContaining(queued.map((m) => String(m.id))));
    expect(JSON.stringify(delivered)).not.toContain(queued[0]!.recipient);
    // Nothing is sent twice on the next pass.
    expect(await deliverPendingSms(database.db, logger, options())).toBe(0);
    expect(gateway.received).toHaveLength(3);
  });

  it('never sends a code that expired while it waited, and erases it with the reason', async () => {
    const at = new Date();
    await queueSms(database.db, { to: PHONES[0], purpose: 'sign_in_code', text: 'Định danh điện tử: mã xác thực đăng nhập của bạn là 123456, hiệu lực 5 phút.', at, expiresAt: new Date(at.getTime() + 300_000) });
    await queueSms(database.db, { to: PHONES[1], purpose: 'sign_in_code', text: 'Định danh điện tử: mã xác thực đăng nhập của bạn là 654321, hiệu lực 5 phút.', at, expiresAt: new Date(at.getTime() + 600_000) });
    // The gateway was unreachable for six minutes: the first code is worthless by now, the second still good.
    const later = () => new Date(at.getTime() + 360_000);
    expect(await deliverPendingSms(database.db, logger, options({ now: later }))).toBe(1);
    expect(gateway.received.map((r) => r.body.to)).toEqual([PHONES[1]]);
    const [stale, live] = await outbox();
    expect(stale).toMatchObject({ body: null, delivered_at: null, last_error: 'expired before delivery' });
    expect(live!.delivered_at).toBeInstanceOf(Date);
    expect(logs.join('')).toContain('"event":"sms.expired"');
    // Nothing is tried for it again.
    expect(await deliverPendingSms(database.db, logger, options({ now: later }))).toBe(0);
    expect(gateway.received).toHaveLength(1);
  });

  it('never sends a code that expired while a slow batch went out before it, and sends the oldest first', async () => {
    const at = new Date();
    await queueSms(database.db, { to: PHONES[0], purpose: 'phone_changed', text: 'Định danh điện tử: số điện thoại của tài khoản đã được thay đổi.', at });
    await queueSms(database.db, { to: PHONES[1], purpose: 'sign_in_code', text: 'Định danh điện tử: mã xác thực đăng nhập của bạn là 123456, hiệu lực 5 phút.', at, expiresAt: new Date(at.getTime() + 300_000) });
    // A gateway so slow that each step of the pass takes 200 s: the code has expired by the time its turn comes.
    let ticks = 0;
    const slow = () => new Date(at.getTime() + 200_000 * ticks++);
    expect(await deliverPendingSms(database.db, logger, options({ now: slow }))).toBe(1);
    expect(gateway.received.map((r) => r.body.to)).toEqual([PHONES[0]]);
    // The next pass drops it as expired, never sends it.
    expect(await deliverPendingSms(database.db, logger, options({ now: () => new Date(at.getTime() + 900_000) }))).toBe(0);
    expect(gateway.received).toHaveLength(1);
    expect((await outbox())[1]).toMatchObject({ body: null, delivered_at: null, last_error: 'expired before delivery' });
  });

  it('keeps a message the gateway refused, with the reason, and delivers it on a later pass', async () => {
    const clock = testClock();
    const [message] = await queue(1);
    gateway.answer((_request, response) => void response.writeHead(500).end('busy'));
    expect(await deliverPendingSms(database.db, logger, options({ now: clock.now }))).toBe(0);
    expect((await outbox())[0]).toMatchObject({ body: message!.body, delivered_at: null, attempts: 1, last_error: 'gateway answered 500' });

    // A gateway that cannot be reached at all is the same kind of failure, not a crash.
    clock.advance(6);
    expect(await deliverPendingSms(database.db, logger, options({ now: clock.now, url: `http://127.0.0.1:${await freePort()}/sms` }))).toBe(0);
    expect((await outbox())[0]).toMatchObject({ body: message!.body, delivered_at: null, attempts: 2 });
    expect((await outbox())[0]!.last_error).toBeTruthy();

    gateway.answer((_request, response) => void response.writeHead(202).end());
    clock.advance(11);
    expect(await deliverPendingSms(database.db, logger, options({ now: clock.now }))).toBe(1);
    expect((await outbox())[0]).toMatchObject({ body: null, last_error: null, attempts: 3 });
    expect(gateway.received.map((r) => r.body.reference)).toEqual([String(message!.id), String(message!.id)]);

    // The operator reads why, without the text or the phone number.
    const lines = logs.join('');
    expect(lines).toContain('SMS delivery failed');
    expect(lines).not.toContain(message!.body!);
    expect(lines).not.toContain(message!.recipient);
    expect(lines).not.toContain(message!.recipient.slice(3));
  });

  it('retries a first password with a growing pause for as long as the bound, then gives it up, erases it and says so', async () => {
    const clock = testClock();
    await queueSms(database.db, { to: PHONES[0], purpose: 'first_password', text: 'Định danh điện tử: Mật khẩu đăng nhập lần đầu: Xk4-pq7-Lm2 .', at: clock.now() });
    gateway.answer((_request, response) => void response.writeHead(503).end());
    // Passes every 5 s for an hour: the pauses double (5 s, 10 s, 20 s … up to 15 min), so the gateway is asked
    // about a dozen times, not 720, and the message is still waiting at the end of it.
    for (let second = 0; second < 3600; second += 5, clock.advance(5)) await deliverPendingSms(database.db, logger, options({ now: clock.now, giveUpSeconds: 6 * 3600 }));
    const tries = gateway.received.length;
    expect(tries).toBeGreaterThan(5);
    expect(tries).toBeLessThan(15);
    expect((await outbox())[0]).toMatchObject({ delivered_at: null, last_error: 'gateway answered 503' });
    expect((await outbox())[0]!.body).toContain('Xk4-pq7-Lm2');

    // Six hours after it was queued it is given up: the password is erased and the operator told.
    clock.advance(5 * 3600);
    await deliverPendingSms(database.db, logger, options({ now: clock.now, giveUpSeconds: 6 * 3600 }));
    expect((await outbox())[0]).toMatchObject({ body: null, delivered_at: null, last_error: 'given up: gateway answered 503' });
    const line = logs.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.event === 'sms.given_up');
    expect(line).toMatchObject({ level: 50, purpose: 'first_password', hours: 6 });
    expect(JSON.stringify(line)).not.toContain(PHONES[0].slice(3));
    const audited = await database.db.selectFrom('audit_events').select('detail').where('action', '=', 'sms.given_up').execute();
    expect(audited).toHaveLength(1);
  });

  it('never sends a message twice when two dispatchers run at the same time', async () => {
    const queued = await queue(30);
    // A gateway that takes a moment, so the two dispatchers' passes overlap.
    gateway.answer((_request, response) => void setTimeout(() => response.writeHead(200).end(), 3));
    const drain = async (instance: Database) => {
      let delivered = 0;
      for (let n = -1; n !== 0; delivered += n) n = await deliverPendingSms(instance.db, logger, options({ batchSize: 4 }));
      return delivered;
    };
    const [a, b] = await Promise.all([drain(database), drain(otherInstance)]);

    expect(a + b).toBe(30);
    expect(a, 'both dispatchers did part of the work').toBeGreaterThan(0);
    expect(b, 'both dispatchers did part of the work').toBeGreaterThan(0);
    const references = gateway.received.map((r) => r.body.reference).sort();
    expect(references).toEqual(queued.map((m) => String(m.id)).sort());
    expect((await outbox()).every((m) => m.delivered_at !== null && m.body === null)).toBe(true);
  });

  it('never sends twice what another dispatcher took over while a slow pass was still going', async () => {
    const clock = testClock();
    const queued = await queue(4);
    // Each send through instance A takes 25 s of the clock; while A sends its third message, instance B
    // runs a pass: by then A's claim on the batch (60 s) has run out for the message it has not reached.
    let sentByA = 0;
    gateway.answer(async (request, response) => {
      if (request.path === '/a') {
        clock.advance(25);
        if (++sentByA === 3) await deliverPendingSms(otherInstance.db, logger, options({ url: `${gateway.url}/b`, now: clock.now }));
      }
      response.writeHead(200).end();
    });
    await deliverPendingSms(database.db, logger, options({ url: `${gateway.url}/a`, now: clock.now }));

    const references = gateway.received.map((r) => r.body.reference).sort();
    expect(references).toEqual(queued.map((m) => String(m.id)).sort());
    expect(gateway.received.filter((r) => r.path === '/b').length).toBeGreaterThan(0);
    expect((await outbox()).every((m) => m.delivered_at !== null && m.body === null)).toBe(true);
  });
});

describe('the provider with SMS_GATEWAY_URL', () => {
  it('delivers the first password of an approved application on its own', async () => {
    const appDb = await createTestDatabase();
    const provider = await startProvider(appDb, {
      env: { SMS_GATEWAY_URL: `${gateway.url}/provider`, SMS_GATEWAY_TOKEN: TOKEN, SMS_DISPATCH_INTERVAL_SECONDS: '1', SIGN_IN_RATE_PER_MINUTE: '10000' },
    });
    try {
      const desk = await officerClient(provider.url, 'canbo');
      const supervisor = await officerClient(provider.url, 'giamsat');
      const filed = await desk.call('POST', '/admin/applications', { personal_id: '036079000987', phone: '0987 654 321', requested_level: 1 });
      expect(filed.status).toBe(201);
      expect((await supervisor.call('POST', `/admin/applications/${filed.body.id}/approve`)).status).toBe(200);

      await until(async () => (await provider.database.db.selectFrom('sms_outbox').select('delivered_at').where('recipient', '=', '+84987654321').executeTakeFirst())?.delivered_at != null);
      const sent = gateway.received.filter((r) => r.path === '/provider');
      expect(sent).toHaveLength(1);
      expect(sent[0]).toMatchObject({ authorization: `Bearer ${TOKEN}`, body: { to: '+84987654321' } });
      const password = /Mật khẩu đăng nhập lần đầu: (\S+) \./.exec(sent[0]!.body.text ?? '')?.[1];
      expect(password).toBeTruthy();
      expect(await provider.lastSms('+84987654321')).toBeUndefined();

      // The password that went out is the one that works: it leads to the forced change.
      const rp = await relyingParty(provider.url, 'sandbox', SANDBOX_SECRET);
      const agent = new UserAgent();
      const page = (await agent.follow((await authorizationRequest(rp)).url.href, provider.url)).page!;
      const signIn = await agent.request(new URL(formAction(page.html, 'login'), page.url).href, { form: { _csrf: csrfToken(page.html), username: '036079000987', password: password! } });
      expect(signIn.status).toBe(303);
      expect(signIn.headers.get('location')).toMatch(/\/interaction\/[\w-]+\/password$/);
      expect(provider.logs.join('')).not.toContain(password!);
    } finally {
      await provider.close();
      await appDb.drop();
    }
  });
});

describe('the provider with a gateway in trouble', () => {
  it('still delivers a first password after the gateway refused it for two hours', async () => {
    const clock = testClock();
    let ticking: NodeJS.Timeout | undefined;
    const appDb = await createTestDatabase();
    const provider = await startProvider(appDb, {
      clock: clock.now,
      env: { SMS_GATEWAY_URL: `${gateway.url}/provider`, SMS_GATEWAY_TOKEN: TOKEN, SMS_DISPATCH_INTERVAL_SECONDS: '1' },
    });
    try {
      // The gateway answers 503 to its first eight sends, while the provider's clock runs 20 minutes a second.
      let refusals = 0;
      gateway.answer((_request, response) => void response.writeHead(refusals++ < 8 ? 503 : 200).end());
      const supervisor = await officerClient(provider.url, 'giamsat');
      const desk = await officerClient(provider.url, 'canbo');
      const filed = await desk.call('POST', '/admin/applications', { personal_id: '036079000987', phone: '0987 654 321', requested_level: 1 });
      expect((await supervisor.call('POST', `/admin/applications/${filed.body.id}/approve`)).status).toBe(200);
      ticking = setInterval(() => clock.advance(120), 100);

      await until(async () => (await provider.database.db.selectFrom('sms_outbox').select('delivered_at').where('recipient', '=', '+84987654321').executeTakeFirst())?.delivered_at != null, 25);
      const sent = gateway.received.filter((r) => r.path === '/provider');
      expect(sent).toHaveLength(9);
      expect(sent.at(-1)!.body.text).toMatch(/Mật khẩu đăng nhập lần đầu: \S+ \./);
    } finally {
      clearInterval(ticking);
      await provider.close();
      await appDb.drop();
    }
  }, 60_000);
});

async function until(condition: () => Promise<boolean>, seconds = 15) {
  const deadline = Date.now() + seconds * 1000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`not within ${seconds} s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
