import type { VectorRecord } from './vector-store';

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');

/**
 * `records` as the rows (id text, document_id text, embedding vector,
 * segment int4) in Postgres' binary COPY format: a header, then per row
 * the field count and each field's length and bytes, big-endian; a vector
 * is pgvector's wire form (int16 dimension, int16 unused, float4 values).
 */
export function binaryVectorRows(records: VectorRecord[], segment: number): Uint8Array {
  const ids = records.map((r) => Buffer.from(r.id, 'utf8'));
  const documents = records.map((r) => Buffer.from(r.documentId, 'utf8'));
  let size = SIGNATURE.length + 8 + 2;
  records.forEach((r, i) => {
    size += 2 + 4 + ids[i].length + 4 + documents[i].length + 4 + 4 + r.vector.length * 4 + 4 + 4;
  });
  const out = Buffer.allocUnsafe(size);
  let at = SIGNATURE.copy(out, 0);
  // Flags, then the length of the header extension: both zero.
  at = out.writeInt32BE(0, at);
  at = out.writeInt32BE(0, at);
  records.forEach((r, i) => {
    at = out.writeInt16BE(4, at);
    at = out.writeInt32BE(ids[i].length, at);
    at += ids[i].copy(out, at);
    at = out.writeInt32BE(documents[i].length, at);
    at += documents[i].copy(out, at);
    at = out.writeInt32BE(4 + r.vector.length * 4, at);
    at = out.writeInt16BE(r.vector.length, at);
    at = out.writeInt16BE(0, at);
    for (const value of r.vector) at = out.writeFloatBE(value, at);
    at = out.writeInt32BE(4, at);
    at = out.writeInt32BE(segment, at);
  });
  out.writeInt16BE(-1, at);
  return out;
}

/**
 * `vectors` as one `vector[]` value in Postgres' binary form, for a query
 * parameter (node-postgres sends a Buffer as binary): the array header
 * (one dimension, no nulls, the element type `vectorOid`), then each vector
 * in pgvector's wire form. Neither side prints or parses a digit.
 */
export function binaryVectorArray(vectors: number[][], vectorOid: number): Buffer {
  let size = 20;
  for (const vector of vectors) size += 4 + 4 + vector.length * 4;
  const out = Buffer.allocUnsafe(size);
  let at = out.writeInt32BE(1, 0);
  at = out.writeInt32BE(0, at);
  at = out.writeInt32BE(vectorOid, at);
  at = out.writeInt32BE(vectors.length, at);
  at = out.writeInt32BE(1, at);
  for (const vector of vectors) {
    at = out.writeInt32BE(4 + vector.length * 4, at);
    at = out.writeInt16BE(vector.length, at);
    at = out.writeInt16BE(0, at);
    for (const value of vector) at = out.writeFloatBE(value, at);
  }
  return out;
}
