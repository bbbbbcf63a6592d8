import type { Identity } from '@llmp/contracts';
import type { KnowledgeSource, Passage } from '../ingestion-client';

/** The one passage of a knowledge base about tides (`kb_sea`). */
export const tides: Passage = {
  chunkId: 'chk_1',
  text: 'Spring tides happen when the sun and the moon line up, twice a month.',
  score: 0.91,
  citation: {
    documentId: 'doc_tides',
    knowledgeBaseId: 'kb_sea',
    title: 'Tides',
    filename: 'tides.md',
    page: 3,
    pageEnd: 3,
    heading: 'Spring tides',
    startOffset: 0,
    endOffset: 70,
    score: 0.91,
  },
};

/** A knowledge source in place of document ingestion: `kb_sea`, readable by everyone, answers every search with `tides`. */
export const seaKnowledge: KnowledgeSource = {
  canRead: async (_identity: Identity, id: string) => id === 'kb_sea',
  search: async () => [tides],
};
