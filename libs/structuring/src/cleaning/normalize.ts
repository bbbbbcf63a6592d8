import { createHash } from 'node:crypto';
import { isChatRecord, type DatasetRecord } from '../records/record';

// eslint-disable-next-line no-control-regex -- the test is for plain ASCII, control characters included
const ASCII = /^[\x00-\x7f]*$/;
const WHITESPACE = /\s+/g;
/** Whitespace that collapsing would change: a run of two or more, or a single character other than a plain space. */
const COLLAPSIBLE = /\s\s|[^\S ]/;

/**
 * The form two texts are compared in: NFKC (so full-width and compatibility
 * characters meet their plain forms), lower case, runs of whitespace as one
 * space, trimmed.
 */
export function normalizeText(text: string): string {
  const composed = ASCII.test(text) ? text : text.normalize('NFKC');
  const lower = composed.toLowerCase();
  // Most texts are already single-spaced: testing first spares building a copy of each.
  return (COLLAPSIBLE.test(lower) ? lower.replace(WHITESPACE, ' ') : lower).trim();
}

// Exact and near-duplicate passes run one after the other on the same record object: remembering the last
// record's normalized parts saves the second normalization, without a per-record cache for the collector to trace.
// The raw texts are kept too and compared (by reference, in practice), so a record changed in place is normalized afresh.
let lastRecord: DatasetRecord | null = null;
let lastTexts: string[] = [];
let lastParts: string[] = [];

function textsOf(record: DatasetRecord): string[] {
  return isChatRecord(record) ? record.messages.map((m) => m.content) : [record.text];
}

function partsOf(record: DatasetRecord): string[] {
  const texts = textsOf(record);
  if (record !== lastRecord || texts.length !== lastTexts.length || texts.some((t, i) => t !== lastTexts[i])) {
    lastParts = texts.map(normalizeText);
    lastTexts = texts;
    lastRecord = record;
  }
  return lastParts;
}

/** A record's normalized content; roles are kept, so a question and an identical answer do not match. */
export function normalizedContent(record: DatasetRecord): string {
  const parts = partsOf(record);
  if (!isChatRecord(record)) return parts[0];
  let out = '';
  for (let i = 0; i < parts.length; i++) out += `\u0001${record.messages[i].role}\u0002${parts[i]}`;
  return out;
}

/** A record's normalized text, messages separated by newlines: what near-duplicate detection shingles. */
export function normalizedText(record: DatasetRecord): string {
  return partsOf(record).join('\n');
}

/**
 * A stable 96-bit hash of a record's normalized content (base64url, 16
 * characters): equal for records that differ only in case, spacing or Unicode
 * form, so it serves both exact deduplication and content-derived record ids.
 */
export function contentHash(record: DatasetRecord): string {
  return createHash('sha1').update(normalizedContent(record)).digest().subarray(0, 12).toString('base64url');
}
