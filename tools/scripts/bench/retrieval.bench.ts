/**
 * Retrieval relevance benchmark (npm run bench:retrieval).
 *
 * Real third-party documentation (tools/scripts/bench/retrieval-corpus, sources and licences in
 * SOURCES.md) is uploaded to a knowledge base with the default settings through the public HTTP
 * API of the embedded ingestion service (PGlite, built-in embedder), and every question of
 * questions.json is asked in each search mode through POST /api/ingestion/search (top 10).
 * A hit is a returned chunk of the question's document whose text contains the answer phrase
 * (case and whitespace ignored). Reported: hit@1, hit@5, MRR (first hit within the top 10),
 * p50/p99 latency of the HTTP round trip, and this process's CPU time per question.
 *
 * In the same run, a baseline: the same files' text (extracted by llmp's own parsers, so both
 * are judged on the same text), split by LangChain's RecursiveCharacterTextSplitter (1000/200)
 * and searched with MiniSearch's BM25 defaults.
 *
 * BENCH_TOP_K (10) changes the depth; BENCH_CHUNKING=maxTokens/overlapTokens (the platform's default) the knowledge base's chunking;
 * BENCH_VECTOR_WEIGHTS (0,0.5,1) the extra hybrid runs with the vector weight overridden; BENCH_REPEAT (1) runs the questions several times for steadier latency.
 */
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { RecursiveCharacterTextSplitter } from '@langchain/textsplitters';
import MiniSearch from 'minisearch';
import type { DocumentType } from '@llmp/contracts';
import { createLogger, sleep } from '@llmp/core';
import { createEmbedderCatalog } from '../../../libs/ingestion/src/embedding/embedder-catalog';
import { parseDocument } from '../../../libs/ingestion/src/parsing/parse-document';
import { startBenchIngestion } from './lib/bench-ingestion';
import { percentile } from './lib/stats';

const CORPUS = path.join(__dirname, 'retrieval-corpus');
const DOCUMENTS = path.join(CORPUS, 'documents');
const TOP_K = Number(process.env['BENCH_TOP_K'] ?? 10);
const REPEAT = Number(process.env['BENCH_REPEAT'] ?? 1);
const READY_TIMEOUT_MS = 5 * 60_000;
const MODES = ['hybrid', 'vector', 'fulltext'] as const;
type Mode = (typeof MODES)[number];
/** Hybrid again with these vector weights (fusion override), to show what the embedder's default weight buys. */
/** `maxTokens/overlapTokens` for the knowledge base; unset, the platform's defaults. */
const CHUNKING = process.env['BENCH_CHUNKING']?.split('/').map(Number);
const VECTOR_WEIGHTS = (process.env['BENCH_VECTOR_WEIGHTS'] ?? '0,0.5,1').split(',').filter(Boolean).map(Number);

interface Question {
  question: string;
  document: string;
  answer: string;
}

interface Scores {
  system: string;
  'hit@1': number;
  'hit@5': number;
  MRR: number;
  'p50 ms': number;
  'p99 ms': number;
  /** CPU time of this process (server, PGlite and client together) per question: steadier than wall time on a busy machine. */
  'cpu ms/q': number | null;
}

