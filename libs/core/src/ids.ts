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

const RANDOM_BITS = 80n;
/** The last id's time and random part: ids made in the same millisecond count up from it. */
let last = { time: -1, random: 0n };

/**
 * Prefixed ids that sort by creation time (`doc_01j…`): 48 bits of milliseconds
 * then 80 random bits, Crockford base32, like ULIDs. Within one millisecond
 * the random part of the last id counts up (as ULID's monotonic ids do), so
 * rows written one after another in a process sort in that order.
 */
export function newId(prefix: string, now: number = Date.now()): string {
  const counted = now === last.time && last.random + 1n < 1n << RANDOM_BITS;
  const random = counted ? last.random + 1n : BigInt('0x' + randomBytes(10).toString('hex'));
  last = { time: now, random };
  return `${prefix}_${encodeBase32(BigInt(now), 10)}${encodeBase32(random, 16)}`;
}

export function isId(prefix: string, value: string): boolean {
  return new RegExp(`^${prefix}_[${ALPHABET}]{26}$`).test(value);
}
