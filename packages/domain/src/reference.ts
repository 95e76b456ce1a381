// Case references: 8 characters of [A-Z0-9]; randomness is injected so the rule stays pure.
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

export function caseReference(randomBytes: (n: number) => Uint8Array): string {
  let out = '';
  // rejection sampling keeps every character equally likely (252 = 7 × 36)
  while (out.length < 8) {
    for (const byte of randomBytes(16)) {
      if (byte < 252 && out.length < 8) out += ALPHABET[byte % 36];
    }
  }
  return out;
}

export function isCaseReference(value: string): boolean {
  return /^[A-Z0-9]{8}$/.test(value);
}
