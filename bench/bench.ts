// `npm run bench`: the engine against itself (kernel workbench: validate every variant, then time it,
// as GFLOP/s and % of the measured peak), per layer, end to end (training and inference, 1 and 2
// threads), and the peers — TF.js 4.22 (wasm, cpu) and PyTorch (Debian's python3-torch, when present)
// — in the same run, with ratios. Writes bench/RESULTS.md and bench/results.png.
// Never part of `npm test`: timings belong here, correctness in the tests.
import { execFileSync } from "node:child_process";
import { cpus, totalmem } from "node:os";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { SEED, getArch, type Arch } from "../host/core/arch.js";
import { Canvas, type RGB } from "../host/node/canvas.js";
import type { BuildName, Engine } from "../host/core/engine.js";
import { Model } from "../host/core/model.js";
import { planLayers } from "../host/core/plan.js";
import { loadEngineNode, nodePool } from "../host/node/engine.js";
import { PACKAGE_ROOT, writeFileAtomic } from "../host/node/files.js";
import { encodeRgbPng } from "../host/node/png.js";
import type { ThreadPool } from "../host/core/pool.js";
import { distinctGemms, stepGemms, type GemmCall } from "./gemm-shapes.js";

const args = process.argv.slice(2);
const QUICK = args.includes("--quick");
const SECONDS = QUICK ? 0.6 : 2;
const PEER_SECONDS = QUICK ? 2 : 4;
/** Per GEMM variant (the workbench has ~30 calls × 3 builds). */
const GEMM_SECONDS = QUICK ? 0.3 : 1;
const lines: string[] = [];
const say = (s = "") => { lines.push(s); console.log(s); };

/** Median time (ms) of fn over repeated runs filling about `seconds`. */
function timeMs(fn: () => void, seconds = SECONDS): number {
  fn();
  const samples: number[] = [];
  const end = performance.now() + seconds * 1000;
  do {
    const t0 = performance.now();
    fn();
    samples.push(performance.now() - t0);
  } while (performance.now() < end || samples.length < 3);
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)];
}

// ---------------------------------------------------------------- machine
const cpu = cpus()[0]?.model ?? "?";
const pkg = JSON.parse(readFileSync(join(PACKAGE_ROOT, "package.json"), "utf8"));
say(`# denoise-wasm benchmark`);
say();
say(`Machine: ${cpu}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB; Node ${process.version}; ` +
  `assemblyscript ${pkg.devDependencies.assemblyscript}; ${new Date().toISOString().slice(0, 16)} UTC. Command: \`npm run bench\`` + (QUICK ? " (--quick)" : "") + ".");
say(`Every figure is a median of repeated runs in this one process run; peers ran in the same run as child processes, each right after ours on the same configuration.`);
say();

const engines: Partial<Record<BuildName, Engine>> = {};
for (const b of ["scalar", "strict", "relaxed"] as BuildName[]) {
  try {
    engines[b] = await loadEngineNode({ build: b });
  } catch (e) {
    say(`(${b} build unavailable here: ${(e as Error).message})`);
  }
}

// ---------------------------------------------------------------- peak
say(`## Peak: 12 independent f32x4 multiply-add chains, one core`);
say();
say(`| build | GFLOP/s |`);
say(`|---|---|`);
/** The peak kernel's GFLOP/s on build b now (this machine's speed drifts: each GEMM is compared with a peak taken next to it). */
function peakNow(b: BuildName, seconds = SECONDS): number {
  const iters = 2e6, flops = (b === "scalar" ? 8 : 96) * iters;
  return flops / timeMs(() => engines[b]!.exports.peakMadd(iters, 0.999, 0.001), seconds) / 1e6;
}
for (const b of Object.keys(engines) as BuildName[]) say(`| ${b} | ${peakNow(b).toFixed(1)} |`);
say();

