// Authenticated partner keys, remembered briefly so that a partner's requests do not each look its key
// up in PostgreSQL (one round trip per request, most of the gateway's database work on the payment
// path). Only keys that were found are kept; an unknown key is always looked up again (and limited
// per address). A revoked key or a deactivated partner must stop at once in every replica: the writer
// forgets it here and announces it (./key-invalidation.ts), and while a replica cannot hear those
// announcements it does not remember anything (`trusting` false).
import type { PartnerRow } from '../infra/gateway.queries';

export const TTL_MS = 10_000;

export interface KeyOwner {
  readonly partner: PartnerRow;
  /** the id of the key that authenticated (api_keys.id) */
  readonly keyId: string;
}

export class PartnerKeyCache {
  private readonly byHash = new Map<string, { owner: KeyOwner; until: number }>();
  private readonly loading = new Map<string, Promise<KeyOwner | undefined>>();
  /** bumped by every forget: a load that started before it must not be remembered */
  private generation = 0;
  private trusting = true;

  constructor(
    private readonly max = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** The owner of `keyHash`, from memory while fresh, else from `load` (remembered when found); concurrent misses share one load. */
  lookup(keyHash: string, load: () => Promise<KeyOwner | undefined>): Promise<KeyOwner | undefined> {
    const hit = this.byHash.get(keyHash);
    if (hit && hit.until > this.now()) return Promise.resolve(hit.owner);
    const pending = this.loading.get(keyHash);
    if (pending) return pending;
    const generation = this.generation;
    const settle = () => {
      if (this.loading.get(keyHash) === loaded) this.loading.delete(keyHash);
    };
    const loaded: Promise<KeyOwner | undefined> = load().then(
      (owner) => {
        settle();
        this.byHash.delete(keyHash);
        if (owner && this.trusting && generation === this.generation) {
          this.byHash.set(keyHash, { owner, until: this.now() + TTL_MS });
          if (this.byHash.size > this.max) this.byHash.delete(this.byHash.keys().next().value!);
        }
        return owner;
      },
      (error: unknown) => {
        settle();
        throw error;
      },
    );
    this.loading.set(keyHash, loaded);
    return loaded;
  }

  forget(keyHash: string): void {
    this.generation += 1;
    this.byHash.delete(keyHash);
    this.loading.delete(keyHash);
  }

  /** Every key of the partner (deactivated, or its profile changed). */
  forgetPartner(partnerId: string): void {
    this.generation += 1;
    for (const [hash, entry] of this.byHash) if (entry.owner.partner.id === partnerId) this.byHash.delete(hash);
    this.loading.clear();
  }

  /** Whether announcements of revocations reach this replica; when not, nothing is remembered. */
  setTrusting(trusting: boolean): void {
    this.trusting = trusting;
    this.generation += 1;
    this.byHash.clear();
    this.loading.clear();
  }
}
