// `npm run bench`: the engine against itself (kernel workbench: validate every variant, then time it,
// as GFLOP/s and % of the measured peak), per layer, and end to end against the peers (bench/e2e.ts:
// seed, unet24 and the photo model unet32; PyTorch, ONNX Runtime web and node on our exported model,
// TF.js; alternating rounds, medians with their spread), plus a whole CLI epoch. Writes
// bench/RESULTS.md and bench/results.png.
// Never part of `npm test`: timings belong here, correctness in the tests.
import { cpus, tmpdir, totalmem } from "node:os";
import { copyFileSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { SEED, getArch, type Arch } from "../host/core/arch.js";
import { Canvas, type RGB } from "../host/node/canvas.js";
import type { BuildName, Engine } from "../host/core/engine.js";
import { Model } from "../host/core/model.js";
import { planLayers } from "../host/core/plan.js";
import { openNodeEngine } from "../host/node/engine.js";
import { PACKAGE_ROOT, writeFileAtomic } from "../host/node/files.js";
import { encodeRgbPng } from "../host/node/png.js";
import { distinctGemms, stepGemms, type GemmCall } from "./gemm-shapes.js";
import { best, endToEnd, epochAgainstStep, fmt, PEERS, timeMs as timeMsFor, versions, type EpochData, type Row } from "./e2e.js";
import { noiseSpec } from "../host/core/noise.js";
import { PHOTO_H, PHOTO_W, photoBench } from "./photo.js";

const args = process.argv.slice(2);
const QUICK = args.includes("--quick");
const SECONDS = QUICK ? 0.6 : 2;
const PEER_SECONDS = QUICK ? 2 : 4;
/** Per GEMM variant (the workbench has ~30 calls × 3 builds). */
const GEMM_SECONDS = QUICK ? 0.3 : 1;
/** The photo-patch CLI epoch: 9 training photos × perImage patches of patch² (90 steps of 64). */
const PATCH_EPOCH = { patch: 48, perImage: QUICK ? 64 : 640 };
const lines: string[] = [];
const say = (s = "") => { lines.push(s); console.log(s); };

const timeMs = (fn: () => void, seconds = SECONDS) => timeMsFor(fn, seconds);

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
    engines[b] = await openNodeEngine({ build: b });
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
  const chunk = (B: number, perImage: number) => Object.values(engines)[0]!.exports.im2colChunkImages(B, perImage);
  const all = [SEED, getArch("unet24")].flatMap((arch) => stepGemms(arch, 64, chunk).map((g) => ({ ...g, name: `${arch.name} ${g.name}` })));
  for (const { names: [first, ...rest], call, count } of distinctGemms(all)) {
    const arch = first.split(" ")[0];
    const also = rest.map((n) => (n.startsWith(`${arch} `) ? n.slice(arch.length + 1) : n));
    SHAPES.push({ name: first + (count > 1 ? ` ×${count}` : "") + (also.length ? ` (= ${also.join(", ")})` : ""), call });
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
  const x = relaxed.exports, nf = relaxed.abi.layerFields;
  const t = m.targetView(64);
  for (let i = 0; i < t.length; i++) t[i] = (i * 7919) % 13 < 3 ? (i % 255) / 255 : 0;
  m.trainStep(64, noiseSpec("gaussian"));
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

// ---------------------------------------------------------------- end to end, with the peers
const e2eBuild: BuildName = engines.relaxed ? "relaxed" : "strict";
const ROUNDS = QUICK ? 1 : 3;
const rows = await endToEnd({ build: e2eBuild, rounds: ROUNDS, seconds: QUICK ? 0.5 : SECONDS, say: (t) => console.log(t ?? "") });
const mflop = (a: Arch) => (2 * new Model(relaxed, a, 1, undefined, { inference: true }).macsPerImage()) / 1e6;
const ratioCell = (row: Row, peer: string) => {
  const m = row.peers.get(`${peer}/${row.threads}`), b = best(row, peer);
  const note = row.notes.get(`${peer}/${row.threads}`);
  if (!m && !b) return note ?? "-";
  const bestNote = b && b.threads !== row.threads ? `; best ${b.m.median.toFixed(0)} at ${b.threads} thr` : "";
  return `${fmt(m)} (**${(row.ours.median / b!.m.median).toFixed(2)}×**${bestNote})`;
};
say(`## End to end: images/s, median [min–max] of ${ROUNDS} round${ROUNDS > 1 ? "s" : ""}`);
say();
say(`Ours: ${e2eBuild} build; training = noise sampled per image on the threads + zero_grad + forward + MSE + backward + Adam; ` +
  `inference models have no gradient arenas. Each round runs ours at 1 and 2 threads and every peer at 1 and 2 threads, in turn; ` +
  `a pool of ours is made for each measurement and closed before any peer starts, so peers never run beside our worker threads. ` +
  `Peers: PyTorch ${versions.get("PyTorch") ?? "(absent)"} (Debian's python3-torch, OPENBLAS_NUM_THREADS=1, the same network built from our architecture JSON); ` +
  `ONNX Runtime ${versions.get("ORT web") ?? "web (absent)"} web (wasm) and ${versions.get("ORT node") ?? "node (absent)"} node (native) running *our exported ONNX model*; ` +
  `TF.js ${versions.get("TF.js wasm") ?? "(absent)"} on \`seed\` (one thread). ` +
  `In brackets: our median ÷ the peer's best median at no more threads than ours had.`);
say();
for (const arch of [...new Set(rows.map((r) => r.arch))]) {
  say(`### \`${arch.name}\`: ${arch.input.join("×")} per image, ${mflop(arch).toFixed(1)} MFLOP forward`);
  say();
  say(`| run | batch | threads | ours | ${PEERS.join(" | ")} |`);
  say(`|---|---|---|---|${PEERS.map(() => "---|").join("")}`);
  for (const r of rows.filter((x) => x.arch === arch)) say(`| ${r.what} | ${r.batch} | ${r.threads} | ${fmt(r.ours)} | ${PEERS.map((p) => ratioCell(r, p)).join(" | ")} |`);
  say();
}
const row = (arch: string, what: string, batch: number, threads: number) => rows.find((r) => r.arch.name === arch && r.what === what && r.batch === batch && r.threads === threads);
const lat = row("seed", "infer", 1, 1)!;
const scale = row("seed", "train", 64, 2)!.ours.median / row("seed", "train", 64, 1)!.ours.median;
say(`Batch-1 latency (\`seed\`, inference model, one thread): ${(1000 / lat.ours.median).toFixed(3)} ms. ` +
  `Training scaling 1 → 2 threads (\`seed\`, batch 64, timed in alternating rounds): ${scale.toFixed(2)}×.`);
say();

// ---------------------------------------------------------------- the whole CLI epoch
say(`## A whole CLI training epoch against the step alone`);
say();
say(`\`denoise-wasm train --epochs 1 --batch 64\`: on MNIST (batch assembly, per-image noise on the threads, the step, the per-step ` +
  `non-finite check and progress included), and on the photo folder data/photos/train (${PATCH_EPOCH.perImage} random ${PATCH_EPOCH.patch}×${PATCH_EPOCH.patch} ` +
  `patches per photo under the 8 flips and rotations, decoded on demand, noise σ 0–55 drawn per patch, clipped to 8 bits). Items/s as the CLI ` +
  `prints them for the epoch (the validation pass and checkpoint write after it are not in the epoch's time). The step alone ` +
  `(for patches: \`unet32\` on ${PATCH_EPOCH.patch}×${PATCH_EPOCH.patch}, batch 64) is timed again here, each round right before the epoch, so ` +
  `that the two share the machine's state of the moment: median [min–max] of ${ROUNDS} round${ROUNDS > 1 ? "s" : ""}, ratio of the medians.`);
say();
say(`| network | data | threads | CLI epoch | step alone | epoch ÷ step | PyTorch training step (best) | epoch ÷ PyTorch |`);
say(`|---|---|---|---|---|---|---|---|`);
const epochs: { arch: string; data: string; threads: number; epoch: number; step: number; torch?: number }[] = [];
// The photo epoch reads the 9 committed photos of data/photos/train (its files, not the subfolder
// data/photos/make.py adds for the photo model's training), so it is the same in every clone.
const patchDir = mkdtempSync(join(tmpdir(), "denoise-wasm-bench-photos-"));
for (const d of readdirSync(join(PACKAGE_ROOT, "data/photos/train"), { withFileTypes: true })) {
  if (d.isFile()) copyFileSync(join(PACKAGE_ROOT, "data/photos/train", d.name), join(patchDir, d.name));
}
const epochRuns: [string, EpochData, number[]][] = [
  ["seed", { kind: "mnist" }, [1, 2]], ["unet24", { kind: "mnist", limit: 6400 }, [1, 2]],
  ["unet32", { kind: "photos", dir: patchDir, ...PATCH_EPOCH }, [2]],
];
for (const [arch, data, threadCounts] of epochRuns) {
  const label = data.kind === "mnist" ? `MNIST, ${data.limit ?? 60000} images` : `${data.perImage} patches × ${readdirSync(data.dir).length} photos`;
  for (const threads of threadCounts) {
    const r = row(arch, "train", 64, threads)!, torch = best(r, "PyTorch")?.m.median;
    const m = await epochAgainstStep(r, threads, e2eBuild, data, ROUNDS, SECONDS);
    if (typeof m === "string") { say(`| ${arch} | ${label} | ${threads} | ${m} | | | | |`); continue; }
    const { epoch: e, step: s } = m;
    epochs.push({ arch, data: data.kind, threads, epoch: e.median, step: s.median, torch });
    say(`| ${arch} | ${label} | ${threads} | ${fmt(e)} | ${fmt(s)} | ${(e.median / s.median).toFixed(2)} | ${torch?.toFixed(0) ?? "-"} | ${torch ? (e.median / torch).toFixed(2) + "×" : "-"} |`);
  }
}
say();

// ---------------------------------------------------------------- photos: 24 megapixels in tiles
say(`## Photos: ${PHOTO_W}×${PHOTO_H} (24 MP) through the shipped photo model in tiles`);
say();
const photoRuns = await photoBench(e2eBuild, (t) => console.log(t));
if (!photoRuns) say("data/photo.safetensors is missing: skipped.");
else {
  say(`\`denoisePlanar\` (what \`denoise\` runs) on a synthetic photo, tile size "auto" within --max-memory 512 MiB for the engine's ` +
    `whole wasm memory, ${e2eBuild} build; colour = three planes (luma-chroma). One run each (tens of seconds).`);
  say();
  say(`| photo | threads | seconds | MP/s | wasm memory (MiB) | tiles per plane |`);
  say(`|---|---|---|---|---|---|`);
  for (const r of photoRuns) say(`| ${r.planes === 1 ? "gray" : "colour"} | ${r.threads} | ${r.seconds.toFixed(1)} | ${r.mpPerSecond.toFixed(2)} | ${r.wasmMiB.toFixed(0)} | ${r.tiles} |`);
}
say();

// ---------------------------------------------------------------- targets
const vs = (r: Row | undefined, peer: string) => (r && best(r, peer) ? r.ours.median / best(r, peer)!.m.median : NaN);
const bigShapes = SHAPES.filter(({ call: { M, N, K } }) => Math.min(M, N, K) >= 16).map(({ name }) => gemmShare[`${e2eBuild} ${name}`]);
const ep = (arch: string, t: number) => epochs.find((e) => e.arch === arch && e.threads === t);
const epochShare = (arch: string, t: number) => (ep(arch, t)?.epoch ?? NaN) / (ep(arch, t)?.step ?? NaN);
const targets: [string, number, number, string][] = [
  ["unet24 training b64 vs PyTorch, 1 thread", vs(row("unet24", "train", 64, 1), "PyTorch"), 1.0, "×"],
  ["unet24 training b64 vs PyTorch, 2 threads", vs(row("unet24", "train", 64, 2), "PyTorch"), 1.0, "×"],
  ["unet24 inference b256 vs PyTorch, 1 thread", vs(row("unet24", "infer", 256, 1), "PyTorch"), 1.2, "×"],
  ["unet24 inference b256 vs PyTorch, 2 threads", vs(row("unet24", "infer", 256, 2), "PyTorch"), 1.2, "×"],
  ["unet24 inference b256 vs ONNX Runtime web, 1 thread", vs(row("unet24", "infer", 256, 1), "ORT web"), 3, "×"],
  ["unet24 inference b256 vs ONNX Runtime web, 2 threads", vs(row("unet24", "infer", 256, 2), "ORT web"), 3, "×"],
  ["unet24 inference b256 vs ONNX Runtime node, 2 threads (reported)", vs(row("unet24", "infer", 256, 2), "ORT node"), 0, "×"],
  ["seed CLI epoch vs PyTorch training, 1 thread", (ep("seed", 1)?.epoch ?? NaN) / (ep("seed", 1)?.torch ?? NaN), 2, "×"],
  ["seed CLI epoch vs PyTorch training, 2 threads", (ep("seed", 2)?.epoch ?? NaN) / (ep("seed", 2)?.torch ?? NaN), 2, "×"],
  ["seed CLI epoch ÷ step alone, 2 threads", epochShare("seed", 2), 0.9, "×"],
  ["unet24 CLI epoch ÷ step alone, 2 threads", epochShare("unet24", 2), 0.9, "×"],
  ["unet32 photo-patch CLI epoch ÷ step alone, 2 threads", epochShare("unet32", 2), 0.9, "×"],
  ["seed batch-1 latency (ms, lower is better)", 1000 / lat.ours.median, 0.06, "ms"],
  ["GEMM on the large shapes (M, N, K ≥ 16), worst % of peak", 100 * Math.min(...bigShapes), 60, "%"],
  ["24 MP photo (gray and colour): most wasm memory (MiB, lower is better)", photoRuns ? Math.max(...photoRuns.map((r) => r.wasmMiB)) : NaN, 512, "MiB"],
];
say(`## Targets`);
say();
say(`| target | measured | goal | met |`);
say(`|---|---|---|---|`);
for (const [name, v, goal, unit] of targets) {
  const atMost = unit === "ms" || unit === "MiB", met = atMost ? v <= goal : v >= goal;
  const shown = Number.isFinite(v) ? `${v.toFixed(unit === "ms" ? 3 : unit === "MiB" ? 0 : 2)} ${unit}` : "n/a";
  say(`| ${name} | ${shown} | ${goal ? `${atMost ? "≤" : "≥"} ${goal} ${unit}` : "-"} | ${!goal ? "-" : Number.isFinite(v) ? (met ? "yes" : "no") : "n/a"} |`);
}
say();

// ---------------------------------------------------------------- chart
{
  const series: [string, RGB][] = [["ours", [31, 119, 180]], ["PyTorch", [255, 127, 14]], ["ORT web", [148, 103, 189]], ["ORT node", [44, 160, 44]]];
  const groups = rows.map((r) => ({
    label: `${r.arch.name}${r.arch.name === "unet32" ? `@${r.arch.input[1]}` : ""} ${r.what[0]}${r.batch} t${r.threads}`,
    vals: [r.ours.median, ...series.slice(1).map(([p]) => r.peers.get(`${p}/${r.threads}`)?.median ?? 0)],
  }));
  const W = 1400, H = 440, L = 70, B = 60, T = 40, c = new Canvas(W, H);
  const max = Math.max(...groups.flatMap((g) => g.vals)), log = (v: number) => (v > 0 ? Math.log10(v) : 0), top = Math.ceil(log(max));
  c.text(L, 10, "images/s (log scale), median of the rounds", [0, 0, 0], 2);
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
    c.text(Math.round(L + i * gw + 2), H - B + 8 + (i % 2) * 12, g.label, [0, 0, 0], 1);
  });
  series.forEach(([n, col], s) => { c.rect(L + 520 + s * 150, 12, 12, 12, col); c.text(L + 538 + s * 150, 14, n, [0, 0, 0], 1); });
  writeFileAtomic(join(PACKAGE_ROOT, "bench/results.png"), encodeRgbPng(W, H, c.data));
}
say(`![images per second](results.png)`);
writeFileAtomic(join(PACKAGE_ROOT, "bench/RESULTS.md"), lines.join("\n") + "\n");
console.log(`\nwrote bench/RESULTS.md and bench/results.png`);
