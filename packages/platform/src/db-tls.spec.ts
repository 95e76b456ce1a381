// TLS to PostgreSQL is configured in DATABASE_URL alone (sslmode, sslrootcert, sslcert, sslkey), as
// node-postgres reads them: the pool we build must hand the connection string to pg untouched. The
// settings below are what pg's Client makes of our pool's settings, as the pool's connections do.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createDb } from './db';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pp-tls-'));
const file = (name: string, text: string) => {
  const p = path.join(dir, name);
  fs.writeFileSync(p, text);
  return p;
};
const ca = file('ca.pem', '-----BEGIN CERTIFICATE-----\nthe CA\n-----END CERTIFICATE-----\n');
const cert = file('client.pem', '-----BEGIN CERTIFICATE-----\nthe client\n-----END CERTIFICATE-----\n');
const key = file('client.key', '-----BEGIN PRIVATE KEY-----\nthe key\n-----END PRIVATE KEY-----\n');

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

interface Params {
  host: string;
  port: number;
  user: string;
  database: string;
  ssl: false | { ca?: string; cert?: string; key?: string; rejectUnauthorized?: boolean };
}

/** What a connection of the pool built from `url` would use. */
async function connectionOf(url: string): Promise<Params> {
  const db = createDb({ kind: 'pg', url });
  try {
    const settings = (db.client as { connectionSettings: pg.ClientConfig }).connectionSettings;
    return (new pg.Client(settings) as unknown as { connectionParameters: Params }).connectionParameters;
  } finally {
    await db.destroy();
  }
}

describe('PostgreSQL TLS from DATABASE_URL', () => {
  it('sslmode=verify-full with sslrootcert: TLS that verifies the server against that CA', async () => {
    const p = await connectionOf(`postgres://pp_ledger:s3cret@db.example.internal:5433/partner_payments?sslmode=verify-full&sslrootcert=${ca}`);
    expect(p).toMatchObject({ host: 'db.example.internal', port: 5433, user: 'pp_ledger', database: 'partner_payments' });
    expect(p.ssl).toMatchObject({ ca: fs.readFileSync(ca, 'utf8') });
    // verification stays on (Node's default): nothing turned it off
    expect(p.ssl && p.ssl.rejectUnauthorized).not.toBe(false);
  });

  it('client certificates: sslcert and sslkey', async () => {
    const p = await connectionOf(`postgres://pp_ledger@db.example.internal/pp?sslmode=verify-full&sslrootcert=${ca}&sslcert=${cert}&sslkey=${key}`);
    expect(p.ssl).toMatchObject({ ca: fs.readFileSync(ca, 'utf8'), cert: fs.readFileSync(cert, 'utf8'), key: fs.readFileSync(key, 'utf8') });
  });

  it('sslmode=no-verify encrypts without verifying; sslmode=disable and no sslmode use no TLS', async () => {
    expect((await connectionOf('postgres://u@db.example.internal/pp?sslmode=no-verify')).ssl).toMatchObject({ rejectUnauthorized: false });
    expect((await connectionOf('postgres://u@db.example.internal/pp?sslmode=disable')).ssl).toBe(false);
    expect((await connectionOf('postgres://u@db.example.internal/pp')).ssl).toBeFalsy();
  });
});
