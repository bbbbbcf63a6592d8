import { createHash } from 'node:crypto';

export const SPLITS = ['train', 'validation', 'test'] as const;
export type Split = (typeof SPLITS)[number];

export interface SplitOptions {
  seed: string | number;
  /** Shares of validation and test; the rest is train. */
  validation: number;
  test?: number;
}

/**
 * The side a record falls on, from a hash of the seed and its id alone: the
 * same id with the same seed and ratios lands on the same side in every
 * version, whatever else the version holds.
 */
export function assignSplit(id: string, { seed, validation, test = 0 }: SplitOptions): Split {
  if (validation < 0 || test < 0 || validation + test >= 1) throw new Error(`validation (${validation}) and test (${test}) shares must be ≥ 0 and leave some for train`);
  const u = unitHash(`${seed}\u0000${id}`);
  if (u < validation) return 'validation';
  if (u < validation + test) return 'test';
  return 'train';
}

/** A uniform number in [0, 1) from the first 52 bits of sha256. */
export function unitHash(text: string): number {
  const digest = createHash('sha256').update(text).digest();
  return (digest.readUInt32BE(0) * 2 ** 20 + (digest.readUInt32BE(4) >>> 12)) / 2 ** 52;
}
