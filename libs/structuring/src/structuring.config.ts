import { z } from '@llmp/config';
import { DEFAULT_MAX_LINE_BYTES } from './records/dataset-reader';

/** The variables of data-structuring beside the shared service ones. */
export const structuringEnv = z.object({
  /** Where the document-ingestion service answers; builders read knowledge-base chunks from it. */
  LLMP_INGESTION_URL: z.string().url('must be a URL such as http://document-ingestion:3000').default('http://127.0.0.1:3001'),
  /** A line (or JSON array element) of an upload larger than this is rejected; the rest of the file is kept. */
  LLMP_DATASET_MAX_LINE_BYTES: z.coerce.number().int('must be a whole number of bytes').min(1024, 'must be at least 1024 (bytes)').default(DEFAULT_MAX_LINE_BYTES),
  /** Knowledge-base builds this process runs at once; 0 runs the API only. */
  LLMP_DATASET_BUILD_WORKERS: z.coerce.number().int().min(0, 'must be 0 or more').default(1),
});
export type StructuringEnv = z.infer<typeof structuringEnv>;