// ---------------------------------------------------------------- GEMM workbench
/** A distinct gemm() call of a `seed` or `unet24` training step, named by its first user, with its count per step. */
interface Shape { name: string; call: GemmCall }
const SHAPES: Shape[] = [];
{
  const all = [SEED, getArch("unet24")].flatMap((arch) => stepGemms(arch, 64).map(({ name, call }) => ({ name: `${arch.name} ${name}`, call })));
  for (const { names: [first, ...rest], call } of distinctGemms(all)) {
    const arch = first.split(" ")[0];
    const also = rest.map((n) => (n.startsWith(`${arch} `) ? n.slice(arch.length + 1) : n));
    SHAPES.push({ name: first + (also.length ? ` ×${also.length + 1} (= ${also.join(", ")})` : ""), call });
  }
}
/** "A·Bᵀ"-style operand form of a call. */
const form = (c: GemmCall) => `${c.transA ? "Aᵀ" : "A"}·${c.transB ? "Bᵀ" : "B"}${c.accumulate ? " + C" : ""}`;
say(`## GEMM workbench: every gemm() call of a \`seed\` and a \`unet24\` training step at batch 64, one core`);
say();
say(`Forward cost per 28×28 image: ` + [SEED, getArch("unet24")].map((a) => `\`${a.name}\` ${(2 * new Model(engines.scalar ?? Object.values(engines)[0]!, a, 1).macsPerImage() / 1e6).toFixed(2)} MFLOP`).join(", ") + ".");
say();
say(`The calls exactly as assembly/conv2d.ts and conv_transpose2d.ts make them (operands, transposes, strides, overwrite or ` +
  `accumulate; bench/gemm-shapes.ts, checked against the layer code by test/bench-shapes.test.ts), each distinct call once: ` +
  `×n = that many calls per step, named after the first. ` +
  `Each variant is validated against the scalar reference (\`gemmRef\`) on the same random operands before it is timed: ` +
  `strict must match bit for bit, relaxed within fused-rounding error. % peak: of the peak kernel timed just before each GEMM ` +
  `on the same build (this VM's speed drifts by up to a third within minutes).`);
