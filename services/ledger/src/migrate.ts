// `node dist/migrate.js`: the ledger schema's forward-only migrations, then exit (the migration Job).
import { runMigrationsCommand } from '@pp/platform';
import { migrations, SCHEMA } from './migrations';

runMigrationsCommand('ledger', SCHEMA, migrations);
