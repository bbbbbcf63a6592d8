import type { Caller, SearchHit, SearchRequest, SearchResponse } from '@llmp/contracts';
import { unavailable } from '@llmp/core';
import { EmbedderError } from '../embedding/embedder';
import type { EmbedderCatalog } from '../embedding/embedder-catalog';
import type { KnowledgeBaseAccess } from '../knowledge-bases/knowledge-base-access';
import type { KnowledgeBaseSettings } from '../knowledge-bases/knowledge-base.store';
import type { VectorMatch, VectorStore } from '../vector-store/vector-store';
import { bm25, FUSION_METHOD, fusionWeights, hasFilters, reciprocalRankFusion, RRF_K, scoreFusion } from './search';
import type { SearchStore } from './search.store';

export interface SearchServiceDeps {
  store: SearchStore;
  vectors: VectorStore;
  embedders: EmbedderCatalog;
  access: KnowledgeBaseAccess;
}

/** Filters naming more documents than this are applied after the vector search instead of inside it. */
const MAX_PREFILTER_DOCUMENTS = 2000;

/** Chunks that BM25F scores, taken from the lexical matches in `ts_rank` order. */
const BM25_CANDIDATES = 100;

/** Knowledge bases whose embedders share this key share the query's vector. */
const embedderKey = (kb: KnowledgeBaseSettings) => `${kb.embedder.name}/${kb.embedder.dimension}`;

const roundScore = (score: number | undefined) => (score === undefined ? null : Math.round(score * 1e6) / 1e6);

export type SearchService = ReturnType<typeof createSearchService>;

/**
 * Hybrid retrieval: vector similarity in each knowledge base's collection
 * and BM25F over Postgres full-text lexemes, fused by their normalised scores
 * (or by reciprocal rank) with weights that depend on the embedder.
 * Each half can run alone. Hits are checked against the chunks table, so
 * vectors of deleted or half-written documents never surface.
 */