say();
say(`| GEMM | M×N×K | scalar GFLOP/s | strict GFLOP/s (% peak) | relaxed GFLOP/s (% peak) | max |relaxed − ref| |`);
say(`|---|---|---|---|---|---|`);
/** GFLOP/s over the peak kernel's, timed just before the GEMM on the same build. */
const gemmShare: Record<string, number> = {};
/** Floats each operand spans: A is [M or K rows of lda], B [K or N rows of ldb], C [M rows of ldc]. */
const spans = ({ transA, transB, M, N, K, lda, ldb, ldc }: GemmCall) => ({ a: (transA ? K : M) * lda, b: (transB ? N : K) * ldb, c: M * ldc });
/** Operands sized for the largest call, reserved once per engine (alloc never frees). */
const operands = new Map<BuildName, { a: number; bb: number; c: number; r: number; s: number }>();
const most = (f: (d: ReturnType<typeof spans>) => number) => 4 * Math.max(...SHAPES.map(({ call }) => f(spans(call))));
for (const { name, call } of SHAPES) {
  const { transA: tA, transB: tB, M, N, K, lda, ldb, ldc, accumulate: acc } = call;
  const cells: string[] = [];
  let relErr = 0;
  for (const b of ["scalar", "strict", "relaxed"] as BuildName[]) {
    const e = engines[b];
    if (!e) { cells.push("-"); continue; }
    const x = e.exports, f = () => e.f32();
    if (!operands.has(b)) {
      const cBytes = most((d) => d.c);
      operands.set(b, { a: x.alloc(most((d) => d.a)), bb: x.alloc(most((d) => d.b)), c: x.alloc(cBytes), r: x.alloc(cBytes), s: x.alloc(x.gemmScratchBytes()) });
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
    if (b !== "relaxed" && maxd !== 0) throw new Error(`${b} GEMM ${name} differs from the reference by ${maxd}: not timing a wrong kernel`);
    if (b === "relaxed") {
      relErr = maxd;
      if (maxd > K * 1.2e-7 * 4) throw new Error(`relaxed GEMM ${name} off by ${maxd}`);
    }
    const local = b === "scalar" ? 0 : peakNow(b, GEMM_SECONDS / 4);
    const ms = timeMs(() => x.gemm(tA, tB, M, N, K, a, lda, bb, ldb, c, ldc, acc, s), b === "scalar" ? GEMM_SECONDS / 2 : GEMM_SECONDS);
    const g = (2 * M * N * K) / ms / 1e6;
    gemmShare[`${b} ${name}`] = g / local;
    cells.push(b === "scalar" ? g.toFixed(1) : `${g.toFixed(1)} (${((100 * g) / local).toFixed(0)} %)`);
  }
  say(`| ${name} | ${M}×${N}×${K} ${form(call)} | ${cells.join(" | ")} | ${relErr.toExponential(1)} |`);
}
say();

// ---------------------------------------------------------------- per layer
const relaxed = engines.relaxed ?? engines.strict!;
say(`## Per layer, \`seed\` at batch 64, ${relaxed.build} build, one core (ms)`);
say();
say(`| layer | forward | backward |`);
say(`|---|---|---|`);
{
  const m = new Model(relaxed, SEED, 64);
  m.init(1);
  fillBatch(m, 64);
  const x = relaxed.exports, nf = relaxed.abi.layerFields;
  m.trainStep(64);
  let tf = 0, tb = 0;
  m.layers.forEach((l, i) => {
    const rec = m.table + i * nf * 4;
    const f = timeMs(() => x.modelForward(rec, 1, 64, m.workspace), SECONDS / 4);
    const b = timeMs(() => x.modelBackward(rec, 1, 64, m.workspace), SECONDS / 4);
    tf += f; tb += b;
    say(`| ${i} ${"name" in l.spec ? l.spec.name : l.spec.type} (${l.spec.type}) | ${f.toFixed(3)} | ${b.toFixed(3)} |`);
  });
  const o = m.adam;
  const adam = timeMs(() => x.adamStep(m.params, m.grads, m.adamM, m.adamV, m.paramFloats, o.lr, o.beta1, o.beta2, o.eps, o.weightDecay, 1), SECONDS / 4);
  say(`| all layers | ${tf.toFixed(2)} | ${tb.toFixed(2)} |`);
  say(`| Adam (${m.paramFloats} parameters) | ${adam.toFixed(3)} | |`);
}
say();

function fillBatch(m: Model, B: number): void {
  const t = m.targetView(B);
  for (let i = 0; i < t.length; i++) t[i] = (i * 7919) % 13 < 3 ? (i % 255) / 255 : 0;
  m.engine.exports.noiseGaussian(m.input, m.target, B, m.inputNumel, 0.5);
}

// ---------------------------------------------------------------- end to end, with the peers
// Each configuration: ours, then the peers on the same configuration straight after (this VM's
// speed drifts within minutes, so a ratio compares neighbours in time).
interface PeerResult { peer: string; backend?: string; mode: string; batch: number; threads: number; imagesPerSecond?: number; unsupported?: string; version?: string }
function peer(cmd: string, argv: string[], env: NodeJS.ProcessEnv = {}): PeerResult | { error: string } {
  try {
    const out = execFileSync(cmd, argv, { encoding: "utf8", env: { ...process.env, ...env }, timeout: 180_000, stdio: ["ignore", "pipe", "pipe"] });
    const line = out.trim().split("\n").filter((l) => l.startsWith("{")).pop();
    return line ? JSON.parse(line) : { error: "no JSON line" };
  } catch (e) {
    return { error: ((e as Error).message.split("\n")[0] ?? "failed").slice(0, 160) };
  }
}
const tfjs = (backend: string, mode: string, batch: number) =>
  peer(process.execPath, [join(PACKAGE_ROOT, "dist/bench/peers/tfjs.js"), "--backend", backend, "--mode", mode, "--batch", String(batch), "--seconds", String(PEER_SECONDS)]);
const torch = (mode: string, batch: number, threads: number) =>
  peer("/usr/bin/python3", [join(PACKAGE_ROOT, "bench/peers/pytorch.py"), "--mode", mode, "--batch", String(batch), "--threads", String(threads), "--seconds", String(PEER_SECONDS)], { OPENBLAS_NUM_THREADS: "1" });

const peerCells = new Map<string, string>();
const peerRates = new Map<string, number>();
const cellOf = (r: PeerResult | { error: string }, ours: number, key: string) => {
  if ("error" in r) return `error: ${r.error}`;
  if (r.unsupported) return `unsupported (${r.unsupported})`;
  peerRates.set(key, r.imagesPerSecond!);
  return `${r.imagesPerSecond!.toFixed(0)} (**${(ours / r.imagesPerSecond!).toFixed(2)}×**)`;
};
let torchVersion = "", tfjsVersion = "";
const bestOf = (a: PeerResult | { error: string }, b: PeerResult | { error: string }) =>
  "error" in a || !a.imagesPerSecond ? b : "error" in b || !b.imagesPerSecond ? a : a.imagesPerSecond >= b.imagesPerSecond ? a : b;
function runPeers(row: Row): void {
  const k = `${row.what}/${row.batch}/${row.threads}`;
  // PyTorch's speed on this VM swings by 2-3x between runs (1 700-5 900 img/s, one thread, batch 64):
  // it gets the better of two runs, so a ratio errs in its favour.
  const t = bestOf(torch(row.what, row.batch, row.threads), torch(row.what, row.batch, row.threads));
  if (!("error" in t) && t.version) torchVersion = t.version;
  peerCells.set(`torch ${k}`, cellOf(t, row.ours, `torch ${k}`));
  if (row.threads === 1) {
    for (const backend of ["wasm", "cpu"]) {
      if (row.what === "train" && row.batch !== 64) continue; // TF.js cpu training is slow: one batch size
      const r = tfjs(backend, row.what, row.batch);
      if (!("error" in r) && r.version) tfjsVersion = r.version;
      peerCells.set(`tfjs-${backend} ${k}`, cellOf(r, row.ours, `tfjs-${backend} ${k}`));
    }
  }
}
interface Row { what: string; batch: number; threads: number; ours: number; build: string }
const rows: Row[] = [];
const pools = new Map<string, { engine: Engine; pool: ThreadPool }>();
async function threaded(build: BuildName, threads: number) {
  const key = `${build}/${threads}`;
  if (!pools.has(key)) {
    const engine = await loadEngineNode({ build, threads: true });
    pools.set(key, { engine, pool: await nodePool(engine, threads) });
  }
  return pools.get(key)!;
}
async function endToEnd(arch: Arch, build: BuildName) {
  const runs: [string, number[]][] = [["train", [64, 256]], ["infer", [1, 256]]];
  for (const threads of [1, 2]) {
    const { engine, pool } = await threaded(build, threads);
    for (const [what, batches] of runs) {
      for (const B of batches) {
        const m = new Model(engine, arch, B, pool);
        m.init(1);
        fillBatch(m, B);
        const ms = timeMs(() => (what === "train" ? m.trainStep(B) : m.forward(B)));
        rows.push({ what, batch: B, threads, ours: (1000 * B) / ms, build });
        runPeers(rows.at(-1)!);
      }
    }
  }
}
const e2eBuild: BuildName = engines.relaxed ? "relaxed" : "strict";
await endToEnd(SEED, e2eBuild);

/** 1 → 2 thread training scaling at batch 64, the two timed in alternation (ROUNDS pairs, median of the ratios). */
async function scaling(arch: Arch, build: BuildName, B = 64, ROUNDS = 7): Promise<number> {
  const models = await Promise.all([1, 2].map(async (threads) => {
    const { engine, pool } = await threaded(build, threads);
    const m = new Model(engine, arch, B, pool);
    m.init(1);
    fillBatch(m, B);
    return m;
  }));
  const ratios: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const [one, two] = models.map((m) => timeMs(() => m.trainStep(B), SECONDS / 4));
    ratios.push(one / two);
  }
  ratios.sort((a, b) => a - b);
  return ratios[ROUNDS >> 1];
}
const scale = await scaling(SEED, e2eBuild);
for (const { pool } of pools.values()) pool.close();

