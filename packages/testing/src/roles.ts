// A fresh database with the two roles of a least-privilege install (deploy/README.md): an owner that
// may create schemas in it (what the migrate Jobs log in as) and a runtime role with nothing granted
// yet (what the services log in as). Role names are unique per call; drop() removes the database, then
// both roles.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createDatabase, dropDatabase } from './infra';

export interface TwoRoleDatabase {
  readonly name: string;
  readonly ownerRole: string;
  readonly runtimeRole: string;
  /** the schema owner's connection (MIGRATION_DATABASE_URL) */
  readonly ownerUrl: string;
  /** the runtime role's connection (DATABASE_URL of the services) */
  readonly runtimeUrl: string;
  drop(): Promise<void>;
}

async function asAdmin(adminUrl: string, statements: string[]): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    for (const sql of statements) await client.query(sql);
  } finally {
    await client.end();
  }
}

/** `adminUrl`: a superuser's connection (any database of the server). */
export async function createTwoRoleDatabase(adminUrl: string, prefix = 'pp_roles'): Promise<TwoRoleDatabase> {
  const id = `${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const name = `${prefix}_${id}`;
  const ownerRole = `${prefix}_owner_${id}`;
  const runtimeRole = `${prefix}_app_${id}`;
  const password = randomBytes(12).toString('hex'); // hex: nothing to encode in a URL
  await createDatabase(adminUrl, name);
  await asAdmin(adminUrl, [
    `CREATE ROLE ${ownerRole} LOGIN PASSWORD '${password}'`,
    `CREATE ROLE ${runtimeRole} LOGIN PASSWORD '${password}'`,
    // As deploy/README.md advises: no CONNECT or TEMP for every role, so the runtime role has only what is granted.
    `REVOKE ALL ON DATABASE ${name} FROM PUBLIC`,
    `GRANT CONNECT, CREATE ON DATABASE ${name} TO ${ownerRole}`,
    `GRANT CONNECT ON DATABASE ${name} TO ${runtimeRole}`,
  ]);
  const urlAs = (role: string) => {
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    url.username = role;
    url.password = password;
    return url.toString();
  };
  return {
    name,
    ownerRole,
    runtimeRole,
    ownerUrl: urlAs(ownerRole),
    runtimeUrl: urlAs(runtimeRole),
    // The grants and default privileges live in the database: once it is gone the roles own nothing.
    drop: async () => {
      await dropDatabase(adminUrl, name);
      await asAdmin(adminUrl, [`DROP ROLE IF EXISTS ${runtimeRole}`, `DROP ROLE IF EXISTS ${ownerRole}`]);
    },
  };
}