const log = createLogger({ name: 'bench', level: 'silent' });
const progress = (message: string) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${message}\n`);
const round = (n: number, digits = 3) => Math.round(n * 10 ** digits) / 10 ** digits;
const normalize = (text: string) => text.toLowerCase().replace(/\s+/g, ' ');

const MEDIA: Record<string, { type: DocumentType; mime: string }> = {
  '.pdf': { type: 'pdf', mime: 'application/pdf' },
  '.html': { type: 'html', mime: 'text/html' },
  '.md': { type: 'markdown', mime: 'text/markdown' },
};

async function corpusFiles(): Promise<Array<{ name: string; bytes: Buffer; type: DocumentType; mime: string }>> {
  const names = (await readdir(DOCUMENTS)).filter((name) => MEDIA[path.extname(name)]).sort();
  return Promise.all(names.map(async (name) => ({ name, bytes: await readFile(path.join(DOCUMENTS, name)), ...MEDIA[path.extname(name)] })));
}

/** The rank (1-based) of the first result that is from the question's document and contains its answer, or null. */
function firstHit(results: Array<{ document: string; text: string }>, question: Question): number | null {
  const answer = normalize(question.answer);
  const index = results.findIndex((r) => r.document === question.document && normalize(r.text).includes(answer));
  return index < 0 ? null : index + 1;
}

function score(system: string, ranks: Array<number | null>, latencies: number[], cpuMs: number | null = null): Scores {
  const sorted = [...latencies].sort((a, b) => a - b);
  const n = ranks.length;
  return {
    system,
    'hit@1': round(ranks.filter((r) => r === 1).length / n),
    'hit@5': round(ranks.filter((r) => r !== null && r <= 5).length / n),
    MRR: round(ranks.reduce<number>((sum, r) => sum + (r ? 1 / r : 0), 0) / n),
    'p50 ms': round(percentile(sorted, 50), 1),
    'p99 ms': round(percentile(sorted, 99), 1),
    'cpu ms/q': cpuMs === null ? null : round(cpuMs / latencies.length, 2),
  };
}

async function llmp(files: Awaited<ReturnType<typeof corpusFiles>>, questions: Question[]): Promise<{ scores: Scores[]; misses: Map<string, Question[]> }> {
  // The platform's default: the built-in embedder at its default dimension.
  const bench = await startBenchIngestion({ log, embedders: createEmbedderCatalog(), name: 'retrieval' });
  const call = async <T>(method: 'GET' | 'POST', url: string, body?: unknown): Promise<T> => {
    const res = await bench.send(method, url, body);
    if (!res.ok) throw new Error(`${method} ${url} answered ${res.status}: ${await res.text()}`);
    return (await res.json()) as T;
  };

  try {
    const kb = await call<{ id: string; chunking: { maxTokens: number; overlapTokens: number } }>('POST', '/api/ingestion/knowledge-bases', {
      name: 'Retrieval benchmark',
      ...(CHUNKING ? { chunking: { maxTokens: CHUNKING[0], overlapTokens: CHUNKING[1] } } : {}),
    });
    progress(`llmp: chunks of at most ${kb.chunking.maxTokens} tokens with ${kb.chunking.overlapTokens} of overlap`);
    progress(`llmp: uploading ${files.length} documents over HTTP`);
    const documentIds = new Map<string, string>();
    for (const file of files) {
      const form = new FormData();
      form.append('file', new Blob([file.bytes], { type: file.mime }), file.name);
      const uploaded = await call<{ documents: Array<{ id: string }> }>('POST', `/api/ingestion/knowledge-bases/${kb.id}/documents`, form);
      documentIds.set(uploaded.documents[0].id, file.name);
    }
    const started = performance.now();
    for (const [id, name] of documentIds) {
      for (const deadline = Date.now() + READY_TIMEOUT_MS; ; ) {
        const doc = await call<{ status: string; error?: { message: string } }>('GET', `/api/ingestion/documents/${id}`);
        if (doc.status === 'ready') break;
        if (doc.status === 'failed' || doc.status === 'cancelled') throw new Error(`${name} ${doc.status}: ${doc.error?.message}`);
        if (Date.now() > deadline) throw new Error(`${name} was not ready within ${READY_TIMEOUT_MS / 1000} s (status ${doc.status})`);
        await sleep(100);
      }
    }
    progress(`llmp: all documents ready in ${round((performance.now() - started) / 1000, 1)} s`);

    // The questions must be answerable from what was indexed; a phrase no chunk holds is a broken question.
    const chunkText = new Map<string, string[]>();
    for (const [id, name] of documentIds) {
      const texts: string[] = [];
      for (let offset = 0; ; offset += 500) {
        const page = await call<{ data: Array<{ text: string }>; total: number }>('GET', `/api/ingestion/documents/${id}/chunks?limit=500&offset=${offset}`);
        texts.push(...page.data.map((c) => normalize(c.text)));
        if (offset + 500 >= page.total) break;
      }
      chunkText.set(name, texts);
    }
    const unanswerable = questions.filter((q) => !chunkText.get(q.document)?.some((t) => t.includes(normalize(q.answer))));
    if (unanswerable.length) {
      throw new Error(
        `these questions' answers are in no indexed chunk of their document:\n${unanswerable.map((q) => `  ${q.document}: "${q.question}" → "${q.answer}"`).join('\n')}`,
      );
    }

    const scores: Scores[] = [];
    const misses = new Map<string, Question[]>();
    const runs: Array<{ name: string; mode: Mode; fusion?: { vectorWeight: number; method?: 'rrf' } }> = [
      ...MODES.map((mode) => ({ name: `llmp ${mode}`, mode })),
      { name: 'llmp hybrid, rank fusion (rrf, vector weight 0.2)', mode: 'hybrid' as const, fusion: { method: 'rrf' as const, vectorWeight: 0.2 } },
      ...VECTOR_WEIGHTS.map((vectorWeight) => ({ name: `llmp hybrid, vector weight ${vectorWeight}`, mode: 'hybrid' as const, fusion: { vectorWeight } })),
    ];
    for (const { name, mode, fusion } of runs) {
      progress(`${name}: ${questions.length * REPEAT} questions`);
      // Warm-up: the first queries pay for plan caches and the embedder's first call.
      for (const q of questions.slice(0, 5)) await call('POST', '/api/ingestion/search', { query: q.question, knowledgeBaseIds: [kb.id], topK: TOP_K, mode, fusion });
      const ranks: Array<number | null> = [];
      const latencies: number[] = [];
      const cpu = process.cpuUsage();
      for (let round = 0; round < REPEAT; round++) {
        for (const q of questions) {
          const start = performance.now();
          const response = await call<{ results: Array<{ text: string; citation: { filename: string } }> }>('POST', '/api/ingestion/search', {
            query: q.question,
            knowledgeBaseIds: [kb.id],
            topK: TOP_K,
            mode,
            fusion,
          });
          latencies.push(performance.now() - start);
          if (round === 0) ranks.push(firstHit(response.results.map((r) => ({ document: r.citation.filename, text: r.text })), q));
        }
      }
      if (!fusion) misses.set(mode, questions.filter((_, i) => ranks[i] === null || ranks[i]! > 5));
      const used = process.cpuUsage(cpu);
      scores.push(score(name, ranks, latencies, (used.user + used.system) / 1000));
    }
    return { scores, misses };
  } finally {
    await bench.close();
  }
}

