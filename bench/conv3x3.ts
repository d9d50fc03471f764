// `node dist/bench/conv3x3.js --base DIR [--step] [--threads 2]`:
// unet24's convolutions at batch 64 (forward, and backward with dx, dw, db), this tree's build/ ("new")
// against the .wasm files in DIR ("base", e.g. a copy of build/ made on an earlier commit), same
// build (relaxed unless --build), same random operands. Before timing, each layer's outputs of the
// two engines are compared (max |new − base| per tensor). Timing alternates new / base for ROUNDS
// rounds (this VM's speed drifts, and another build may share the 2 cores) and reports the medians.
// --step also times a whole unet24 training step (Model.trainStep, batch 64) the same way.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { getArch } from "../host/core/arch.js";
import { openEngine, wasmFile, type BuildName, type Engine } from "../host/core/engine.js";
import { Model } from "../host/core/model.js";
import { openNodeEngine, nodePool } from "../host/node/engine.js";

const args = process.argv.slice(2);
const opt = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const BASE = opt("--base");
const BUILD = (opt("--build") ?? "relaxed") as BuildName;
const ROUNDS = Number(opt("--rounds") ?? 7);
const THREADS = Number(opt("--threads") ?? 1);
const B = 64;
if (!BASE) throw new Error("usage: conv3x3.js --base DIR (a directory holding another build's .wasm files)");

/** Median of `reps` timed runs (ms), after one warm-up run. */
function timeMs(fn: () => void, reps = 5): number {
  fn();
  const t: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn();
    t.push(performance.now() - t0);
  }
  return median(t);
}
const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1];

const engines = async (threads: boolean): Promise<[Engine, Engine]> => [
  await openNodeEngine({ build: BUILD, threads }),
  await openEngine((b, t) => readFile(join(BASE, wasmFile(b, t))), { build: BUILD, threads }),
];

// name, Cin, H (= W), Cout, stride, first layer (no dx); every conv is 3×3, padding 1.
const LAYERS: [string, number, number, number, number, boolean][] = [
  ["enc1.0 1→24 @28", 1, 28, 24, 1, true],
  ["enc1.1 / dec1.0 24→24 @28", 24, 28, 24, 1, false],
  ["enc2.0 24→48 @28 s2", 24, 28, 48, 2, false],
  ["enc2.1 / dec2.0 48→48 @14", 48, 14, 48, 1, false],
  ["mid.0 48→96 @14 s2", 48, 14, 96, 2, false],
  ["mid.1 96→96 @7", 96, 7, 96, 1, false],
  ["out 24→1 @28", 24, 28, 1, 1, false],
];

interface Bufs {
  x: number;
  w: number;
  bias: number;
  dy: number;
  y: number;
  dx: number;
  dw: number;
  db: number;
  ws: number;
}

