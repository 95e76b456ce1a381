// The operator's partners and keys (issue 15) on the stack: list, read, change and deactivate partners;
// several keys per partner, listed without the key, revoked at once (in another gateway replica too),
// rotated with overlap; a partner's own keys under /me/keys; and the operator audit log of every write.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { pollUntil, startStack, type RunningStack } from '@pp/testing';
import { TTL_MS } from '../src/app/partner-keys';
import { ADMIN, client, newCase, newPartner, pay, startExtraGateway, type Json } from './rest-harness';

let stack: RunningStack;
const call = client(() => stack.gatewayUrl);
const extras: { stop(): Promise<void> }[] = [];
const UNKNOWN = '00000000-0000-4000-8000-000000000000';

beforeAll(async () => {
  stack = await startStack({ databaseUrl: inject('databaseUrl'), kafkaBrokers: inject('kafkaBrokers'), env: { ADMIN_API_KEY: ADMIN } });
});

afterAll(async () => {
  await Promise.all(extras.map((g) => g.stop()));
  await stack?.stop();
});

const types = (body: Json) => (body.businessErrors as { type: string; field?: string }[]).map((e) => `${e.type}:${e.field ?? ''}`);

describe('partners, for the operator', () => {
  it('lists partners page by page, reads one, and answers 404 for an unknown or malformed id', async () => {
    const made = [await newPartner(call, 'List A'), await newPartner(call, 'List B'), await newPartner(call, 'List C')];
    const first = await call('GET', '/admin/partners?PageSize=2', { key: ADMIN });
    expect(first.status).toBe(200);
    expect(first.body.page).toMatchObject({ pageSize: 2, currentPage: 1, responseCount: 2 });
    expect(first.body.page.totalPages).toBe(Math.ceil(first.body.page.totalResults / 2));
    const all: Json[] = [];
    for (let page = 1; page <= first.body.page.totalPages; page++) {
      const r = await call('GET', `/admin/partners?Page=${page}&PageSize=2`, { key: ADMIN });
      all.push(...(r.body.partners as Json[]));
    }
    expect(all.length).toBe(first.body.page.totalResults);
    expect(new Set(all.map((p) => p.id)).size).toBe(all.length);
    for (const p of made) expect(all.map((x) => x.id)).toContain(p.id);

    const one = await call('GET', `/admin/partners/${made[0]!.id}`, { key: ADMIN });
    expect(one.body).toEqual({
      id: made[0]!.id,
      companyName: made[0]!.companyName,
      officeEmail: made[0]!.officeEmail,
      preLegalRevenueShare: 0.4,
      legalRevenueShare: 0.2,
      active: true,
      createdAt: expect.stringMatching(/Z$/),
      updatedAt: expect.stringMatching(/Z$/),
    });
    expect(JSON.stringify(one.body)).not.toContain(made[0]!.apiKey);
    for (const id of [UNKNOWN, 'not-a-uuid']) {
      const missing = await call('GET', `/admin/partners/${id}`, { key: ADMIN });
      expect(missing.status).toBe(404);
      expect(missing.body.error).toBe('PartnerNotFound');
    }
    expect((await call('GET', '/admin/partners?Page=0', { key: ADMIN })).status).toBe(400);
    expect((await call('GET', '/admin/partners?PageSize=101', { key: ADMIN })).status).toBe(400);
    expect((await call('GET', '/admin/partners', { key: made[0]!.apiKey })).status).toBe(403);
  });

  it('changes only the fields sent; new shares apply to cases created afterwards; bad fields answer 400 and change nothing', async () => {
    const partner = await newPartner(call, 'Patch');
    const before = await newCase(call, partner.id, { successFee: 50 });
    const changed = await call('PATCH', `/admin/partners/${partner.id}`, {
      key: ADMIN,
      body: { companyName: 'Renamed Ltd', preLegalRevenueShare: 0.5 },
    });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ companyName: 'Renamed Ltd', officeEmail: partner.officeEmail, preLegalRevenueShare: 0.5, legalRevenueShare: 0.2 });
    // the partner's own view follows at once, though its key was authenticated (and remembered) before
    expect((await call('GET', '/me', { key: partner.apiKey })).body).toMatchObject({ companyName: 'Renamed Ltd', preLegalRevenueShare: 0.5 });

    const after = await newCase(call, partner.id, { successFee: 50 });
    const old = await pay(call, partner.apiKey, before.id, { paymentAmount: 100 });
    const fresh = await pay(call, partner.apiKey, after.id, { paymentAmount: 100 });
    expect(old.body.platformFee).toBe(20); // 50 commission × 0.4, the share the case was created with
    expect(fresh.body.platformFee).toBe(25); // 50 × 0.5

    const bad = await call('PATCH', `/admin/partners/${partner.id}`, {
      key: ADMIN,
      body: { companyName: '', officeEmail: 'nope', legalRevenueShare: 1.5, active: 'no' },
    });
    expect(bad.status).toBe(400);
    expect(types(bad.body).sort()).toEqual([
      'ValidationError:active',
      'ValidationError:companyName',
      'ValidationError:legalRevenueShare',
      'ValidationError:officeEmail',
    ]);
    expect((await call('GET', `/admin/partners/${partner.id}`, { key: ADMIN })).body).toMatchObject({
      companyName: 'Renamed Ltd',
      legalRevenueShare: 0.2,
      active: true,
    });
    expect((await call('PATCH', `/admin/partners/${UNKNOWN}`, { key: ADMIN, body: { active: false } })).status).toBe(404);
    expect((await call('PATCH', `/admin/partners/${partner.id}`, { key: ADMIN, raw: '{"active": ' })).status).toBe(400);
  });

  it('deactivation stops every key of the partner at once and keeps its data; reactivation lets the live keys in again', async () => {
    const partner = await newPartner(call, 'Deactivate');
    const c = await newCase(call, partner.id);
    expect((await pay(call, partner.apiKey, c.id)).status).toBe(200);
    const second = await call('POST', `/admin/partners/${partner.id}/keys`, { key: ADMIN });
    expect((await call('GET', '/me', { key: second.body.apiKey })).status).toBe(200);

    const off = await call('PATCH', `/admin/partners/${partner.id}`, { key: ADMIN, body: { active: false } });
    expect(off.body.active).toBe(false);
    for (const key of [partner.apiKey, second.body.apiKey]) {
      const refused = await call('GET', `/cases/${c.id}`, { key });
      expect(refused.status).toBe(401);
      expect(refused.body).toMatchObject({ status: 401 });
    }
    // its data stays: the operator still sees the partner, and after reactivation the partner its case and payment
    expect((await call('GET', `/admin/partners/${partner.id}`, { key: ADMIN })).body.active).toBe(false);
    await call('PATCH', `/admin/partners/${partner.id}`, { key: ADMIN, body: { active: true } });
    const payments = await call('GET', `/cases/${c.id}/payments`, { key: partner.apiKey });
    expect(payments.status).toBe(200);
    expect(payments.body).toHaveLength(1);
  });
});

