import { z } from 'zod';
import { visibilitySchema, type Visibility } from '@llmp/contracts';

export const chunkingSettings = z
  .object({
    /** `recursive`: headings → paragraphs → sentences packed to the budget; `heading`: one chunk per heading section. */
    mode: z.enum(['recursive', 'heading']).default('recursive'),
    maxTokens: z.number().int().min(32, 'must be at least 32').max(8192, 'must be at most 8192').default(512),
    overlapTokens: z.number().int().min(0, 'must be 0 or more').max(2048, 'must be at most 2048').default(64),
  })
  .refine((s) => s.overlapTokens <= s.maxTokens / 2, { message: 'overlapTokens must be at most half of maxTokens', path: ['overlapTokens'] });

export type ChunkingSettings = z.infer<typeof chunkingSettings>;

export const embedderSpec = z.object({
  name: z.string().min(1, 'is required').max(200),
  dimension: z.number().int().min(2, 'must be at least 2').max(8192, 'must be at most 8192'),
});

export type EmbedderSpec = z.infer<typeof embedderSpec>;

const name = z
  .string({ message: 'is required' })
  .trim()
  .min(1, 'is required')
  .max(120, 'must be at most 120 characters')
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), 'must not contain control characters');

export const createKnowledgeBaseBody = z.object({
  name,
  description: z.string().max(2000).default(''),
  chunking: chunkingSettings.optional(),
  embedder: embedderSpec.optional(),
  /** `private` (the default): its owner, its members and managers; `organisation`: every user reads it. */
  visibility: visibilitySchema.default('private'),
});

export type CreateKnowledgeBase = z.infer<typeof createKnowledgeBaseBody>;

export const updateKnowledgeBaseBody = z
  .object({
    name: name.optional(),
    description: z.string().max(2000).optional(),
    chunking: chunkingSettings.optional(),
    embedder: embedderSpec.optional(),
    visibility: visibilitySchema.optional(),
  })
  .refine((b) => Object.values(b).some((v) => v !== undefined), { message: 'nothing to change: send name, description, chunking, embedder or visibility' });

export type UpdateKnowledgeBase = z.infer<typeof updateKnowledgeBaseBody>;

export const reindexBody = z.object({
  /** Every document, not only the stale and failed ones. */
  all: z.boolean().default(false),
  documentIds: z.array(z.string()).max(10_000).optional(),
});

export type ReindexRequest = z.infer<typeof reindexBody>;

export interface DocumentCounts {
  total: number;
  ready: number;
  processing: number;
  failed: number;
  cancelled: number;
  stale: number;
}

export interface KnowledgeBase {
  id: string;
  name: string;
  description: string;
  chunking: ChunkingSettings;
  embedder: EmbedderSpec;
  /** Where its vectors live in the vector store; a new embedder gets a new collection. */
  vectorCollection: string;
  /** Bumped whenever chunking or embedder change; documents indexed at an older revision are stale. */
  settingsRevision: number;
  createdBy: string | null;
  /** Who administers it besides managers; null for the platform's own (the demo). */
  ownerId: string | null;
  visibility: Visibility;
  createdAt: string;
  updatedAt: string;
  documents: DocumentCounts;
}