async function perLayer(): Promise<void> {
  const [nu, base] = await engines(false);
  console.log(`| layer | fwd new ms | fwd base ms | bwd new ms | bwd base ms | max|new−base| y / dx / dw / db |`);
  console.log(`|---|---|---|---|---|---|`);
  let sums = [0, 0, 0, 0];
  for (const [name, Cin, H, Cout, s, first] of LAYERS) {
    const Ho = Math.floor((H + 2 - 3) / s) + 1;
    const n = { x: B * Cin * H * H, w: Cout * Cin * 9, y: B * Cout * Ho * Ho };
    const wsBytes = Math.max(
      ...[nu, base].map((e) => e.exports.conv2dWorkspaceBytes(B, Cin, H, H, Cout, 3, 3, s, s, 1, 1)),
    );
    const bufs = [nu, base].map((e) => {
      const a = (floats: number) => e.exports.alloc(Math.ceil(floats / 4) * 16);
      const mark = e.heapTop();
      const b: Bufs = {
        x: a(n.x),
        w: a(n.w),
        bias: a(Cout),
        dy: a(n.y),
        y: a(n.y),
        dx: a(n.x),
        dw: a(n.w),
        db: a(Cout),
        ws: e.exports.alloc(Math.ceil(wsBytes / 16) * 16),
      };
      let seed = 12345;
      const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
      const f = e.f32();
      for (const [k, m] of [
        ["x", n.x],
        ["w", n.w],
        ["bias", Cout],
        ["dy", n.y],
      ] as const)
        for (let i = 0; i < m; i++) f[b[k] / 4 + i] = rnd() * (k === "w" ? 0.2 : 1);
      return { e, b, mark };
    });
    const fwd =
      ({ e, b }: (typeof bufs)[0]) =>
      () =>
        e.exports.conv2dForward(b.y, b.x, b.w, b.bias, B, Cin, H, H, Cout, 3, 3, s, s, 1, 1, b.ws);
    const bwd =
      ({ e, b }: (typeof bufs)[0]) =>
      () =>
        e.exports.conv2dBackward(
          first ? 0 : b.dx,
          b.dw,
          b.db,
          b.dy,
          b.x,
          b.w,
          B,
          Cin,
          H,
          H,
          Cout,
          3,
          3,
          s,
          s,
          1,
          1,
          b.ws,
        );
    // Compare once on zeroed gradients.
    const diffs: string[] = [];
    for (const u of bufs) {
      fwd(u)();
      for (const k of ["dx", "dw", "db"] as const)
        u.e.exports.zero(u.b[k], 4 * (k === "dx" ? n.x : k === "dw" ? n.w : Cout));
      bwd(u)();
    }
    for (const [k, m] of [
      ["y", n.y],
      ["dx", n.x],
      ["dw", n.w],
      ["db", Cout],
    ] as const) {
      const [p, q] = bufs.map(({ e, b }) => e.f32().subarray(b[k] / 4, b[k] / 4 + m));
      let d = 0,
        big = 0;
      for (let i = 0; i < m; i++) {
        d = Math.max(d, Math.abs(p[i] - q[i]));
        big = Math.max(big, Math.abs(q[i]));
      }
      diffs.push(k === "dx" && first ? "-" : `${d.toExponential(1)} (of ${big.toPrecision(2)})`);
    }
    const t: number[][] = [[], [], [], []];
    for (let r = 0; r < ROUNDS; r++) {
      t[0].push(timeMs(fwd(bufs[0])));
      t[1].push(timeMs(fwd(bufs[1])));
      t[2].push(timeMs(bwd(bufs[0])));
      t[3].push(timeMs(bwd(bufs[1])));
    }
    const m = t.map(median);
    sums = sums.map((v, i) => v + m[i]);
    console.log(
      `| ${name} | ${m[0].toFixed(2)} | ${m[1].toFixed(2)} | ${m[2].toFixed(2)} | ${m[3].toFixed(2)} | ${diffs.join(" / ")} |`,
    );
    for (const { e, mark } of bufs) e.exports.release(mark);
  }
  console.log(`| sum (each layer once) | ${sums.map((v) => v.toFixed(2)).join(" | ")} | |`);
}

async function step(threads: number): Promise<void> {
  const [nu, base] = await engines(threads > 1);
  const models = await Promise.all(
    [nu, base].map(async (e) => {
      const m = new Model(e, getArch("unet24"), B, threads > 1 ? await nodePool(e, threads) : undefined);
      m.init(1);
      const tv = m.targetView(B);
      for (let i = 0; i < tv.length; i++) tv[i] = (i * 7919) % 13 < 3 ? (i % 255) / 255 : 0;
      e.exports.noiseGaussian(m.input, m.target, B, m.inputNumel, 0.5);
      return m;
    }),
  );
  const t: number[][] = [[], []];
  for (let r = 0; r < ROUNDS; r++) models.forEach((m, i) => t[i].push(timeMs(() => m.trainStep(B), 3)));
  const [a, b] = t.map(median);
  console.log(
    `unet24 trainStep, batch ${B}, ${threads} thread(s), ${BUILD}: new ${a.toFixed(1)} ms (${((1000 * B) / a).toFixed(0)} img/s), ` +
      `base ${b.toFixed(1)} ms (${((1000 * B) / b).toFixed(0)} img/s), speed-up ${(b / a).toFixed(2)}×`,
  );
  for (const m of models) m.pool?.close();
}

if (args.includes("--step")) await step(THREADS);
else await perLayer();
