// Authenticated partner keys, remembered briefly so that a partner's requests do not each look its key
// up in PostgreSQL (one round trip per request, most of the gateway's database work on the payment
// path). Only keys that were found are kept; an unknown key is always looked up again (and limited
// per address). Partners and keys cannot be changed or revoked today; whatever adds that (issue 15)
// must call `forget` in every replica (or shorten TTL_MS) so that a revoked key stops at once.
import type { PartnerRow } from '../infra/gateway.queries';

export const TTL_MS = 10_000;

export class PartnerKeyCache {
  private readonly byHash = new Map<string, { partner: PartnerRow; until: number }>();

  constructor(
    private readonly max = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** The partner of `keyHash`, from memory while fresh, else from `load` (remembered when found). */
  async lookup(keyHash: string, load: () => Promise<PartnerRow | undefined>): Promise<PartnerRow | undefined> {
    const hit = this.byHash.get(keyHash);
    if (hit && hit.until > this.now()) return hit.partner;
    const partner = await load();
    this.byHash.delete(keyHash);
    if (partner) {
      this.byHash.set(keyHash, { partner, until: this.now() + TTL_MS });
      if (this.byHash.size > this.max) this.byHash.delete(this.byHash.keys().next().value!);
    }
    return partner;
  }

  forget(keyHash: string): void {
    this.byHash.delete(keyHash);
  }
}