describe('API keys', () => {
  it('creates, lists (never the key) and revokes keys; rotation with overlap keeps the partner working throughout', async () => {
    const partner = await newPartner(call, 'Rotate');
    const c = await newCase(call, partner.id);
    const listed = await call('GET', `/admin/partners/${partner.id}/keys`, { key: ADMIN });
    expect(listed.status).toBe(200);
    expect(listed.body).toHaveLength(1);
    const oldKey = listed.body[0];
    expect(oldKey).toEqual({ id: expect.any(String), prefix: partner.apiKey.slice(0, 10), createdAt: expect.stringMatching(/Z$/), lastUsedAt: null });

    const created = await call('POST', `/admin/partners/${partner.id}/keys`, { key: ADMIN });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: expect.any(String),
      prefix: created.body.apiKey.slice(0, 10),
      createdAt: expect.any(String),
      lastUsedAt: null,
      apiKey: expect.stringMatching(/^pk_/),
    });
    // both keys work during the overlap
    expect((await pay(call, partner.apiKey, c.id)).status).toBe(200);
    expect((await pay(call, created.body.apiKey, c.id)).status).toBe(200);
    const both = await call('GET', `/admin/partners/${partner.id}/keys`, { key: ADMIN });
    expect(both.body.map((k: Json) => k.id)).toEqual([oldKey.id, created.body.id]);
    expect(both.body.every((k: Json) => typeof k.lastUsedAt === 'string')).toBe(true);
    expect(JSON.stringify(both.body)).not.toContain(partner.apiKey);
    expect(JSON.stringify(both.body)).not.toContain(created.body.apiKey);

    const revoked = await call('DELETE', `/admin/partners/${partner.id}/keys/${oldKey.id}`, { key: ADMIN });
    expect(revoked.status).toBe(204);
    expect((await call('GET', '/me', { key: partner.apiKey })).status).toBe(401);
    expect((await pay(call, created.body.apiKey, c.id)).status).toBe(200);
    expect((await call('GET', `/admin/partners/${partner.id}/keys`, { key: ADMIN })).body.map((k: Json) => k.id)).toEqual([created.body.id]);
    // revoked already, of another partner, unknown, malformed: 404
    const other = await newPartner(call, 'Other');
    for (const path of [
      `/admin/partners/${partner.id}/keys/${oldKey.id}`,
      `/admin/partners/${other.id}/keys/${created.body.id}`,
      `/admin/partners/${partner.id}/keys/${UNKNOWN}`,
      `/admin/partners/${partner.id}/keys/nope`,
    ]) {
      const r = await call('DELETE', path, { key: ADMIN });
      expect(r.status, path).toBe(404);
      expect(r.body.error).toBe('NotFound');
    }
    expect((await call('POST', `/admin/partners/${UNKNOWN}/keys`, { key: ADMIN })).status).toBe(404);
    expect((await call('GET', `/admin/partners/${UNKNOWN}/keys`, { key: ADMIN })).status).toBe(404);
    expect((await call('POST', `/admin/partners/${partner.id}/keys`, { key: created.body.apiKey })).status).toBe(403);
  });

  it('a partner rotates its own keys under /me/keys, cannot revoke the key it calls with, and never sees another partner’s keys', async () => {
    const partner = await newPartner(call, 'Self');
    const other = await newPartner(call, 'Neighbour');
    const mine = await call('GET', '/me/keys', { key: partner.apiKey });
    expect(mine.status).toBe(200);
    expect(mine.body).toHaveLength(1);
    const created = await call('POST', '/me/keys', { key: partner.apiKey });
    expect(created.status).toBe(201);
    const self = await call('DELETE', `/me/keys/${mine.body[0].id}`, { key: partner.apiKey });
    expect(self.status).toBe(400);
    expect(types(self.body)).toEqual(['ValidationError:keyId']);
    expect((await call('GET', '/me', { key: partner.apiKey })).status).toBe(200);
    // the neighbour's key is not ours to list or revoke
    const theirs = (await call('GET', '/me/keys', { key: other.apiKey })).body[0];
    expect((await call('DELETE', `/me/keys/${theirs.id}`, { key: partner.apiKey })).status).toBe(404);
    expect((await call('GET', '/me', { key: other.apiKey })).status).toBe(200);
    // revoke the old key with the new one
    expect((await call('DELETE', `/me/keys/${mine.body[0].id}`, { key: created.body.apiKey })).status).toBe(204);
    expect((await call('GET', '/me', { key: partner.apiKey })).status).toBe(401);
    expect((await call('GET', '/me/keys', { key: created.body.apiKey })).body.map((k: Json) => k.id)).toEqual([created.body.id]);
  });

  it('a key revoked through one gateway replica stops in another that had just authenticated it, well before its cache period ends', async () => {
    const gateway = await startExtraGateway(stack, inject('databaseUrl'), { ADMIN_API_KEY: ADMIN });
    extras.push(gateway);
    const other = client(() => gateway.url);
    const partner = await newPartner(call, 'Replica');
    const keyId = (await call('GET', '/me/keys', { key: partner.apiKey })).body[0].id;
    expect((await other('GET', '/me', { key: partner.apiKey })).status).toBe(200); // now remembered by the other replica
    const revokedAt = Date.now();
    expect((await call('DELETE', `/admin/partners/${partner.id}/keys/${keyId}`, { key: ADMIN })).status).toBe(204);
    // the other replica hears the revocation (LISTEN/NOTIFY), rather than waiting out its cache period
    await pollUntil(async () => (await other('GET', '/me', { key: partner.apiKey })).status === 401, {
      timeoutMs: TTL_MS - 2_000,
      what: 'the other replica to refuse the revoked key',
    });
    expect(Date.now() - revokedAt).toBeLessThan(TTL_MS);
  });
});

