import type { LlamaConfig } from '../model/llama-model';
import type { Tokenizer } from '../tokenizer/tokenizer';
import { GgmlType, GgufValueType, encodeGguf, type GgufTensor, type GgufValue } from './gguf-writer';

export type GgufFileType = 'f32' | 'f16';

export interface LlamaGgufOptions {
  fileType: GgufFileType;
  name?: string;
}

/** llama.cpp's `llama_token_type`. */
const TOKEN_TYPE = { normal: 1, control: 3 } as const;
/** llama.cpp's `llama_ftype`: all F32, or F16 matrices with F32 norms. */
const FILE_TYPE: Record<GgufFileType, number> = { f32: 0, f16: 1 };

/** GPT-2's reversible byte → printable character map, which llama.cpp's BPE vocabulary uses for token text. */
function byteToUnicode(): string[] {
  const printable: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) printable.push(b);
  for (let b = 0xa1; b <= 0xac; b++) printable.push(b);
  for (let b = 0xae; b <= 0xff; b++) printable.push(b);
  const map: string[] = new Array(256);
  for (const b of printable) map[b] = String.fromCodePoint(b);
  let n = 0;
  for (let b = 0; b < 256; b++) if (map[b] === undefined) map[b] = String.fromCodePoint(256 + n++);
  return map;
}

/**
 * llama.cpp's byte-level BPE (`tokenizer.ggml.model = gpt2`) metadata for our
 * tokenizer: one token string per id, special tokens as control tokens, and
 * the merges in rank order.
 */
export function tokenizerMetadata(tokenizer: Tokenizer): Map<string, GgufValue> {
  const chars = byteToUnicode();
  const text = (id: number) => (tokenizer.isSpecial(id) ? new TextDecoder().decode(tokenizer.tokenBytes(id)) : Array.from(tokenizer.tokenBytes(id), (b) => chars[b]).join(''));
  const tokens: string[] = [];
  const types: number[] = [];
  for (let id = 0; id < tokenizer.vocabSize; id++) {
    tokens.push(text(id));
    types.push(tokenizer.isSpecial(id) ? TOKEN_TYPE.control : TOKEN_TYPE.normal);
  }
  return new Map<string, GgufValue>([
    ['tokenizer.ggml.model', { type: GgufValueType.STRING, value: 'gpt2' }],
    ['tokenizer.ggml.pre', { type: GgufValueType.STRING, value: 'default' }],
    ['tokenizer.ggml.tokens', { type: GgufValueType.ARRAY, itemType: GgufValueType.STRING, value: tokens }],
    ['tokenizer.ggml.token_type', { type: GgufValueType.ARRAY, itemType: GgufValueType.INT32, value: types }],
    ['tokenizer.ggml.merges', { type: GgufValueType.ARRAY, itemType: GgufValueType.STRING, value: tokenizer.merges.map(([a, b]) => `${text(a)} ${text(b)}`) }],
    ['tokenizer.ggml.bos_token_id', { type: GgufValueType.UINT32, value: tokenizer.bosId }],
    ['tokenizer.ggml.eos_token_id', { type: GgufValueType.UINT32, value: tokenizer.eosId }],
    ['tokenizer.ggml.add_bos_token', { type: GgufValueType.BOOL, value: true }],
    ['tokenizer.ggml.add_eos_token', { type: GgufValueType.BOOL, value: false }],
  ]);
}

function transpose(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c];
  return out;
}

/**
 * A GGUF file of llama architecture that llama.cpp loads as is. Our matrices
 * are [in, out]; llama.cpp wants [out][in] rows (ne0 = in), so they are
 * transposed. RoPE already uses llama.cpp's adjacent-pair layout, so q and k
 * need no permutation. Norm gains stay F32 in F16 files, as llama.cpp expects.
 */
export function encodeLlamaGguf(config: LlamaConfig, weights: ReadonlyMap<string, Float32Array>, tokenizer: Tokenizer, { fileType, name = 'llmp-llama' }: LlamaGgufOptions): Buffer {
  if (tokenizer.vocabSize !== config.vocabSize) throw new Error(`the tokenizer has ${tokenizer.vocabSize} tokens but the model ${config.vocabSize}`);
  const u32 = (value: number): GgufValue => ({ type: GgufValueType.UINT32, value });
  const f32 = (value: number): GgufValue => ({ type: GgufValueType.FLOAT32, value });
  const metadata = new Map<string, GgufValue>([
    ['general.architecture', { type: GgufValueType.STRING, value: 'llama' }],
    ['general.name', { type: GgufValueType.STRING, value: name }],
    ['general.alignment', u32(32)],
    ['general.file_type', u32(FILE_TYPE[fileType])],
    ['llama.vocab_size', u32(config.vocabSize)],
    ['llama.context_length', u32(config.contextLength)],
    ['llama.embedding_length', u32(config.dModel)],
    ['llama.block_count', u32(config.nLayers)],
    ['llama.feed_forward_length', u32(config.ffnHidden)],
    ['llama.attention.head_count', u32(config.nHeads)],
    ['llama.attention.head_count_kv', u32(config.nHeads)],
    ['llama.rope.dimension_count', u32(config.dModel / config.nHeads)],
    ['llama.rope.freq_base', f32(config.ropeTheta)],
    ['llama.attention.layer_norm_rms_epsilon', f32(config.rmsEps)],
    ...tokenizerMetadata(tokenizer),
  ]);

  const matrixType = fileType === 'f16' ? GgmlType.F16 : GgmlType.F32;
  const get = (n: string) => {
    const w = weights.get(n);
    if (!w) throw new Error(`weight ${n} is missing`);
    return w;
  };
  const vector = (n: string, size: number): GgufTensor => ({ name: `${n}.weight`, shape: [size], type: GgmlType.F32, data: get(n) });
  const linear = (n: string, inDim: number, outDim: number): GgufTensor => ({ name: `${n}.weight`, shape: [outDim, inDim], type: matrixType, data: transpose(get(n), inDim, outDim) });

  const { dModel: d, ffnHidden: f, vocabSize: v } = config;
  const tensors: GgufTensor[] = [{ name: 'token_embd.weight', shape: [v, d], type: matrixType, data: get('token_embd') }];
  for (let l = 0; l < config.nLayers; l++) {
    const b = `blk.${l}`;
    tensors.push(
      vector(`${b}.attn_norm`, d),
      linear(`${b}.attn_q`, d, d),
      linear(`${b}.attn_k`, d, d),
      linear(`${b}.attn_v`, d, d),
      linear(`${b}.attn_output`, d, d),
      vector(`${b}.ffn_norm`, d),
      linear(`${b}.ffn_gate`, d, f),
      linear(`${b}.ffn_up`, d, f),
      linear(`${b}.ffn_down`, f, d),
    );
  }
  tensors.push(vector('output_norm', d));
  // Without output.weight llama.cpp reuses token_embd: that is how tied embeddings are exported.
  if (!config.tiedEmbeddings) tensors.push(linear('output', d, v));
  return encodeGguf(metadata, tensors);
}
