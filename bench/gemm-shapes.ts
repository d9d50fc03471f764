// The gemm() calls one training step issues, for the bench's GEMM workbench: derived from each conv
// layer's geometry the way assembly/conv2d.ts and assembly/conv_transpose2d.ts derive them, dense
// paths included (the 7×7 conv to a 1×1 code and the 1×1 → 7×7 transposed conv skip im2col and run
// on the activations directly, with other transposes and dimensions). test/bench-shapes.test.ts runs
// those two files' own code on the same geometry with gemm() recorded, and fails when this drifts.
import type { Arch } from "../host/core/arch.js";
import { planLayers } from "../host/core/plan.js";

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

const call = (transA: number, transB: number, M: number, N: number, K: number, lda: number, ldb: number, ldc: number, accumulate: number): GemmCall =>
  ({ transA, transB, M, N, K, lda, ldb, ldc, accumulate });

/**
 * The gemm() calls of one training step of `arch` at batch B, per conv layer: forward, dW, dX (the
 * first layer has no dX: nothing upstream wants the input's gradient, the engine gets dx = 0).
 * `name` is "<layer> fwd|dW|dX".
 */
export function stepGemms(arch: Arch, B: number): { name: string; call: GemmCall }[] {
  const out: { name: string; call: GemmCall }[] = [];
  for (const l of planLayers(arch).layers) {
    if (!l.geom) continue;
    const { kh, kw, ph, pw, oph, opw } = l.geom, name = "name" in l.spec ? l.spec.name : l.spec.type;
    const [Cin, H, W] = l.inShape, [Cout, Ho, Wo] = l.outShape;
    let fwd: GemmCall, dW: GemmCall, dX: GemmCall;
    if (l.op === "conv2d") {
      const N = B * Ho * Wo, K = Cin * kh * kw;
      if (kh === H && kw === W && ph === 0 && pw === 0) {
        // conv2d.ts isDense: the column matrix is xᵀ, x [B, K] is read directly.
        fwd = call(0, 1, Cout, B, K, K, K, B, 0); //  tmp[Cout, B] = W · xᵀ
        dW = call(0, 0, Cout, K, B, B, K, K, 1); //   dW += dYc · x
        dX = call(1, 0, B, K, Cout, B, K, K, 1); //   dx[B, K] += dYcᵀ · W
      } else {
        fwd = call(0, 0, Cout, N, K, K, N, N, 0); //  tmp[Cout, N] = W · col
        dW = call(0, 1, Cout, K, N, N, N, K, 1); //   dW += dYc · colᵀ
        dX = call(1, 0, K, N, Cout, K, N, N, 0); //   dcol = Wᵀ · dYc, then col2im
      }
    } else {
      const N = B * H * W, Kc = Cout * kh * kw;
      if (H === 1 && W === 1 && ph === 0 && pw === 0 && oph === 0 && opw === 0) {
        // conv_transpose2d.ts isDense: y [B, Kc] = x [B, Cin] · W, on x, y, dx, dy directly.
        fwd = call(0, 0, B, Kc, Cin, Cin, Kc, Kc, 0); // y = x · W
        dW = call(1, 0, Cin, Kc, B, Cin, Kc, Kc, 1); //  dW += xᵀ · dy
        dX = call(0, 1, B, Cin, Kc, Kc, Kc, Cin, 1); //  dx += dy · Wᵀ
      } else {
        fwd = call(1, 0, Kc, N, Cin, Kc, N, N, 0); //    col = Wᵀ · xc, then col2im
        dW = call(0, 1, Cin, Kc, N, N, N, Kc, 1); //     dW += xc · colᵀ (col = im2col(dy))
        dX = call(0, 0, Cin, N, Kc, Kc, N, N, 0); //     dxc = W · col
      }
    }
    out.push({ name: `${name} fwd`, call: fwd }, { name: `${name} dW`, call: dW });
    if (l.from >= 0) out.push({ name: `${name} dX`, call: dX });
  }
  return out;
}

/** Equal calls once each, in first-use order, with every name that issues them (names.length = calls per step). */
export function distinctGemms(calls: { name: string; call: GemmCall }[]): { names: string[]; call: GemmCall }[] {
  const byKey = new Map<string, { names: string[]; call: GemmCall }>();
  for (const { name, call: c } of calls) {
    const key = gemmKey(c);
    const seen = byKey.get(key);
    if (seen) seen.names.push(name);
    else byKey.set(key, { names: [name], call: c });
  }
  return [...byKey.values()];
}

/** A call as a string key: two calls with the same key run the same code on the same shapes. */
export function gemmKey(c: GemmCall): string {
  return [c.transA, c.transB, c.M, c.N, c.K, c.lda, c.ldb, c.ldc, c.accumulate].join(",");
}
