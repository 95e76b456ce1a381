// The gateway's cache of a case's currency (it never changes once the case exists), keyed by the
// owning partner too: a hit is only ever a case of the caller, so the cache can never answer for a
// case another partner owns. Bounded: past `max` entries the oldest is dropped.
export class CaseCurrencies {
  private readonly byCase = new Map<string, string>();

  constructor(private readonly max = 100_000) {}

  get(partnerId: string, caseId: string): string | undefined {
    return this.byCase.get(`${partnerId}/${caseId}`);
  }

  set(partnerId: string, caseId: string, currency: string): void {
    const key = `${partnerId}/${caseId}`;
    this.byCase.delete(key);
    this.byCase.set(key, currency);
    if (this.byCase.size > this.max) this.byCase.delete(this.byCase.keys().next().value!);
  }

  delete(partnerId: string, caseId: string): void {
    this.byCase.delete(`${partnerId}/${caseId}`);
  }
}
