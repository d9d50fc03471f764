// bench/gemm-shapes.ts lists the gemm() calls a training step issues on the im2col + GEMM paths, and
// the bench times exactly those. This runs the engine's own layer code on the same geometry and
// compares: assembly/conv2d.ts and assembly/conv_transpose2d.ts are transpiled to JavaScript by
// TypeScript (types and casts stripped, `@inline` dropped, every `/` truncated as i32 division is),
// gemm() records its arguments, the stride-2 Winograd's size rule (winogradS2Pays) is the engine's,
// and every other kernel they call (the fast 3×3 paths included) is a no-op. A changed branch,
// transpose, dimension or stride in either file fails here until gemm-shapes.ts follows it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";
import { ARCHS, type Arch } from "../host/core/arch.js";
import { planLayers } from "../host/core/plan.js";
import { PACKAGE_ROOT } from "../host/node/files.js";
import { openNodeEngine } from "../host/node/engine.js";
import { gemmKey, stepGemms, type GemmCall } from "../bench/gemm-shapes.js";

/** `/` → Math.trunc(… / …): the layer files divide only i32s, which truncate. */
const truncateDivision: ts.TransformerFactory<ts.SourceFile> = (ctx) => (sf) => {
  const visit = (node: ts.Node): ts.Node => {
    node = ts.visitEachChild(node, visit, ctx);
    if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.SlashEqualsToken) {
      throw new Error("`/=` in a layer file: teach this test to truncate it");
    }
    if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.SlashToken) {
      const trunc = ctx.factory.createPropertyAccessExpression(ctx.factory.createIdentifier("Math"), "trunc");
      return ctx.factory.createCallExpression(trunc, undefined, [node]);
    }
    return node;
  };
  return ts.visitNode(sf, visit) as ts.SourceFile;
};

type Layer = Record<string, (...args: number[]) => number>;

/** An assembly/ file as CommonJS JavaScript (see the header). */
function transpile(source: string): string {
  return ts.transpileModule(source.replace(/^@inline\s+/gm, ""), {
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS },
    transformers: { before: [truncateDivision] },
  }).outputText;
}

/** The engine's own answers to which passes take a fast path (assembly/conv2d.ts conv2dPath, conv_transpose2d.ts). */
const fast = (await openNodeEngine({ build: "scalar" })).exports;
/** winograd_s2.ts winogradS2Pays as the engine applies it (a 3×3 stride-2 layer of 2 → 2 channels). */
const winogradS2Pays = (H: number, W: number, transposed: boolean) =>
  transposed
    ? fast.convTranspose2dWinograd(2, H, W, 2, 3, 3, 2, 2, 1, 1, 0, 0) !== 0
    : fast.conv2dPath(2, H, W, 2, 3, 3, 2, 2, 1, 1) !== 0;

/** assembly/workspace.ts itself: the layer files take their image chunks (im2colChunkImages) from it. */
const workspace: Layer = {};
new Function(
  "require",
  "exports",
  "min",
  "max",
  transpile(readFileSync(join(PACKAGE_ROOT, "assembly/workspace.ts"), "utf8")),
)(() => ({ gemmScratchBytes: () => 0 }), workspace, Math.min, Math.max);

/** The exports of one assembly/ layer file as JavaScript; gemm() calls go to `record`. */
function layerModule(source: string, record: (c: GemmCall) => void): Layer {
  const js = transpile(source);
  const gemm = (
    transA: number,
    transB: number,
    M: number,
    N: number,
    K: number,
    _a: number,
    lda: number,
    _b: number,
    ldb: number,
    _c: number,
    ldc: number,
    accumulate: number,
  ) => record({ transA, transB, M, N, K, lda, ldb, ldc, accumulate });
  const noop = new Proxy({}, { get: () => () => 0 });
  // A training step runs every layer whole (one part): assembly/winograd_chunks.ts's share loop as one
  // thread runs it (share `part`, then none; part 0 runs what is not shared); its other helpers no-ops.
  const shares: Record<string, (...args: number[]) => number | boolean> = {
    firstShare: (part) => part,
    nextShare: (s, parts) => s + parts,
    runsWhole: (part) => part === 0,
  };
  const require = (path: string) =>
    path === "./gemm"
      ? { gemm, gemmScratchBytes: () => 0 }
      : path === "./workspace"
        ? workspace
        : path === "./winograd_chunks"
          ? new Proxy(shares, { get: (t, k: string) => t[k] ?? (() => 0) })
          : path === "./winograd_s2"
            ? new Proxy({ winogradS2Pays }, { get: (t, k) => (k === "winogradS2Pays" ? t.winogradS2Pays : () => 0) })
            : noop;
  const exports: Layer = {};
  // load/store: AssemblyScript builtins the transposed conv's bias fill uses; nothing reads memory here.
  // min/max: AssemblyScript builtins, Math's on i32s.
  new Function("require", "exports", "load", "store", "min", "max", js)(
    require,
    exports,
    () => 0,
    () => {},
    Math.min,
    Math.max,
  );
  return exports;
}

