// `node dist/migrate.js`: the case-lifecycle schema's forward-only migrations, then exit (the migration Job).
import { runMigrationsCommand } from '@pp/platform';
import { migrations, SCHEMA } from './migrations';

runMigrationsCommand('case-lifecycle', SCHEMA, migrations);
