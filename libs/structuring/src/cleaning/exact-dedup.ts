import { countingPass, preparedResults, type CleaningPass } from './cleaning-pass';
import { contentHash } from './normalize';

/** Drops records whose normalized content was already seen; memory is one short hash per kept record. */
export function createExactDedupPass(): CleaningPass {
  const seen = new Set<string>();
  const prepared = preparedResults<string>('content-hash', {});
  return countingPass(
    'exact-dedup',
    { normalization: 'NFKC, lower case, collapsed whitespace', hash: 'sha1/96' },
    (record) => {
      const hash = prepared.take(record)?.value ?? contentHash(record);
      if (seen.has(hash)) return null;
      seen.add(hash);
      return record;
    },
    undefined,
    prepared,
  );
}
