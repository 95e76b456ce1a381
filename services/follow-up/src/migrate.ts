// `node dist/migrate.js`: the follow-up schema's forward-only migrations, then exit (the migration Job).
import { runMigrationsCommand } from '@pp/platform';
import { migrations, SCHEMA } from './migrations';

runMigrationsCommand('follow-up', SCHEMA, migrations);
