import { recordText, type DatasetRecord } from '../records/record';
import { countingPass, type CleaningPass } from './cleaning-pass';

export interface LengthFilterOptions {
  minChars?: number;
  maxChars?: number;
  minTokens?: number;
  maxTokens?: number;
  /** Needed for the token bounds: the target model's counter. */
  countTokens?: (record: DatasetRecord) => number;
}

/** Keeps records whose total text length, in characters and tokens, lies within the bounds given. */
export function createLengthFilterPass(options: LengthFilterOptions): CleaningPass {
  const { minChars = 0, maxChars = Infinity, minTokens = 0, maxTokens = Infinity, countTokens } = options;
  const byTokens = minTokens > 0 || maxTokens < Infinity;
  if (byTokens && !countTokens) throw new Error('a length filter on tokens needs a token counter');
  const params: Record<string, unknown> = {};
  for (const [key, value] of Object.entries({ minChars, maxChars, minTokens, maxTokens })) {
    if (value !== 0 && value !== Infinity) params[key] = value;
  }
  return countingPass('length-filter', params, (record) => {
    const chars = recordText(record).length;
    if (chars < minChars || chars > maxChars) return null;
    if (byTokens) {
      const tokens = countTokens!(record);
      if (tokens < minTokens || tokens > maxTokens) return null;
    }
    return record;
  });
}
