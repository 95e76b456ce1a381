// `node dist/migrate.js`: the gateway schema's forward-only migrations, then exit (the migration Job).
import { runMigrationsCommand } from '@pp/platform';
import { migrations, SCHEMA } from './migrations';

runMigrationsCommand('gateway', SCHEMA, migrations);
