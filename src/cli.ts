// Operator commands. `npm run cli -- <command>`; `npm run migrate` is `cli migrate`.
import { ConfigError, loadConfig } from './config.ts';
import { databaseLocation, openDatabase } from './db/database.ts';
import { migrate } from './db/migrator.ts';

const USAGE = `usage: npm run cli -- <command>

commands:
  migrate    apply pending database migrations (idempotent)
`;

async function main(argv: string[]): Promise<number> {
  const [command] = argv;
  if (!command || command === 'help' || command === '--help') {
    process.stdout.write(USAGE);
    return command ? 0 : 2;
  }
  const config = loadConfig();
  const database = await openDatabase(databaseLocation(config));
  try {
    switch (command) {
      case 'migrate': {
        const result = await migrate(database);
        process.stdout.write(
          result.applied.length
            ? `applied ${result.applied.length} migration(s): ${result.applied.join(', ')}\n`
            : `database is up to date (${result.alreadyApplied} migration(s) already applied)\n`,
        );
        return 0;
      }
      default:
        process.stderr.write(`unknown command: ${command}\n\n${USAGE}`);
        return 2;
    }
  } finally {
    await database.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`dinhdanh: ${error instanceof ConfigError ? error.message : (error as Error).stack}\n`);
    process.exit(1);
  },
);
