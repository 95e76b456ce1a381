// Partners and their API keys (SPEC §2, issue 15): creation, change, deactivation, and several keys per
// partner so that a key can be rotated with overlap (create the new one, move over, revoke the old).
// Keys are shown once and kept as SHA-256 only. Whatever stops a key (revocation, deactivation) is
// forgotten by this replica's cache and announced to the others in the same transaction.
import { DomainError } from '@pp/domain';
import type { Db } from '@pp/platform';
import { randomUUID } from 'node:crypto';
import { announce, applyChange, type KeyChange } from '../infra/key-announcements';
import * as q from '../infra/partners.queries';
import { hashApiKey, newApiKey } from './auth';
import type { PartnerKeyCache } from './partner-keys';

/** How many characters of a key its listing shows: `pk_` and 7 of its 43 random ones. */
const PREFIX_LENGTH = 10;

export interface NewPartner {
  readonly companyName: string;
  readonly officeEmail: string;
  readonly preLegalSharePpm: bigint;
  readonly legalSharePpm: bigint;
}

export interface PartnerChanges {
  readonly companyName?: string;
  readonly officeEmail?: string;
  readonly preLegalSharePpm?: bigint;
  readonly legalSharePpm?: bigint;
  readonly active?: boolean;
}

export interface IssuedKey extends q.ApiKeyRow {
  /** the key itself: shown this once */
  readonly apiKey: string;
}

export class Partners {
  constructor(
    private readonly db: Db,
    private readonly keys: PartnerKeyCache,
  ) {}

  async create(partner: NewPartner): Promise<{ partner: q.PartnerAccountRow; key: IssuedKey }> {
    return this.db.transaction(async (trx) => {
      const id = randomUUID();
      await q.insertPartner(trx, {
        id,
        company_name: partner.companyName,
        office_email: partner.officeEmail,
        pre_legal_share_ppm: partner.preLegalSharePpm.toString(),
        legal_share_ppm: partner.legalSharePpm.toString(),
      });
      const key = await issue(trx, id);
      return { partner: (await q.findPartner(trx, id))!, key };
    });
  }

  async get(id: string): Promise<q.PartnerAccountRow> {
    const partner = await q.findPartner(this.db, id);
    if (!partner) throw partnerNotFound();
    return partner;
  }

  /** Changes apply to what comes after: revenue shares to cases created from now on (a case keeps the shares it was created with). */
  async change(id: string, changes: PartnerChanges): Promise<q.PartnerAccountRow> {
    const changed = await this.db.transaction(async (trx) => {
      if (!(await q.lockPartner(trx, id))) throw partnerNotFound();
      const row = await q.updatePartner(trx, id, {
        ...(changes.companyName !== undefined ? { company_name: changes.companyName } : {}),
        ...(changes.officeEmail !== undefined ? { office_email: changes.officeEmail } : {}),
        ...(changes.preLegalSharePpm !== undefined ? { pre_legal_share_ppm: changes.preLegalSharePpm.toString() } : {}),
        ...(changes.legalSharePpm !== undefined ? { legal_share_ppm: changes.legalSharePpm.toString() } : {}),
        ...(changes.active !== undefined ? { active: changes.active } : {}),
      });
      // Authenticated requests carry the partner's row (profile, shares): every replica reloads it.
      await announce(trx, { partnerId: id });
      return row!;
    });
    this.forget({ partnerId: id });
    return changed;
  }

  async keysOf(partnerId: string): Promise<q.ApiKeyRow[]> {
    await this.get(partnerId);
    return q.listKeys(this.db, partnerId);
  }

  async issueKey(partnerId: string): Promise<IssuedKey> {
    return this.db.transaction(async (trx) => {
      if (!(await q.lockPartner(trx, partnerId))) throw partnerNotFound();
      return issue(trx, partnerId);
    });
  }

  /** Revokes a live key of the partner at once. `except` is the key of the request: a partner cannot lock itself out with it. */
  async revokeKey(partnerId: string, keyId: string, except?: string): Promise<void> {
    if (keyId === except) {
      throw new DomainError('ValidationError', 'keyId: a key cannot revoke itself; create a new key, then revoke this one with the new key', 'keyId');
    }
    const hash = await this.db.transaction(async (trx) => {
      if (!(await q.lockPartner(trx, partnerId))) throw partnerNotFound();
      const revoked = await q.revokeKey(trx, partnerId, keyId);
      if (!revoked) throw new DomainError('NotFound', 'No such API key (revoked already, or of another partner)');
      await announce(trx, { keyHash: revoked });
      return revoked;
    });
    this.forget({ keyHash: hash });
  }

  private forget(change: KeyChange): void {
    applyChange(this.keys, change);
  }
}

async function issue(trx: Parameters<typeof q.insertKey>[0], partnerId: string): Promise<IssuedKey> {
  const apiKey = newApiKey();
  const row = await q.insertKey(trx, { id: randomUUID(), partner_id: partnerId, key_hash: hashApiKey(apiKey), prefix: apiKey.slice(0, PREFIX_LENGTH) });
  return { ...row, apiKey };
}

const partnerNotFound = () => new DomainError('PartnerNotFound', 'No such partner');
