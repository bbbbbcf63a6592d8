// Kernels of the built-in trainer's training step, compiled to WebAssembly
// with SIMD (npm run build:kernels). Every pointer is a byte offset into the
// memory the host provides; every matrix is f32. The host owns the layout and
// calls these on buffers it has laid out once per batch shape.

// C[i, n] (+)= sum over k of A[i·sai + k·sak] · B[k·ldb + n], for i < M, n < N, k < K.
// A's two strides let one kernel read A or its transpose in place; B and C are
// row-major with leading dimensions ldb and ldc. Blocks of 4 rows × 8 columns
// keep eight f32x4 accumulators in registers, so each loaded B vector serves
// four rows and each splatted A value two vectors.
export function matmul(a: usize, sai: i32, sak: i32, b: usize, ldb: i32, c: usize, ldc: i32, M: i32, K: i32, N: i32, accumulate: bool): void {
  const ra = <usize>(sai << 2);
  const ka = <usize>(sak << 2);
  const rb = <usize>(ldb << 2);
  const rc = <usize>(ldc << 2);
  let i = 0;
  for (; i + 4 <= M; i += 4) {
    const arow = a + <usize>i * ra;
    const crow = c + <usize>i * rc;
    let n = 0;
    for (; n + 8 <= N; n += 8) {
      let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
      let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
      let ap = arow;
      let bp = b + (<usize>n << 2);
      for (let k = 0; k < K; k++) {
        const b0 = v128.load(bp);
        const b1 = v128.load(bp, 16);
        const a0 = f32x4.splat(load<f32>(ap));
        const a1 = f32x4.splat(load<f32>(ap + ra));
        const a2 = f32x4.splat(load<f32>(ap + 2 * ra));
        const a3 = f32x4.splat(load<f32>(ap + 3 * ra));
        c00 = f32x4.add(c00, f32x4.mul(a0, b0));
        c01 = f32x4.add(c01, f32x4.mul(a0, b1));
        c10 = f32x4.add(c10, f32x4.mul(a1, b0));
        c11 = f32x4.add(c11, f32x4.mul(a1, b1));
        c20 = f32x4.add(c20, f32x4.mul(a2, b0));
        c21 = f32x4.add(c21, f32x4.mul(a2, b1));
        c30 = f32x4.add(c30, f32x4.mul(a3, b0));
        c31 = f32x4.add(c31, f32x4.mul(a3, b1));
        ap += ka;
        bp += rb;
      }
      const cp = crow + (<usize>n << 2);
      if (accumulate) {
        c00 = f32x4.add(c00, v128.load(cp));
        c01 = f32x4.add(c01, v128.load(cp, 16));
        c10 = f32x4.add(c10, v128.load(cp + rc));
        c11 = f32x4.add(c11, v128.load(cp + rc, 16));
        c20 = f32x4.add(c20, v128.load(cp + 2 * rc));
        c21 = f32x4.add(c21, v128.load(cp + 2 * rc, 16));
        c30 = f32x4.add(c30, v128.load(cp + 3 * rc));
        c31 = f32x4.add(c31, v128.load(cp + 3 * rc, 16));
      }
      v128.store(cp, c00);
      v128.store(cp, c01, 16);
      v128.store(cp + rc, c10);
      v128.store(cp + rc, c11, 16);
      v128.store(cp + 2 * rc, c20);
      v128.store(cp + 2 * rc, c21, 16);
      v128.store(cp + 3 * rc, c30);
      v128.store(cp + 3 * rc, c31, 16);
    }
    for (; n + 4 <= N; n += 4) {
      let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
      let ap = arow;
      let bp = b + (<usize>n << 2);
      for (let k = 0; k < K; k++) {
        const b0 = v128.load(bp);
        c0 = f32x4.add(c0, f32x4.mul(f32x4.splat(load<f32>(ap)), b0));
        c1 = f32x4.add(c1, f32x4.mul(f32x4.splat(load<f32>(ap + ra)), b0));
        c2 = f32x4.add(c2, f32x4.mul(f32x4.splat(load<f32>(ap + 2 * ra)), b0));
        c3 = f32x4.add(c3, f32x4.mul(f32x4.splat(load<f32>(ap + 3 * ra)), b0));
        ap += ka;
        bp += rb;
      }
      const cp = crow + (<usize>n << 2);
      if (accumulate) {
        c0 = f32x4.add(c0, v128.load(cp));
        c1 = f32x4.add(c1, v128.load(cp + rc));
        c2 = f32x4.add(c2, v128.load(cp + 2 * rc));
        c3 = f32x4.add(c3, v128.load(cp + 3 * rc));
      }
      v128.store(cp, c0);
      v128.store(cp + rc, c1);
      v128.store(cp + 2 * rc, c2);
      v128.store(cp + 3 * rc, c3);
    }
    for (; n < N; n++) {
      for (let r = 0; r < 4; r++) dot(arow + <usize>r * ra, ka, b + (<usize>n << 2), rb, crow + <usize>r * rc + (<usize>n << 2), K, accumulate);
    }
  }
  for (; i < M; i++) {
    for (let n = 0; n < N; n++) dot(a + <usize>i * ra, ka, b + (<usize>n << 2), rb, c + <usize>i * rc + (<usize>n << 2), K, accumulate);
  }
}

// @ts-ignore: decorator
@inline
function dot(ap: usize, ka: usize, bp: usize, kb: usize, cp: usize, K: i32, accumulate: bool): void {
  let s: f32 = 0;
  for (let k = 0; k < K; k++) {
    s += load<f32>(ap) * load<f32>(bp);
    ap += ka;
    bp += kb;
  }
  store<f32>(cp, accumulate ? s + load<f32>(cp) : s);
}

// dst[j·rows + i] = src[i·ld + j]: the rows × cols block of src at leading dimension ld, transposed into a dense cols × rows matrix.
export function transpose(src: usize, ld: i32, rows: i32, cols: i32, dst: usize): void {
  for (let i = 0; i < rows; i++) {
    const s = src + (<usize>(i * ld) << 2);
    for (let j = 0; j < cols; j++) store<f32>(dst + (<usize>(j * rows + i) << 2), load<f32>(s + (<usize>j << 2)));
  }
}