export function createSearchService({ store, vectors, embedders, access }: SearchServiceDeps) {
  /** An embedder that cannot run (its model gone, its server down) makes vector search unavailable, not a server error. */
  async function embedQuery(kb: KnowledgeBaseSettings, query: string): Promise<number[]> {
    try {
      const [vector] = await embedders.resolve(kb.embedder).embed([query], { purpose: 'query' });
      return vector;
    } catch (error) {
      if (!(error instanceof EmbedderError)) throw error;
      throw unavailable({
        code: 'embedder_unavailable',
        message: `knowledge base ${kb.id} cannot be searched by meaning: ${error.message}; mode "fulltext" still works`,
        cause: error,
      });
    }
  }

  /**
   * The query's vector for each embedder the knowledge bases use, asked for at once: an embedder
   * that runs elsewhere (a worker thread, a server) embeds while this search's SQL runs.
   */
  function embedOnce(kbs: KnowledgeBaseSettings[], query: string): Map<string, Promise<number[]>> {
    const vectors = new Map<string, Promise<number[]>>();
    for (const kb of kbs) {
      const key = embedderKey(kb);
      if (vectors.has(key)) continue;
      const vector = embedQuery(kb, query);
      vector.catch(() => undefined);
      vectors.set(key, vector);
    }
    return vectors;
  }

  async function vectorHalf(kbs: KnowledgeBaseSettings[], queryVectors: Map<string, Promise<number[]>>, allowed: Map<string, string[]> | null, limit: number): Promise<VectorMatch[]> {
    const matches: VectorMatch[] = [];
    for (const kb of kbs) {
      const documentIds = allowed?.get(kb.id);
      if (documentIds && !documentIds.length) continue;
      const vector = await queryVectors.get(embedderKey(kb))!;
      matches.push(...(await vectors.search(kb.vectorCollection, vector, { topK: limit, documentIds })));
    }
    return matches.sort((a, b) => b.score - a.score).slice(0, limit);
  }

  /** Chunks ranked by BM25F over the query's terms; a chunk need not contain every word of a question. */
  async function fulltextHalf(request: SearchRequest, kbIds: string[], limit: number): Promise<Array<{ id: string; score: number }>> {
    const terms = await store.queryTerms(request.query);
    if (!terms.length) return [];
    const stats = await store.termStatistics(terms, kbIds);
    const matches = await store.termMatches(terms, kbIds, request.filters, BM25_CANDIDATES);
    return bm25(matches, stats).slice(0, limit);
  }

  return {
    /** Searches only knowledge bases the caller may read; one they may not is, to them, one that does not exist. */
    async search(request: SearchRequest, caller: Caller): Promise<SearchResponse> {
      const started = performance.now();
      const kbIds = [...new Set(request.knowledgeBaseIds)];
      const { topK, mode, filters } = request;
      // Room for hits that the filters or a missing chunk remove afterwards.
      const limit = Math.max(topK * 4, 20);
      // One statement at a time, on one connection; only the query's embedding overlaps them.
      // Spread over several Postgres backends at once, a search was slower, not faster, on a
      // busy machine (11 ms against 13), and slowed what shared the machine with it: an agent's
      // llama.cpp read its prompt's opening 2-4 ms slower meanwhile (2 cores, Postgres 17, bench:agents).
      const checks = await Promise.allSettled(kbIds.map((id) => access.requireSettings(id, caller, 'read', { action: `search knowledge base ${id}` })));
      // The first knowledge base in the request that fails its check is the one reported, as when checked one by one.
      const kbs = checks.map((check) => {
        if (check.status === 'rejected') throw check.reason;
        return check.value;
      });
      const queryVectors = mode === 'fulltext' ? new Map<string, Promise<number[]>>() : embedOnce(kbs, request.query);
      const allowed = hasFilters(filters) ? await store.allowedDocuments(kbIds, filters, MAX_PREFILTER_DOCUMENTS) : null;
      const textHits = mode === 'vector' ? [] : await fulltextHalf(request, kbIds, limit);
      const vectorHits = mode === 'fulltext' ? [] : await vectorHalf(kbs, queryVectors, allowed, limit);

      const vectorRank = new Map(vectorHits.map((h, i) => [h.id, { rank: i + 1, score: h.score }]));
      const textRank = new Map(textHits.map((h, i) => [h.id, { rank: i + 1, score: h.score }]));
      let ordered: Array<[string, number]>;
      let fusion: SearchResponse['fusion'] = null;
      if (mode === 'vector') ordered = vectorHits.map((h) => [h.id, h.score]);
      else if (mode === 'fulltext') ordered = textHits.map((h) => [h.id, h.score]);
      else {
        const defaults = fusionWeights(kbs.map((kb) => kb.embedder.name));
        fusion = {
          method: request.fusion.method ?? FUSION_METHOD,
          vectorWeight: request.fusion.vectorWeight ?? defaults.vector,
          fulltextWeight: request.fusion.fulltextWeight ?? defaults.fulltext,
          k: request.fusion.k ?? RRF_K,
        };
        const weights = [fusion.vectorWeight, fusion.fulltextWeight];
        const fused =
          fusion.method === 'rrf'
            ? reciprocalRankFusion([vectorHits.map((h) => h.id), textHits.map((h) => h.id)], fusion.k, weights)
            : scoreFusion([{ hits: vectorHits, normalise: 'min-max' }, { hits: textHits, normalise: 'max' }], weights);
        ordered = [...fused.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      }

      const chunks = await store.hydrate(ordered.map(([id]) => id), kbIds, filters);
      const results: SearchHit[] = [];
      for (const [id, score] of ordered) {
        const chunk = chunks.get(id);
        if (!chunk) continue;
        const rounded = roundScore(score)!;
        results.push({
          chunkId: id,
          text: chunk.text,
          score: rounded,
          citation: {
            documentId: chunk.documentId,
            knowledgeBaseId: chunk.knowledgeBaseId,
            title: chunk.title,
            filename: chunk.filename,
            page: chunk.pageStart,
            pageEnd: chunk.pageEnd,
            heading: chunk.headingPath.at(-1) ?? null,
            headingPath: chunk.headingPath,
            startOffset: chunk.start,
            endOffset: chunk.end,
            score: rounded,
          },
          ranks: { vector: vectorRank.get(id)?.rank ?? null, fulltext: textRank.get(id)?.rank ?? null },
          scores: { vector: roundScore(vectorRank.get(id)?.score), fulltext: roundScore(textRank.get(id)?.score) },
        });
        if (results.length === topK) break;
      }
      return { query: request.query, mode, results, fusion, tookMs: Math.round((performance.now() - started) * 10) / 10 };
    },
  };
}