say(`## End to end: \`seed\` (${(2 * new Model(relaxed, SEED, 1).macsPerImage() / 1e6).toFixed(2)} MFLOP per image forward), images/s`);
say();
say(`Ours: ${e2eBuild} build, threads over one shared memory. Training = zero_grad + forward + MSE + backward + Adam. ` +
  `Peers: PyTorch ${torchVersion || "(absent)"} (OPENBLAS_NUM_THREADS=1, torch.set_num_threads = our threads; the better of two runs), ` +
  `TF.js ${tfjsVersion || "(absent)"} (wasm and cpu backends, one thread in Node). In brackets: ours ÷ peer.`);
say();
say(`| run | batch | threads | ours | PyTorch | TF.js wasm | TF.js cpu |`);
say(`|---|---|---|---|---|---|---|`);
for (const r of rows) {
  const k = `${r.what}/${r.batch}/${r.threads}`;
  say(`| ${r.what} | ${r.batch} | ${r.threads} | ${r.ours.toFixed(0)} | ${peerCells.get(`torch ${k}`) ?? "-"} | ${peerCells.get(`tfjs-wasm ${k}`) ?? "-"} | ${peerCells.get(`tfjs-cpu ${k}`) ?? "-"} |`);
}
const lat = rows.find((r) => r.what === "infer" && r.batch === 1 && r.threads === 1)!;
const t1 = rows.find((r) => r.what === "train" && r.batch === 64 && r.threads === 1)!, t2 = rows.find((r) => r.what === "train" && r.batch === 64 && r.threads === 2)!;
say();
say(`Batch-1 latency: ${(1000 / lat.ours).toFixed(3)} ms. Training scaling 1 → 2 threads (batch 64), the two timed in alternation: ${scale.toFixed(2)}× ` +
  `(from the table's rows, timed minutes apart: ${(t2.ours / t1.ours).toFixed(2)}×).`);