const conv2dSource = readFileSync(join(PACKAGE_ROOT, "assembly/conv2d.ts"), "utf8");
const convT2dSource = readFileSync(join(PACKAGE_ROOT, "assembly/conv_transpose2d.ts"), "utf8");

/** The gemm() calls the engine's layer code makes for one training step of `arch` at batch B. */
function engineGemms(arch: Arch, B: number, conv2d = conv2dSource, convT2d = convT2dSource): GemmCall[] {
  const calls: GemmCall[] = [];
  const c = layerModule(conv2d, (g) => calls.push(g)),
    t = layerModule(convT2d, (g) => calls.push(g));
  // Pointers only need to be nonzero where the engine tests them (dx = 0: the first layer, no input gradient).
  const y = 1,
    x = 2,
    w = 3,
    bias = 4,
    dw = 5,
    db = 6,
    dy = 7,
    ws = 8;
  for (const l of planLayers(arch).layers) {
    if (!l.geom) continue;
    const { kh, kw, sh, sw, ph, pw, oph, opw } = l.geom;
    const [Cin, H, W] = l.inShape,
      Cout = l.outShape[0],
      dx = l.from >= 0 ? 9 : 0;
    if (l.op === "conv2d") {
      c.conv2dForward(y, x, w, bias, B, Cin, H, W, Cout, kh, kw, sh, sw, ph, pw, ws);
      c.conv2dBackward(dx, dw, db, dy, x, w, B, Cin, H, W, Cout, kh, kw, sh, sw, ph, pw, ws);
    } else {
      t.convTranspose2dForward(y, x, w, bias, B, Cin, H, W, Cout, kh, kw, sh, sw, ph, pw, oph, opw, ws);
      t.convTranspose2dBackward(dx, dw, db, dy, x, w, B, Cin, H, W, Cout, kh, kw, sh, sw, ph, pw, oph, opw, ws);
    }
  }
  return calls;
}

const sorted = (calls: GemmCall[]) => calls.map(gemmKey).sort();

test("bench/gemm-shapes.ts lists exactly the gemm() calls the conv layers issue, every architecture, batch 64 and 1", () => {
  for (const arch of Object.values(ARCHS)) {
    for (const B of [64, 1]) {
      const listed = stepGemms(arch, B, workspace.im2colChunkImages, fast).flatMap((g) =>
        Array<GemmCall>(g.count).fill(g.call),
      );
      assert.deepEqual(
        sorted(listed),
        sorted(engineGemms(arch, B)),
        `${arch.name} at batch ${B} (transA,transB,M,N,K,lda,ldb,ldc,accumulate)`,
      );
    }
  }
});

test("the comparison sees each layer file's dense path (a changed transpose there is caught)", () => {
  // seed's 7×7 conv to the code and the code → 7×7 transposed conv take the dense branches.
  const swapped = (src: string, from: string, to: string) => {
    assert.ok(src.includes(from), `expected ${from} in the layer source`);
    return src.replace(from, to);
  };
  const seed = ARCHS.seed,
    listed = sorted(
      stepGemms(seed, 64, workspace.im2colChunkImages, fast).flatMap((g) => Array<GemmCall>(g.count).fill(g.call)),
    );
  const conv = swapped(conv2dSource, "gemm(0, 1, Cout, B, K,", "gemm(0, 0, Cout, B, K,");
  assert.notDeepEqual(sorted(engineGemms(seed, 64, conv)), listed);
  const convT = swapped(convT2dSource, "gemm(0, 1, B, Cin, Kc,", "gemm(0, 0, B, Cin, Kc,");
  assert.notDeepEqual(sorted(engineGemms(seed, 64, conv2dSource, convT)), listed);
});
