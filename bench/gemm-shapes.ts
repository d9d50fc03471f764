// The gemm() calls one training step issues on the im2col + GEMM paths, for the bench's GEMM workbench:
// derived from each conv layer's geometry the way assembly/conv2d.ts and assembly/conv_transpose2d.ts
// derive them, dense paths included (the 7×7 conv to a 1×1 code and the 1×1 → 7×7 transposed conv skip
// im2col and run on the activations directly, with other transposes and dimensions); the passes that
// take a fast 3×3 path (the engine's conv2dPath / convTranspose2dWinograd say which) are left out.
// test/bench-shapes.test.ts runs those two files' own code on the same geometry with gemm() recorded,
// and fails when this drifts.
import type { Arch } from "../host/core/arch.js";
import type { EngineExports } from "../host/core/exports.js";
import { planLayers } from "../host/core/plan.js";

/** Which passes take a fast 3×3 path: the engine's own rule (any build's exports). */
export type FastPaths = Pick<EngineExports, "conv2dPath" | "convTranspose2dWinograd">;

/** One gemm() call: C[M, N] (+)= op(A) · op(B), strides in floats, as assembly/gemm.ts takes them. */
export interface GemmCall {
  transA: number;
  transB: number;
  M: number;
  N: number;
  K: number;
  lda: number;
  ldb: number;
  ldc: number;
  /** 1: C += …, the backward's dW (and the dense dX) add into their gradient. */
  accumulate: number;
}

const call = (
  transA: number,
  transB: number,
  M: number,
  N: number,
  K: number,
  lda: number,
  ldb: number,
  ldc: number,
  accumulate: number,
): GemmCall => ({ transA, transB, M, N, K, lda, ldb, ldc, accumulate });

/** Images per im2col round for B images of `perImage` column-matrix floats: the engine's `im2colChunkImages` export. */
export type ChunkImages = (B: number, perImage: number) => number;

/** B images in chunks of `images`, as the layer code walks them: `count` chunks of n images each. */
function chunksOf(B: number, images: number): { n: number; count: number }[] {
  const full = Math.floor(B / images),
    rest = B - full * images;
  return [{ n: images, count: full }, ...(rest ? [{ n: rest, count: 1 }] : [])];
}

/**
 * The gemm() calls of one training step of `arch` at batch B, per conv layer: forward, dW, dX (the
 * first layer has no dX: nothing upstream wants the input's gradient, the engine gets dx = 0), each
 * `count` times (the im2col paths run chunks of images: `chunk`, the engine's own rule).
 * `name` is "<layer> fwd|dW|dX".
 */
export function stepGemms(
  arch: Arch,
  B: number,
  chunk: ChunkImages,
  fast: FastPaths,
): { name: string; call: GemmCall; count: number }[] {
  const out: { name: string; call: GemmCall; count: number }[] = [];
  for (const l of planLayers(arch).layers) {
    if (!l.geom) continue;
    const { kh, kw, sh, sw, ph, pw, oph, opw } = l.geom,
      name = "name" in l.spec ? l.spec.name : l.spec.type;
    const [Cin, H, W] = l.inShape,
      [Cout, Ho, Wo] = l.outShape;
    // A fast path runs the forward (stride 1: every pass) without these GEMMs.
    const fastForward =
      l.op === "conv2d"
        ? fast.conv2dPath(Cin, H, W, Cout, kh, kw, sh, sw, ph, pw) !== 0
        : fast.convTranspose2dWinograd(Cin, H, W, Cout, kh, kw, sh, sw, ph, pw, oph, opw) !== 0;
    const fastAll = fastForward && l.op === "conv2d" && sh === 1 && sw === 1;
    // [forward, dW, dX] for a chunk of n images (the dense paths: one chunk of the whole batch).
    let calls: (n: number) => GemmCall[],
      images = B;
    if (l.op === "conv2d") {
      const K = Cin * kh * kw;
      if (kh === H && kw === W && ph === 0 && pw === 0) {
        // conv2d.ts isDense: the column matrix is xᵀ, x [B, K] is read directly.
        calls = (n) => [
          call(0, 1, Cout, n, K, K, K, n, 0), //  tmp[Cout, B] = W · xᵀ
          call(0, 0, Cout, K, n, n, K, K, 1), //  dW += dYc · x
          call(1, 0, n, K, Cout, n, K, K, 1), //  dx[B, K] += dYcᵀ · W
        ];
      } else {
        images = chunk(B, K * Ho * Wo);
        calls = (n) => {
          const N = n * Ho * Wo;
          return [
            call(0, 0, Cout, N, K, K, N, N, 0), // tmp[Cout, N] = W · col
            call(0, 1, Cout, K, N, N, N, K, 1), // dW += dYc · colᵀ
            call(1, 0, K, N, Cout, K, N, N, 0), // dcol = Wᵀ · dYc, then col2im
          ];
        };
      }
    } else {
      const Kc = Cout * kh * kw;
      if (H === 1 && W === 1 && ph === 0 && pw === 0 && oph === 0 && opw === 0) {
        // conv_transpose2d.ts isDense: y [B, Kc] = x [B, Cin] · W, on x, y, dx, dy directly.
        calls = (n) => [
          call(0, 0, n, Kc, Cin, Cin, Kc, Kc, 0), // y = x · W
          call(1, 0, Cin, Kc, n, Cin, Kc, Kc, 1), // dW += xᵀ · dy
          call(0, 1, n, Cin, Kc, Kc, Kc, Cin, 1), // dx += dy · Wᵀ
        ];
      } else {
        images = chunk(B, Kc * H * W);
        calls = (n) => {
          const N = n * H * W;
          return [
            call(1, 0, Kc, N, Cin, Kc, N, N, 0), // col = Wᵀ · xc, then col2im
            call(0, 1, Cin, Kc, N, N, N, Kc, 1), // dW += xc · colᵀ (col = im2col(dy))
            call(0, 0, Cin, N, Kc, Kc, N, N, 0), // dxc = W · col
          ];
        };
      }
    }
    for (const [i, pass] of ["fwd", "dW", "dX"].entries()) {
      if ((pass === "dX" && l.from < 0) || fastAll || (pass === "fwd" && fastForward)) continue;
      for (const { n, count } of chunksOf(B, images)) out.push({ name: `${name} ${pass}`, call: calls(n)[i], count });
    }
  }
  return out;
}

/** Equal calls once each, in first-use order, with the names that issue them and how often per step. */
export function distinctGemms(
  calls: { name: string; call: GemmCall; count: number }[],
): { names: string[]; call: GemmCall; count: number }[] {
  const byKey = new Map<string, { names: string[]; call: GemmCall; count: number }>();
  for (const { name, call: c, count } of calls) {
    const key = gemmKey(c);
    const seen = byKey.get(key);
    if (!seen) byKey.set(key, { names: [name], call: c, count });
    else {
      seen.count += count;
      if (!seen.names.includes(name)) seen.names.push(name);
    }
  }
  return [...byKey.values()];
}

/** A call as a string key: two calls with the same key run the same code on the same shapes. */
export function gemmKey(c: GemmCall): string {
  return [c.transA, c.transB, c.M, c.N, c.K, c.lda, c.ldb, c.ldc, c.accumulate].join(",");
}
