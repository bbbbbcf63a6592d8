/**
 * A tiny GGUF v3 model (llama architecture, F32, byte-level vocabulary, seeded
 * random weights) that llama.cpp loads and embeds with: what tests of the GGUF
 * embedder need without any download. Its vectors carry no meaning, but the
 * same text always gives the same vector.
 */

const ALIGNMENT = 32;
const enum Kind {
  UINT32 = 4,
  INT32 = 5,
  FLOAT32 = 6,
  BOOL = 7,
  STRING = 8,
  ARRAY = 9,
}
type Value =
  | { kind: Kind.UINT32 | Kind.FLOAT32; value: number }
  | { kind: Kind.BOOL; value: boolean }
  | { kind: Kind.STRING; value: string }
  | { kind: Kind.ARRAY; item: Kind.STRING; value: string[] }
  | { kind: Kind.ARRAY; item: Kind.INT32; value: number[] };

export interface GgufEmbeddingModelOptions {
  /** The embedding size, which the embedder must report (default 32). */
  dimension?: number;
  layers?: number;
  contextLength?: number;
  seed?: number;
}

/** GPT-2's byte → printable character map, which llama.cpp's byte-level vocabularies use. */
function byteChars(): string[] {
  const map: string[] = new Array(256);
  const printable = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  let n = 0;
  for (let b = 0; b < 256; b++) map[b] = String.fromCodePoint(printable(b) ? b : 256 + n++);
  return map;
}

function mulberry32(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function encode(metadata: Array<[string, Value]>, tensors: Array<{ name: string; shape: number[]; data: Float32Array }>): Buffer {
  const parts: Buffer[] = [];
  const u32 = (v: number) => { const b = Buffer.alloc(4); b.writeUInt32LE(v); parts.push(b); };
  const i32 = (v: number) => { const b = Buffer.alloc(4); b.writeInt32LE(v); parts.push(b); };
  const u64 = (v: number) => { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(v)); parts.push(b); };
  const f32 = (v: number) => { const b = Buffer.alloc(4); b.writeFloatLE(v); parts.push(b); };
  const str = (s: string) => { const b = Buffer.from(s, 'utf8'); u64(b.length); parts.push(b); };
  parts.push(Buffer.from('GGUF', 'ascii'));
  u32(3);
  u64(tensors.length);
  u64(metadata.length);
  for (const [key, v] of metadata) {
    str(key);
    u32(v.kind);
    if (v.kind === Kind.ARRAY) {
      u32(v.item);
      u64(v.value.length);
      for (const item of v.value) {
        if (v.item === Kind.STRING) str(item as string);
        else i32(item as number);
      }
    } else if (v.kind === Kind.STRING) str(v.value);
    else if (v.kind === Kind.BOOL) parts.push(Buffer.from([v.value ? 1 : 0]));
    else if (v.kind === Kind.FLOAT32) f32(v.value);
    else u32(v.value);
  }
  let offset = 0;
  const offsets: number[] = [];
  for (const t of tensors) {
    str(t.name);
    u32(t.shape.length);
    // ggml lists dimensions fastest first.
    for (const d of [...t.shape].reverse()) u64(d);
    u32(0); // F32
    u64(offset);
    offsets.push(offset);
    offset = Math.ceil((offset + t.data.byteLength) / ALIGNMENT) * ALIGNMENT;
  }
  const head = Buffer.concat(parts);
  const padded = Buffer.alloc(Math.ceil(head.length / ALIGNMENT) * ALIGNMENT);
  head.copy(padded);
  const body = Buffer.alloc(offset);
  tensors.forEach((t, i) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).copy(body, offsets[i]));
  return Buffer.concat([padded, body]);
}