async function baseline(files: Awaited<ReturnType<typeof corpusFiles>>, questions: Question[]): Promise<Scores> {
  progress('baseline: llmp parsers → RecursiveCharacterTextSplitter (1000/200) → MiniSearch BM25');
  const splitter = new RecursiveCharacterTextSplitter({ chunkSize: 1000, chunkOverlap: 200 });
  const chunks: Array<{ id: number; document: string; text: string }> = [];
  for (const file of files) {
    const parsed = await parseDocument(file.bytes, file.type);
    for (const text of await splitter.splitText(parsed.text)) chunks.push({ id: chunks.length, document: file.name, text });
  }
  const index = new MiniSearch<{ id: number; document: string; text: string }>({ fields: ['text'], storeFields: ['document', 'text'] });
  index.addAll(chunks);
  progress(`baseline: ${chunks.length} chunks indexed`);
  for (const q of questions.slice(0, 5)) index.search(q.question);
  const ranks: Array<number | null> = [];
  const latencies: number[] = [];
  const cpu = process.cpuUsage();
  for (let round = 0; round < REPEAT; round++) {
    for (const q of questions) {
      const start = performance.now();
      const results = index.search(q.question).slice(0, TOP_K);
      latencies.push(performance.now() - start);
      if (round === 0) ranks.push(firstHit(results.map((r) => ({ document: r['document'] as string, text: r['text'] as string })), q));
    }
  }
  const used = process.cpuUsage(cpu);
  return score('baseline: langchain 1000/200 + MiniSearch BM25', ranks, latencies, (used.user + used.system) / 1000);
}

async function main() {
  const files = await corpusFiles();
  const questions = JSON.parse(await readFile(path.join(CORPUS, 'questions.json'), 'utf8')) as Question[];
  const formats = [...new Set(files.map((f) => f.type))].join(', ');
  progress(`${files.length} documents (${formats}), ${questions.length} questions, top ${TOP_K}`);
  const unknown = questions.filter((q) => !files.some((f) => f.name === q.document));
  if (unknown.length) throw new Error(`questions name documents that are not in the corpus: ${[...new Set(unknown.map((q) => q.document))].join(', ')}`);

  const { scores, misses } = await llmp(files, questions);
  const peer = await baseline(files, questions);

  console.log(`\nRetrieval on ${files.length} real documents (${formats}), ${questions.length} questions; llmp through POST /api/ingestion/search (embedded PGlite, default knowledge base settings and embedder)`);
  console.table([...scores, peer]);
  const hybrid = scores.find((s) => s.system === 'llmp hybrid')!;
  const halves = scores.filter((s) => s.system === 'llmp vector' || s.system === 'llmp fulltext');
  const best = (metric: 'hit@5' | 'MRR') => Math.max(...halves.map((s) => s[metric]));
  console.log(`hybrid MRR − baseline MRR: ${round(hybrid.MRR - peer.MRR)}; hybrid hit@5 − baseline hit@5: ${round(hybrid['hit@5'] - peer['hit@5'])}`);
  console.log(`hybrid MRR − best single half: ${round(hybrid.MRR - best('MRR'))}; hybrid hit@5 − best single half: ${round(hybrid['hit@5'] - best('hit@5'))}`);
  for (const [mode, missed] of misses) {
    if (missed.length) progress(`${mode}: not in the top 5: ${missed.map((q) => `${q.document}: ${q.question}`).join(' | ')}`);
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
