import { Readable } from 'node:stream';
import { SYSTEM, type KnowledgeBase } from '@llmp/contracts';
import type { Logger } from '@llmp/core';
import type { DocumentsService } from '../documents/documents.service';
import type { KnowledgeBasesService } from '../knowledge-bases/knowledge-bases.service';

export const DEMO_KNOWLEDGE_BASE = 'Demo';

export interface DemoDocument {
  filename: string;
  contentType: string;
  content: string;
}

/** Small sample documents, one per text format, about the platform itself. */
export const demoDocuments: DemoDocument[] = [
  {
    filename: 'platform-guide.md',
    contentType: 'text/markdown',
    content: `# llmp platform guide

llmp turns an organisation's documents into trained models and deployed agents, on its own infrastructure.

## Knowledge bases

A knowledge base holds documents and pins how they are chunked and which embedder turns the chunks into vectors.
Changing either marks its documents stale; reindexing rebuilds them with the new settings.

## Uploading documents

Upload PDF, DOCX, HTML, Markdown, plain text, CSV, JSON or JSON Lines files. The type is decided by the content,
not by the file name. Uploading the same bytes twice returns the existing document.

## Searching

Search fuses vector similarity with a BM25 full-text score (a weighted sum of the normalised scores, or reciprocal rank fusion on request). Every hit carries a citation:
the document, its title, the page or heading, and character offsets.
`,
  },
  {
    filename: 'security-faq.html',
    contentType: 'text/html',
    content: `<!doctype html><html><head><title>Security FAQ</title><script>console.log('not indexed')</script></head>
<body><nav>Home | Docs</nav><main>
<h1>Security FAQ</h1>
<h2>How are passwords stored?</h2>
<p>Passwords are hashed with scrypt and never logged. Sessions expire after twelve hours by default.</p>
<h2>How do services trust each other?</h2>
<p>The API gateway signs each caller's identity with HMAC for that exact request; services accept nothing else.</p>
<h2>Who may delete documents?</h2>
<p>Managers and admins. Users may upload, search and cancel processing.</p>
</main><footer>© llmp</footer></body></html>
`,
  },
  {
    filename: 'release-notes.txt',
    contentType: 'text/plain',
    content: `Release 0.1

The embedded mode runs every service in one process over PGlite, with pgvector built in.

Document ingestion streams uploads to a blob store, parses them, chunks them to a token budget with overlap,
embeds the chunks and indexes them for hybrid search.
`,
  },
  {
    filename: 'service-ports.csv',
    contentType: 'text/csv',
    content: `service,port,area
api-gateway,8080,/api/auth and /api/users
document-ingestion,3001,/api/ingestion
data-structuring,3002,/api/datasets
model-training,3003,/api/training
agent-deployment,3004,/api/agents and /v1
`,
  },
  {
    filename: 'glossary.json',
    contentType: 'application/json',
    content: JSON.stringify(
      {
        terms: [
          { term: 'chunk', meaning: 'A piece of a document small enough to embed, with its heading path, pages and offsets.' },
          { term: 'embedder', meaning: 'Turns text into a vector; the built-in one hashes word and character n-grams.' },
          { term: 'RRF', meaning: 'Reciprocal rank fusion: combines rankings by summing 1 / (60 + rank).' },
        ],
      },
      null,
      2,
    ),
  },
];

export interface DemoDataDeps {
  knowledgeBases: KnowledgeBasesService;
  documents: DocumentsService;
  log: Logger;
}

/**
 * Creates the "Demo" knowledge base with the sample documents, once: when
 * it exists already, it is returned untouched. The documents are queued;
 * the pipeline makes them ready in the background.
 */
export async function loadDemoData({ knowledgeBases, documents, log }: DemoDataDeps): Promise<{ knowledgeBase: KnowledgeBase; created: boolean }> {
  const existing = (await knowledgeBases.list(SYSTEM)).find((kb) => kb.name === DEMO_KNOWLEDGE_BASE && kb.ownerId === null);
  if (existing) return { knowledgeBase: existing, created: false };
  // The platform owns it and every user reads it.
  const kb = await knowledgeBases.create(
    { name: DEMO_KNOWLEDGE_BASE, description: 'Sample documents about llmp, loaded on the first run', visibility: 'organisation' },
    SYSTEM,
  );
  for (const doc of demoDocuments) {
    const outcome = await documents.ingestFile(kb.id, {
      filename: doc.filename,
      declaredType: doc.contentType,
      content: Readable.from([Buffer.from(doc.content)]),
      metadata: { demo: true },
    }, SYSTEM);
    if (!('document' in outcome)) log.warn({ filename: doc.filename, reason: outcome.message }, 'demo document refused');
  }
  log.info({ knowledgeBaseId: kb.id, documents: demoDocuments.length }, 'demo knowledge base loaded');
  return { knowledgeBase: await knowledgeBases.get(kb.id, SYSTEM), created: true };
}