/** The bytes of a GGUF embedding model file; write them anywhere and point the GGUF embedder at it. */
export function aGgufEmbeddingModel({ dimension = 32, layers = 1, contextLength = 256, seed = 7 }: GgufEmbeddingModelOptions = {}): Buffer {
  const heads = 4;
  const ffn = dimension * 2;
  const chars = byteChars();
  const tokens = [...chars, '<s>', '</s>'];
  const vocab = tokens.length;
  const random = mulberry32(seed);
  const matrix = (rows: number, cols: number) => Float32Array.from({ length: rows * cols }, () => (random() * 2 - 1) / Math.sqrt(cols));
  const ones = (n: number) => new Float32Array(n).fill(1);
  const u32 = (value: number): Value => ({ kind: Kind.UINT32, value });
  const metadata: Array<[string, Value]> = [
    ['general.architecture', { kind: Kind.STRING, value: 'llama' }],
    ['general.name', { kind: Kind.STRING, value: 'llmp-test-embedder' }],
    ['general.alignment', u32(ALIGNMENT)],
    ['general.file_type', u32(0)],
    ['llama.vocab_size', u32(vocab)],
    ['llama.context_length', u32(contextLength)],
    ['llama.embedding_length', u32(dimension)],
    ['llama.block_count', u32(layers)],
    ['llama.feed_forward_length', u32(ffn)],
    ['llama.attention.head_count', u32(heads)],
    ['llama.attention.head_count_kv', u32(heads)],
    ['llama.rope.dimension_count', u32(dimension / heads)],
    ['llama.rope.freq_base', { kind: Kind.FLOAT32, value: 10000 }],
    ['llama.attention.layer_norm_rms_epsilon', { kind: Kind.FLOAT32, value: 1e-5 }],
    ['tokenizer.ggml.model', { kind: Kind.STRING, value: 'gpt2' }],
    ['tokenizer.ggml.pre', { kind: Kind.STRING, value: 'default' }],
    ['tokenizer.ggml.tokens', { kind: Kind.ARRAY, item: Kind.STRING, value: tokens }],
    ['tokenizer.ggml.token_type', { kind: Kind.ARRAY, item: Kind.INT32, value: tokens.map((_, i) => (i < 256 ? 1 : 3)) }],
    ['tokenizer.ggml.merges', { kind: Kind.ARRAY, item: Kind.STRING, value: [] }],
    ['tokenizer.ggml.bos_token_id', u32(256)],
    ['tokenizer.ggml.eos_token_id', u32(257)],
    ['tokenizer.ggml.add_bos_token', { kind: Kind.BOOL, value: true }],
    ['tokenizer.ggml.add_eos_token', { kind: Kind.BOOL, value: false }],
  ];
  const tensors = [{ name: 'token_embd.weight', shape: [vocab, dimension], data: matrix(vocab, dimension) }];
  for (let l = 0; l < layers; l++) {
    const b = `blk.${l}`;
    tensors.push(
      { name: `${b}.attn_norm.weight`, shape: [dimension], data: ones(dimension) },
      { name: `${b}.attn_q.weight`, shape: [dimension, dimension], data: matrix(dimension, dimension) },
      { name: `${b}.attn_k.weight`, shape: [dimension, dimension], data: matrix(dimension, dimension) },
      { name: `${b}.attn_v.weight`, shape: [dimension, dimension], data: matrix(dimension, dimension) },
      { name: `${b}.attn_output.weight`, shape: [dimension, dimension], data: matrix(dimension, dimension) },
      { name: `${b}.ffn_norm.weight`, shape: [dimension], data: ones(dimension) },
      { name: `${b}.ffn_gate.weight`, shape: [ffn, dimension], data: matrix(ffn, dimension) },
      { name: `${b}.ffn_up.weight`, shape: [ffn, dimension], data: matrix(ffn, dimension) },
      { name: `${b}.ffn_down.weight`, shape: [dimension, ffn], data: matrix(dimension, ffn) },
    );
  }
  tensors.push({ name: 'output_norm.weight', shape: [dimension], data: ones(dimension) });
  return encode(metadata, tensors);
}
