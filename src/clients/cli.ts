// `npm run cli -- clients …`: the operator API's registry operations from a shell, without SQL. Every change is
// audited (actor: system "cli"); a secret is printed once, at creation or rotation, and never logged.
import { readFile } from 'node:fs/promises';
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import type { Kysely } from 'kysely';
import { loadConfig, type Config } from '../config.ts';
import { reachEveryInstance } from '../db/notifications.ts';
import type { ClientState, Schema } from '../db/schema.ts';
import { changeClientState, listClients, registerClient, rotateClientSecret, setClientApproval, showClient, type NewClient, type Outcome, type ValidateMetadata } from './lifecycle.ts';
import { REGISTRY_PROFILES } from './profiles.ts';
import type { ClientRecord } from './registry.ts';

export const CLIENTS_USAGE = `  clients create --profile public_service|bank|service|sandbox --name "SERVICE" --organisation "ORG"
                 --contact EMAIL [--contact …] --scope "openid profile …" [--level 1|2] [--client-id ID]
                 [--domain DOMAIN] [--logo URL] [--sector SECTOR] [--consent choice|notice]
                 [--redirect-uri URL …] [--post-logout-redirect-uri URL …] [--jwks-uri URL]
                 [--backchannel-logout-uri URL] [--metadata-file FILE.json]
             register a relying party (pending until approved); prints its client_secret once
  clients list [--state pending|approved|suspended] [--profile public_service|bank|service|sandbox|first_party]
  clients show CLIENT_ID           the client, its approval and its audit trail (never its secret)
  clients approve|reinstate CLIENT_ID
  clients suspend CLIENT_ID --reason "WHY"
             refused at every endpoint from its next request, its tokens included
  clients rotate-secret CLIENT_ID  a new secret, printed once; the old one stops working at once
  clients set CLIENT_ID [--scope "…"] [--level 1|2]
             change what the client is approved for
  (add --json to any of them for JSON output)
`;

/** Bad arguments: the CLI prints the message and the usage and exits 2. */
export class ClientsUsageError extends Error {}

const CLI_ACTOR = { type: 'system', id: 'cli' } as const;
const CLIENT_STATES: readonly ClientState[] = ['pending', 'approved', 'suspended'];
/** What `clients list --profile` can find: the profiles a client is registered with, and the provider's own page. */
const LISTED_PROFILES: readonly string[] = [...REGISTRY_PROFILES, 'first_party'];

const SPEC: ParseArgsOptionsConfig = {
  json: { type: 'boolean' },
  profile: { type: 'string' }, name: { type: 'string' }, organisation: { type: 'string' }, contact: { type: 'string', multiple: true },
  scope: { type: 'string' }, level: { type: 'string' }, 'client-id': { type: 'string' }, domain: { type: 'string' }, logo: { type: 'string' },
  sector: { type: 'string' }, consent: { type: 'string' }, 'redirect-uri': { type: 'string', multiple: true },
  'post-logout-redirect-uri': { type: 'string', multiple: true }, 'jwks-uri': { type: 'string' }, 'backchannel-logout-uri': { type: 'string' },
  'metadata-file': { type: 'string' }, state: { type: 'string' }, reason: { type: 'string' },
};

type Io = { out: (line: string) => void; err: (line: string) => void };
type Values = Record<string, string | boolean | string[] | undefined>;

