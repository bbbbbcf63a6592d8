/**
 * GGUF v3 writer: header, metadata key/values, tensor infos, then tensor data,
 * each tensor aligned to `general.alignment` (32). Little-endian throughout.
 */

export enum GgufValueType {
  UINT8 = 0,
  INT8 = 1,
  UINT16 = 2,
  INT16 = 3,
  UINT32 = 4,
  INT32 = 5,
  FLOAT32 = 6,
  BOOL = 7,
  STRING = 8,
  ARRAY = 9,
  UINT64 = 10,
  INT64 = 11,
  FLOAT64 = 12,
}

export enum GgmlType {
  F32 = 0,
  F16 = 1,
}

export type GgufValue =
  | { type: GgufValueType.UINT32 | GgufValueType.INT32 | GgufValueType.FLOAT32 | GgufValueType.UINT8 | GgufValueType.INT8 | GgufValueType.UINT16 | GgufValueType.INT16 | GgufValueType.FLOAT64; value: number }
  | { type: GgufValueType.UINT64 | GgufValueType.INT64; value: bigint }
  | { type: GgufValueType.BOOL; value: boolean }
  | { type: GgufValueType.STRING; value: string }
  | { type: GgufValueType.ARRAY; itemType: GgufValueType.STRING; value: readonly string[] }
  | { type: GgufValueType.ARRAY; itemType: GgufValueType.INT32 | GgufValueType.FLOAT32 | GgufValueType.UINT32; value: readonly number[] };

export interface GgufTensor {
  name: string;
  /** Row-major shape as the data is laid out (slowest dimension first); written reversed, as ggml's ne[]. */
  shape: readonly number[];
  type: GgmlType;
  data: Float32Array;
}

export const GGUF_ALIGNMENT = 32;

class ByteSink {
  private buf = Buffer.alloc(1 << 16);
  length = 0;

  private ensure(n: number) {
    if (this.length + n <= this.buf.length) return;
    const next = Buffer.alloc(Math.max(this.buf.length * 2, this.length + n));
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }

  u8(v: number) {
    this.ensure(1);
    this.buf.writeUInt8(v, this.length);
    this.length += 1;
  }
  u32(v: number) {
    this.ensure(4);
    this.buf.writeUInt32LE(v, this.length);
    this.length += 4;
  }
  i32(v: number) {
    this.ensure(4);
    this.buf.writeInt32LE(v, this.length);
    this.length += 4;
  }
  u64(v: number | bigint) {
    this.ensure(8);
    this.buf.writeBigUInt64LE(BigInt(v), this.length);
    this.length += 8;
  }
  i64(v: bigint) {
    this.ensure(8);
    this.buf.writeBigInt64LE(v, this.length);
    this.length += 8;
  }
  f32(v: number) {
    this.ensure(4);
    this.buf.writeFloatLE(v, this.length);
    this.length += 4;
  }
  f64(v: number) {
    this.ensure(8);
    this.buf.writeDoubleLE(v, this.length);
    this.length += 8;
  }
  bytes(b: Uint8Array) {
    this.ensure(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
  str(s: string) {
    const b = Buffer.from(s, 'utf8');
    this.u64(b.length);
    this.bytes(b);
  }
  pad(alignment: number) {
    while (this.length % alignment !== 0) this.u8(0);
  }
  result(): Buffer {
    return this.buf.subarray(0, this.length);
  }
}

function writeScalar(sink: ByteSink, type: GgufValueType, value: number | bigint | boolean | string): void {
  switch (type) {
    case GgufValueType.UINT8:
    case GgufValueType.INT8:
      sink.u8(Number(value) & 0xff);
      return;
    case GgufValueType.UINT16:
    case GgufValueType.INT16:
      sink.u8(Number(value) & 0xff);
      sink.u8((Number(value) >> 8) & 0xff);
      return;
    case GgufValueType.UINT32:
      sink.u32(Number(value));
      return;
    case GgufValueType.INT32:
      sink.i32(Number(value));
      return;
    case GgufValueType.FLOAT32:
      sink.f32(Number(value));
      return;
    case GgufValueType.FLOAT64:
      sink.f64(Number(value));
      return;
    case GgufValueType.BOOL:
      sink.u8(value ? 1 : 0);
      return;
    case GgufValueType.UINT64:
      sink.u64(BigInt(value as bigint));
      return;
    case GgufValueType.INT64:
      sink.i64(BigInt(value as bigint));
      return;
    case GgufValueType.STRING:
      sink.str(String(value));
      return;
    default:
      throw new Error(`GGUF value type ${type} is not a scalar`);
  }
}

/** IEEE 754 binary16, round to nearest even; overflow goes to infinity. */
export function toFloat16Bits(value: number): number {
  const f32 = new Float32Array([value]);
  const x = new Uint32Array(f32.buffer)[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    let m = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    if (rest > half || (rest === half && m & 1)) m += 1;
    return sign | m;
  }
  let m = mant >>> 13;
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && m & 1)) {
    m += 1;
    if (m === 0x400) {
      m = 0;
      e += 1;
      if (e >= 0x1f) return sign | 0x7c00;
    }
  }
  return sign | (e << 10) | m;
}

export function fromFloat16Bits(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return sign * m * Math.pow(2, -24);
  if (e === 0x1f) return m ? NaN : sign * Infinity;
  return sign * (1 + m / 1024) * Math.pow(2, e - 15);
}

export function encodeGguf(metadata: ReadonlyMap<string, GgufValue>, tensors: readonly GgufTensor[]): Buffer {
  const head = new ByteSink();
  head.bytes(Buffer.from('GGUF', 'ascii'));
  head.u32(3);
  head.u64(tensors.length);
  head.u64(metadata.size);
  for (const [key, v] of metadata) {
    head.str(key);
    head.u32(v.type);
    if (v.type === GgufValueType.ARRAY) {
      head.u32(v.itemType);
      head.u64(v.value.length);
      for (const item of v.value) writeScalar(head, v.itemType, item);
    } else writeScalar(head, v.type, v.value);
  }
  let offset = 0;
  const offsets: number[] = [];
  for (const t of tensors) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (n !== t.data.length) throw new Error(`tensor ${t.name} has ${t.data.length} values for shape [${t.shape.join(', ')}]`);
    head.str(t.name);
    head.u32(t.shape.length);
    for (const d of [...t.shape].reverse()) head.u64(d);
    head.u32(t.type);
    head.u64(offset);
    offsets.push(offset);
    offset += n * (t.type === GgmlType.F32 ? 4 : 2);
    offset = Math.ceil(offset / GGUF_ALIGNMENT) * GGUF_ALIGNMENT;
  }
  head.pad(GGUF_ALIGNMENT);
  const body = Buffer.alloc(offset);
  tensors.forEach((t, i) => {
    if (t.type === GgmlType.F32) Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).copy(body, offsets[i]);
    else for (let j = 0; j < t.data.length; j++) body.writeUInt16LE(toFloat16Bits(t.data[j]), offsets[i] + 2 * j);
  });
  return Buffer.concat([head.result(), body]);
}
