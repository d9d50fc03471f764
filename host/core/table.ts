// The layer table assembly/model.ts walks: one record per layer (fields by name from the ABI,
// host/core/abi.ts), written once per thread when a Model is built. A thread's records point at
// its slice of every activation buffer (host/core/model.ts resolves them from the plan's buffers)
// and at its own gradient arena; a layer the plan fuses with the next, or lets add itself into a skip, is marked so.
import type { Abi } from "./abi.js";
import { DEFAULT_SLOPE } from "./arch.js";
import type { LayerPlan, Shape3, TensorInfo } from "./plan.js";

export interface TablePointers {
  params: number;
  /** This thread's parameter-gradient arena (0: an inference model). */
  grads: number;
  /** Where this thread's first image of the input, each layer's output and its gradient (0: none) are. */
  input: number;
  outputs: readonly number[];
  outputGrads: readonly number[];
}

/** Writes the table of `plan`'s layers at byte address `at` in `buffer`. */
export function writeLayerTable(
  abi: Abi,
  buffer: ArrayBufferLike,
  at: number,
  plan: LayerPlan & { fused: readonly boolean[]; accumulates: readonly boolean[] },
  input: Shape3,
  p: TablePointers,
): void {
  const { layer: F, layerFields: nf, op: OP } = abi;
  const layers = plan.layers;
  const rec = new Int32Array(buffer, at, layers.length * nf);
  const f32bits = new Float32Array(1),
    i32bits = new Int32Array(f32bits.buffer);
  const tp = (x: TensorInfo | undefined, base: number) => (x && base ? base + x.offset * 4 : 0);
  const shape = (from: number) => (from < 0 ? input : layers[from].outShape);
  const act = (from: number) => (from < 0 ? p.input : p.outputs[from]);
  const grad = (from: number) => (from < 0 ? 0 : p.outputGrads[from]);
  layers.forEach((l, i) => {
    const r = rec.subarray(i * nf, (i + 1) * nf);
    r.fill(0);
    r[F.op] = OP[l.op];
    r[F.fuse] = plan.accumulates[i] ? abi.fuse.accumulate : plan.fused[i] ? abi.fuse.activation : 0;
    [r[F.inC], r[F.inH], r[F.inW]] = l.inShape;
    [r[F.outC], r[F.outH], r[F.outW]] = l.outShape;
    if (l.geom) {
      const g = l.geom;
      [r[F.kh], r[F.kw], r[F.sh], r[F.sw], r[F.ph], r[F.pw], r[F.oph], r[F.opw]] = [
        g.kh,
        g.kw,
        g.sh,
        g.sw,
        g.ph,
        g.pw,
        g.oph,
        g.opw,
      ];
      r[F.w] = tp(l.weight, p.params);
      r[F.bias] = tp(l.bias, p.params);
      r[F.dw] = tp(l.weight, p.grads);
      r[F.dbias] = tp(l.bias, p.grads);
    }
    if (l.spec.type === "leakyRelu") {
      f32bits[0] = l.spec.slope ?? DEFAULT_SLOPE;
      r[F.alpha] = i32bits[0];
    }
    r[F.x] = act(l.from);
    r[F.y] = act(i);
    r[F.dx] = grad(l.from);
    r[F.dy] = grad(i);
    if (l.from2 !== undefined) {
      r[F.x2] = act(l.from2);
      r[F.dx2] = grad(l.from2);
      r[F.x2C] = shape(l.from2)[0];
    }
  });
}
