import { KERNELS_WASM_BASE64 } from './kernels-wasm';

interface KernelExports {
  matmul(a: number, sai: number, sak: number, b: number, ldb: number, c: number, ldc: number, m: number, k: number, n: number, accumulate: number): void;
  transpose(src: number, ld: number, rows: number, cols: number, dst: number): void;
}

/** The part of the WebAssembly JS API used here (the project's TypeScript libs omit the DOM's typings of it). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Memory: new (descriptor: { initial: number; maximum: number }) => WasmMemory;
  Instance: new (module: object, imports: object) => { exports: unknown };
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

let compiled: object | undefined;

const PAGE_BYTES = 65536;

/**
 * One instance of the SIMD kernels over a memory of its own. Buffers are
 * float offsets into `f32`, handed out by `reserve`; the view is replaced
 * when the memory grows, so callers read `f32` again after reserving.
 */
export class Kernels {
  f32: Float32Array;
  private readonly memory: WasmMemory;
  private readonly exports: KernelExports;

  constructor() {
    compiled ??= new wasm.Module(Buffer.from(KERNELS_WASM_BASE64, 'base64'));
    this.memory = new wasm.Memory({ initial: 1, maximum: 65536 });
    this.exports = new wasm.Instance(compiled, { env: { memory: this.memory } }).exports as unknown as KernelExports;
    this.f32 = new Float32Array(this.memory.buffer);
  }

  /** Makes the memory hold at least `floats` floats. */
  reserve(floats: number): void {
    const bytes = floats * 4;
    if (bytes <= this.memory.buffer.byteLength) return;
    this.memory.grow(Math.ceil((bytes - this.memory.buffer.byteLength) / PAGE_BYTES));
    this.f32 = new Float32Array(this.memory.buffer);
  }

  /**
   * C[i, n] (+)= Σk A[i·sai + k·sak] · B[k·ldb + n] over an M × K by K × N product;
   * offsets and strides in floats. (sai, sak) = (K, 1) reads A row-major,
   * (1, M) reads its transpose in place.
   */
  matmul(a: number, sai: number, sak: number, b: number, ldb: number, c: number, ldc: number, m: number, k: number, n: number, accumulate = false): void {
    this.exports.matmul(a * 4, sai, sak, b * 4, ldb, c * 4, ldc, m, k, n, accumulate ? 1 : 0);
  }

  /** The rows × cols block at `src` (leading dimension ld) written transposed, densely, at `dst`. */
  transpose(src: number, ld: number, rows: number, cols: number, dst: number): void {
    this.exports.transpose(src * 4, ld, rows, cols, dst * 4);
  }
}