describe('operator audit log', () => {
  it('records every operator write with who, what and the answer; reads are not recorded; it pages and filters by target', async () => {
    const partner = await newPartner(call, 'Audited');
    await call('PATCH', `/admin/partners/${partner.id}`, { key: ADMIN, body: { officeEmail: 'new@example.test' } });
    const key = await call('POST', `/admin/partners/${partner.id}/keys`, { key: ADMIN });
    await call('DELETE', `/admin/partners/${partner.id}/keys/${key.body.id}`, { key: ADMIN });
    await call('PATCH', `/admin/partners/${partner.id}`, { key: ADMIN, body: { legalRevenueShare: 7 } }); // refused: recorded with its 400
    await call('GET', `/admin/partners/${partner.id}`, { key: ADMIN });

    const forPartner = await call('GET', `/admin/audit?targetId=${partner.id}`, { key: ADMIN });
    expect(forPartner.status).toBe(200);
    const entries = forPartner.body.entries as Json[];
    expect(entries.map((e) => [e.operation, e.method, e.status])).toEqual([
      ['updatePartner', 'PATCH', 400],
      ['updatePartner', 'PATCH', 200],
      ['createPartner', 'POST', 201],
    ]);
    const created = entries.at(-1)!;
    expect(created).toMatchObject({ path: '/admin/partners', targetId: partner.id, operatorKeyId: expect.stringMatching(/^op_[0-9a-f]{12}$/) });
    expect(JSON.parse(created.request)).toMatchObject({ companyName: partner.companyName });
    expect(JSON.stringify(forPartner.body)).not.toContain(partner.apiKey); // the answer (with the key) is not kept
    expect(JSON.stringify(forPartner.body)).not.toContain(ADMIN);
    const forKey = await call('GET', `/admin/audit?targetId=${key.body.id}`, { key: ADMIN });
    expect(forKey.body.entries.map((e: Json) => [e.operation, e.status])).toEqual([
      ['revokePartnerKey', 204],
      ['createPartnerKey', 201],
    ]);

    const page = await call('GET', '/admin/audit?PageSize=2', { key: ADMIN });
    expect(page.body.page).toMatchObject({ pageSize: 2, currentPage: 1, responseCount: 2 });
    expect(page.body.page.totalResults).toBeGreaterThanOrEqual(6);
    expect((await call('GET', '/admin/audit?targetId=nope', { key: ADMIN })).status).toBe(400);
    expect((await call('GET', '/admin/audit', { key: partner.apiKey })).status).toBe(403);
  });
});