say();

// ---------------------------------------------------------------- targets
const ratio = (key: string, ours: number) => (peerRates.has(key) ? ours / peerRates.get(key)! : NaN);
const bigShapes = SHAPES.filter(({ call: { M, N, K } }) => Math.min(M, N, K) >= 16).map(({ name }) => gemmShare[`${e2eBuild} ${name}`]);
const targets: [string, number, number, string][] = [
  ["training vs PyTorch, 2 threads, batch 64", ratio("torch train/64/2", t2.ours), 2.5, "×"],
  ["training vs PyTorch, 1 thread, batch 64", ratio("torch train/64/1", t1.ours), 2.5, "×"],
  ["inference batch 256 vs PyTorch, 2 threads", ratio("torch infer/256/2", rows.find((r) => r.what === "infer" && r.batch === 256 && r.threads === 2)!.ours), 2, "×"],
  ["batch-1 latency (ms, lower is better)", 1000 / lat.ours, 0.1, "ms"],
  ["GEMM on the large shapes (M, N, K ≥ 16), worst % of peak", 100 * Math.min(...bigShapes), 60, "%"],
  ["training scaling 1 → 2 threads (alternating)", scale, 1.8, "×"],
];
say(`## Targets`);
say();
say(`| target | measured | goal | met |`);
say(`|---|---|---|---|`);
for (const [name, v, goal, unit] of targets) {
  const met = unit === "ms" ? v <= goal : v >= goal;
  say(`| ${name} | ${Number.isFinite(v) ? v.toFixed(unit === "ms" ? 3 : 2) : "n/a"} ${unit} | ${unit === "ms" ? "≤" : "≥"} ${goal} ${unit} | ${Number.isFinite(v) ? (met ? "yes" : "no") : "n/a"} |`);
}
say();

// ---------------------------------------------------------------- chart
{
  const series: [string, RGB][] = [["ours", [31, 119, 180]], ["PyTorch", [255, 127, 14]], ["TF.js cpu", [44, 160, 44]], ["TF.js wasm", [148, 103, 189]]];
  const groups = rows.map((r) => {
    const k = `${r.what}/${r.batch}/${r.threads}`;
    return { label: `${r.what} b${r.batch} t${r.threads}`, vals: [r.ours, peerRates.get(`torch ${k}`) ?? 0, peerRates.get(`tfjs-cpu ${k}`) ?? 0, peerRates.get(`tfjs-wasm ${k}`) ?? 0] };
  });
  const W = 1100, H = 420, L = 70, B = 60, T = 40, c = new Canvas(W, H);
  const max = Math.max(...groups.flatMap((g) => g.vals)), log = (v: number) => (v > 0 ? Math.log10(v) : 0), top = Math.ceil(log(max));
  c.text(L, 10, "images/s (log scale), seed model", [0, 0, 0], 2);
  for (let p = 0; p <= top; p++) {
    const y = H - B - (p / top) * (H - B - T);
    c.line(L, y, W - 10, y, [220, 220, 220]);
    c.text(8, y - 3, String(10 ** p), [0, 0, 0], 1);
  }
  const gw = (W - L - 10) / groups.length, bw = gw / (series.length + 1);
  groups.forEach((g, i) => {
    g.vals.forEach((v, s) => {
      if (!v) return;
      const h = (log(v) / top) * (H - B - T);
      c.rect(Math.round(L + i * gw + s * bw + bw / 2), Math.round(H - B - h), Math.max(1, Math.round(bw - 2)), Math.round(h), series[s][1]);
    });
    c.text(Math.round(L + i * gw + 4), H - B + 8, g.label, [0, 0, 0], 1);
  });
  series.forEach(([n, col], s) => { c.rect(L + 420 + s * 150, 12, 12, 12, col); c.text(L + 438 + s * 150, 14, n, [0, 0, 0], 1); });
  writeFileAtomic(join(PACKAGE_ROOT, "bench/results.png"), encodeRgbPng(W, H, c.data));
}
say(`![images per second](results.png)`);
writeFileAtomic(join(PACKAGE_ROOT, "bench/RESULTS.md"), lines.join("\n") + "\n");
console.log(`\nwrote bench/RESULTS.md and bench/results.png`);