export async function runClients(argv: string[], io: Io): Promise<number> {
  const [sub, ...rest] = argv;
  let parsed: { values: Values; positionals: string[] };
  try {
    parsed = parseArgs({ args: rest, options: SPEC, allowPositionals: true, strict: true }) as typeof parsed;
  } catch (error) {
    throw new ClientsUsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (!sub || !(COMMANDS_ON_A_CLIENT.has(sub) || sub === 'create' || sub === 'list')) throw new ClientsUsageError(`unknown clients command: ${sub ?? '(none)'}`);
  const needsId = COMMANDS_ON_A_CLIENT.has(sub);
  if (positionals.length !== (needsId ? 1 : 0)) throw new ClientsUsageError(`clients ${sub}: expected ${needsId ? 'a CLIENT_ID' : 'no argument'}`);
  // A filter nothing can match is a mistake, not an empty registry: say which values exist.
  if (values.state !== undefined && !CLIENT_STATES.includes(values.state as ClientState)) throw new ClientsUsageError(`--state must be one of ${CLIENT_STATES.join(', ')}`);
  if (values.profile !== undefined && sub === 'list' && !LISTED_PROFILES.includes(String(values.profile))) throw new ClientsUsageError(`--profile must be one of ${LISTED_PROFILES.join(', ')}`);
  const level = levelOf(values.level);
  if (sub === 'set' && values.scope === undefined && level === undefined) throw new ClientsUsageError('clients set: give --scope and/or --level');
  const input = sub === 'create' ? await newClient(values, level) : undefined;

  // The issuer decides sectors and what redirect URIs production accepts: required as for the provider.
  const config = loadConfig(process.env, { serving: false, needsIssuer: true });
  const { databaseLocation } = await import('../db/database.ts');
  const { withMigratedDatabase } = await import('../db/migrator.ts');
  // A registry on a database no provider has started yet is still a registry: its schema is brought up to date.
  return withMigratedDatabase(databaseLocation(config), async (database) => {
    const db = database.db;
    const clientId = positionals[0] ?? '';
    const print = async (outcome: Outcome<unknown>, describe: (value: never) => string[]) => {
      if (!outcome.ok) {
        io.err(`clients ${sub}: ${outcome.refusal.error}: ${outcome.refusal.description}`);
        return 1;
      }
      // A change is reported once the running instances have dropped what they cached of the client (a new one
      // is in no cache: an unknown client is never kept).
      let unconfirmed: unknown;
      const reach = sub === 'show' || sub === 'create' ? undefined : await reachEveryInstance(database).catch((error: unknown) => void (unconfirmed = error));
      if (values.json) io.out(JSON.stringify(outcome.value, null, 2));
      else describe(outcome.value as never).forEach((line) => io.out(line));
      // The change is made whatever comes next: it is printed above, and a failed confirmation is only a warning.
      if (unconfirmed !== undefined) {
        io.err(`warning: the change is made, but whether the running instances have applied it could not be confirmed (${(unconfirmed as Error).message ?? String(unconfirmed)}); they apply it as soon as its notice reaches them`);
      } else if (reach && reach.heard < reach.listening) {
        io.err(`warning: ${reach.heard} of ${reach.listening} running instances confirmed the change within 5 s; the others apply it as soon as its notice reaches them`);
      } else if (reach && !values.json) {
        io.out(reach.listening === 0 ? 'in effect (no instance is running)' : `in effect on every running instance (${reach.listening})`);
      }
      return 0;
    };
    switch (sub) {
      case 'create':
        return print(await registerClient(db, input!, CLI_ACTOR, await validator(db, config), await sectors(config.issuer)), ({ client, secret }: { client: ClientRecord; secret?: string }) => [
          ...describe(client),
          secret ? `client_secret: ${secret}\n  (shown this once: only its hash is stored; \`clients rotate-secret\` issues a new one)` : 'no client secret (the client authenticates with its keys)',
          `next: npm run cli -- clients approve ${client.clientId}`,
        ]);
      case 'list': {
        const clients = await listClients(db, { ...(values.state ? { state: values.state as ClientState } : {}), ...(values.profile ? { profile: String(values.profile) } : {}) });
        if (values.json) io.out(JSON.stringify(clients, null, 2));
        else for (const c of clients) io.out(`${c.clientId}\t${c.profile}\t${c.state}\tlevel ${c.maxLevel}\t${c.organisation.name ?? c.metadata.client_name ?? ''}`);
        return 0;
      }
      case 'show':
        return print(await showClient(db, clientId), (client: Awaited<ReturnType<typeof showClient>> extends Outcome<infer T> ? T : never) => [
          ...describe(client),
          'audit:',
          ...client.audit.map((e) => `  ${e.at.toISOString()} ${e.action} by ${e.actor_type}${e.actor_id ? ` ${e.actor_id}` : ''}${Object.keys(e.detail as object).length ? ` ${JSON.stringify(e.detail)}` : ''}`),
        ]);
      case 'approve':
      case 'reinstate':
        return print(await changeClientState(db, clientId, sub, CLI_ACTOR), describe);
      case 'suspend':
        return print(await changeClientState(db, clientId, 'suspend', CLI_ACTOR, values.reason as string | undefined), describe);
      case 'rotate-secret':
        return print(await rotateClientSecret(db, clientId, CLI_ACTOR), ({ client, secret }: { client: ClientRecord; secret: string }) => [
          `client_id: ${client.clientId}`,
          `client_secret: ${secret}\n  (shown this once; the previous secret no longer works)`,
        ]);
      case 'set': {
        const change = { ...(values.scope !== undefined ? { scopes: String(values.scope).split(/\s+/).filter(Boolean) } : {}), ...(level ? { max_level: level } : {}) };
        return print(await setClientApproval(db, clientId, change, CLI_ACTOR, await validator(db, config)), describe);
      }
    }
    return 2;
  });
}

const COMMANDS_ON_A_CLIENT = new Set(['show', 'approve', 'reinstate', 'suspend', 'rotate-secret', 'set']);

function levelOf(value: Values[string]): 1 | 2 | undefined {
  if (value === undefined) return undefined;
  if (value === '1' || value === '2') return Number(value) as 1 | 2;
  throw new ClientsUsageError('--level must be 1 or 2');
}

function describe(client: ClientRecord): string[] {
  const m = client.metadata as { redirect_uris?: string[]; token_endpoint_auth_method?: string };
  return [
    `client_id: ${client.clientId}`,
    `profile: ${client.profile}   state: ${client.state}${client.stateReason ? ` (${client.stateReason})` : ''}`,
    `organisation: ${client.organisation.name ?? '-'}${client.organisation.domain ? ` (${client.organisation.domain})` : ''}`,
    `approved: level ${client.maxLevel}; scopes ${client.scopes.join(' ')}`,
    `auth: ${m.token_endpoint_auth_method ?? 'client_secret_basic'}; redirect_uris: ${(m.redirect_uris ?? []).join(' ') || '-'}`,
  ];
}

async function newClient(values: Values, level: 1 | 2 | undefined): Promise<NewClient> {
  for (const required of ['profile', 'name', 'organisation', 'scope'] as const) {
    if (typeof values[required] !== 'string') throw new ClientsUsageError(`clients create: --${required} is required`);
  }
  if (!Array.isArray(values.contact)) throw new ClientsUsageError('clients create: at least one --contact EMAIL is required');
  let fromFile: Record<string, unknown> = {};
  if (typeof values['metadata-file'] === 'string') {
    try {
      fromFile = JSON.parse(await readFile(values['metadata-file'], 'utf8')) as Record<string, unknown>;
    } catch (error) {
      throw new ClientsUsageError(`--metadata-file: ${(error as Error).message}`);
    }
  }
  const list = (name: string) => (Array.isArray(values[name]) ? (values[name] as string[]) : undefined);
  const metadata: Record<string, unknown> = {
    ...fromFile,
    ...(list('redirect-uri') ? { redirect_uris: list('redirect-uri') } : {}),
    ...(list('post-logout-redirect-uri') ? { post_logout_redirect_uris: list('post-logout-redirect-uri') } : {}),
    ...(values['jwks-uri'] ? { jwks_uri: values['jwks-uri'] } : {}),
    ...(values['backchannel-logout-uri'] ? { backchannel_logout_uri: values['backchannel-logout-uri'] } : {}),
  };
  return {
    profile: String(values.profile),
    client_name: String(values.name),
    organisation_name: String(values.organisation),
    contacts: values.contact,
    scopes: String(values.scope).split(/\s+/).filter(Boolean),
    metadata,
    ...(values['client-id'] ? { client_id: String(values['client-id']) } : {}),
    ...(level ? { max_level: level } : {}),
    ...(values.domain ? { organisation_domain: String(values.domain) } : {}),
    ...(values.logo ? { logo_uri: String(values.logo) } : {}),
    ...(values.sector ? { sector_identifier: String(values.sector) } : {}),
    ...(values.consent ? { consent_mode: values.consent as 'choice' | 'notice' } : {}),
  };
}

/** The registry's sector assignment for redirect URIs on several hosts, as the operator API does it. */
async function sectors(issuer: string) {
  const { assignSector } = await import('../oidc/sectors.ts');
  return (metadata: Record<string, unknown> & { client_id: string }) => assignSector(metadata, issuer);
}

/** The provider's own metadata check, as the server would apply it (same configuration, no HTTP). */
async function validator(db: Kysely<Schema>, config: Config): Promise<ValidateMetadata> {
  const { providerForValidation } = await import('../oidc/validation-provider.ts');
  return providerForValidation(db, config);
}
