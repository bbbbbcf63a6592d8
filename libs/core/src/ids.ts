import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

function encodeBase32(value: bigint, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) {
    out = ALPHABET[Number(value & 31n)] + out;
    value >>= 5n;
  }
  return out;
}

/**
 * Prefixed ids that sort by creation time (`doc_01j…`): 48 bits of milliseconds
 * then 80 random bits, Crockford base32, like ULIDs.
 */
export function newId(prefix: string, now: number = Date.now()): string {
  const time = encodeBase32(BigInt(now), 10);
  const random = encodeBase32(BigInt('0x' + randomBytes(10).toString('hex')), 16);
  return `${prefix}_${time}${random}`;
}

export function isId(prefix: string, value: string): boolean {
  return new RegExp(`^${prefix}_[${ALPHABET}]{26}$`).test(value);
}
