// The GEMM workbench: every distinct gemm() call of a `seed` and a `unet24` training step at batch
// 64 (bench/gemm-shapes.ts), each build's variant validated against the scalar reference on random
// operands, then timed as GFLOP/s and as a share of the peak kernel timed just before it.
import { SEED, getArch } from "../../host/core/arch.js";
import type { BuildName } from "../../host/core/engine.js";
import { Model } from "../../host/core/model.js";
import { distinctGemms, stepGemms, type GemmCall } from "../gemm-shapes.js";
import type { Bench } from "./context.js";
import { peakNow, type Engines } from "./machine.js";

/** A distinct gemm() call of a `seed` or `unet24` training step, named by its first user, with its count per step. */
export interface Shape {
  name: string;
  call: GemmCall;
}

/** What the targets use: the shapes timed and each "build name" GEMM's share of the peak. */
export interface GemmResults {
  shapes: Shape[];
  gemmShare: Record<string, number>;
}

function gemmShapes(engines: Engines): Shape[] {
  const shapes: Shape[] = [];
  const x = Object.values(engines)[0]!.exports;
  const chunk = (B: number, perImage: number) => x.im2colChunkImages(B, perImage);
  const all = [SEED, getArch("unet24")].flatMap((arch) =>
    stepGemms(arch, 64, chunk, x).map((g) => ({ ...g, name: `${arch.name} ${g.name}` })),
  );
  for (const {
    names: [first, ...rest],
    call,
    count,
  } of distinctGemms(all)) {
    const arch = first.split(" ")[0];
    const also = rest.map((n) => (n.startsWith(`${arch} `) ? n.slice(arch.length + 1) : n));
    shapes.push({
      name: first + (count > 1 ? ` ×${count}` : "") + (also.length ? ` (= ${also.join(", ")})` : ""),
      call,
    });
  }
  return shapes;
}

/** "A·Bᵀ"-style operand form of a call. */
const form = (c: GemmCall) => `${c.transA ? "Aᵀ" : "A"}·${c.transB ? "Bᵀ" : "B"}${c.accumulate ? " + C" : ""}`;
/** Floats each operand spans: A is [M or K rows of lda], B [K or N rows of ldb], C [M rows of ldc]. */
const spans = ({ transA, transB, M, N, K, lda, ldb, ldc }: GemmCall) => ({
  a: (transA ? K : M) * lda,
  b: (transB ? N : K) * ldb,
  c: M * ldc,
});

export function gemmSection(bench: Bench, engines: Engines): GemmResults {
  const { say, timeMs, gemmSeconds: GEMM_SECONDS } = bench;
  const SHAPES = gemmShapes(engines);
  say(`## GEMM workbench: every gemm() call of a \`seed\` and a \`unet24\` training step at batch 64, one core`);
  say();
  say(
    `Forward cost per 28×28 image: ` +
      [SEED, getArch("unet24")]
        .map(
          (a) =>
            `\`${a.name}\` ${((2 * new Model(engines.scalar ?? Object.values(engines)[0]!, a, 1).macsPerImage()) / 1e6).toFixed(2)} MFLOP`,
        )
        .join(", ") +
      ".",
  );
  say();
  say(
    `The calls exactly as assembly/conv2d.ts and conv_transpose2d.ts make them (operands, transposes, strides, overwrite or ` +
      `accumulate; bench/gemm-shapes.ts, checked against the layer code by test/bench-shapes.test.ts), each distinct call once: ` +
      `×n = that many calls per step, named after the first. ` +
      `Each variant is validated against the scalar reference (\`gemmRef\`) on the same random operands before it is timed: ` +
      `strict must match bit for bit, relaxed within fused-rounding error. % peak: of the peak kernel timed just before each GEMM ` +
      `on the same build (this VM's speed drifts by up to a third within minutes).`,
  );
  say();
  say(`| GEMM | M×N×K | scalar GFLOP/s | strict GFLOP/s (% peak) | relaxed GFLOP/s (% peak) | max |relaxed − ref| |`);
  say(`|---|---|---|---|---|---|`);
  /** GFLOP/s over the peak kernel's, timed just before the GEMM on the same build. */
  const gemmShare: Record<string, number> = {};
  /** Operands sized for the largest call, reserved once per engine (alloc never frees). */
  const operands = new Map<BuildName, { a: number; bb: number; c: number; r: number; s: number }>();
  const most = (f: (d: ReturnType<typeof spans>) => number) =>
    4 * Math.max(...SHAPES.map(({ call }) => f(spans(call))));
  for (const { name, call } of SHAPES) {
    const { transA: tA, transB: tB, M, N, K, lda, ldb, ldc, accumulate: acc } = call;
    const cells: string[] = [];
    let relErr = 0;
    for (const b of ["scalar", "strict", "relaxed"] as BuildName[]) {
      const e = engines[b];
      if (!e) {
        cells.push("-");
        continue;
      }
      const x = e.exports,
        f = () => e.f32();
      if (!operands.has(b)) {
        const cBytes = most((d) => d.c);
        operands.set(b, {
          a: x.alloc(most((d) => d.a)),
          bb: x.alloc(most((d) => d.b)),
          c: x.alloc(cBytes),
          r: x.alloc(cBytes),
          s: x.alloc(x.gemmScratchBytes()),
        });
      }
      const { a, bb, c, r, s } = operands.get(b)!;
      let seed = 7;
      const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
      const n = spans(call);
      for (let i = 0; i < n.a; i++) f()[a / 4 + i] = rnd();
      for (let i = 0; i < n.b; i++) f()[bb / 4 + i] = rnd();
      for (let i = 0; i < n.c; i++) f()[c / 4 + i] = f()[r / 4 + i] = rnd(); // what an accumulating call adds to
      x.gemm(tA, tB, M, N, K, a, lda, bb, ldb, c, ldc, acc, s);
      x.gemmRef(tA, tB, M, N, K, a, lda, bb, ldb, r, ldc, acc);
      let maxd = 0;
      for (let i = 0; i < n.c; i++) maxd = Math.max(maxd, Math.abs(f()[c / 4 + i] - f()[r / 4 + i]));
      if (b !== "relaxed" && maxd !== 0)
        throw new Error(`${b} GEMM ${name} differs from the reference by ${maxd}: not timing a wrong kernel`);
      if (b === "relaxed") {
        relErr = maxd;
        if (maxd > K * 1.2e-7 * 4) throw new Error(`relaxed GEMM ${name} off by ${maxd}`);
      }
      const local = b === "scalar" ? 0 : peakNow(bench, engines, b, GEMM_SECONDS / 4);
      const ms = timeMs(
        () => x.gemm(tA, tB, M, N, K, a, lda, bb, ldb, c, ldc, acc, s),
        b === "scalar" ? GEMM_SECONDS / 2 : GEMM_SECONDS,
      );
      const g = (2 * M * N * K) / ms / 1e6;
      gemmShare[`${b} ${name}`] = g / local;
      cells.push(b === "scalar" ? g.toFixed(1) : `${g.toFixed(1)} (${((100 * g) / local).toFixed(0)} %)`);
    }
    say(`| ${name} | ${M}×${N}×${K} ${form(call)} | ${cells.join(" | ")} | ${relErr.toExponential(1)} |`);
  }
  say();
  return { shapes: SHAPES, gemmShare };
}
