// Where the time goes: the shipped photo model (data/photo.safetensors) at photo size, layer by layer,
// in the build `auto` picks. The network runs a group of layers at a time, in order (a step of the
// inference model, host/core/plan.ts planSteps: a convolution or an add with the activation it is fused
// with, a transposed convolution with the add it accumulates into), so every group reads the data a real forward pass gives it; after a check that the groups
// together give the whole forward's output bit for bit, `rounds` passes are timed group by group and each
// group's median is taken. One tile at 1 thread and at 2, where both threads share each layer as
// `denoise` runs a tile that fits whole (plan.ts splitLayers): the last column is how well each group scales.
import { existsSync } from "node:fs";
import type { Arch } from "../../host/core/arch.js";
import type { Engine } from "../../host/core/engine.js";
import { Model } from "../../host/core/model.js";
import { macsPerImage, planSteps, type LayerInfo } from "../../host/core/plan.js";
import type { ThreadPool } from "../../host/core/pool.js";
import { archOf, applyWeights } from "../../host/core/weights.js";
import { nodePool, openNodeEngine } from "../../host/node/engine.js";
import { DEFAULT_PHOTO_WEIGHTS, readSafetensors } from "../../host/node/files.js";
import { syntheticPhoto } from "../photo.js";
import type { Bench } from "./context.js";

/** Tile sides tried, largest first: the first whose 2-thread model fits the engine is profiled. */
const SIDES = [1024, 768, 512, 384, 256];
const QUICK_SIDE = 256;

const median = (v: number[]) => [...v].sort((a, b) => a - b)[(v.length - 1) >> 1];

interface Profile {
  side: number;
  /** Per group: median ms of the tile. */
  ms: number[];
  /** The whole forward, median ms, timed as `denoise` runs it. */
  whole: number;
}

/** Times the photo model's groups on one side² tile, its threads sharing each layer; undefined when it does not fit. */
function profileAt(
  engine: Engine,
  pool: ThreadPool | undefined,
  arch: Arch,
  side: number,
  load: (m: Model) => void,
  rounds: number,
): Profile | undefined {
  const threads = pool?.size ?? 1;
  let model: Model;
  try {
    model = new Model(engine, { ...arch, input: [arch.input[0], side, side] }, 1, pool, {
      inference: true,
      splitLayers: threads > 1,
    });
  } catch {
    return undefined;
  }
  try {
    load(model);
    // A noisy photo-like tile, with the noise-level map at σ 15 (what denoise fills in).
    const C = arch.input[0] - (arch.noiseMap ? 1 : 0);
    const photo = syntheticPhoto(side, side, C);
    const input = model.inputView(1);
    photo.planes.forEach((p, c) =>
      input.set(
        p.map((v, i) => v + (((i * 7919) % 31) - 15) / 255),
        c * side * side,
      ),
    );
    if (arch.noiseMap) input.fill(15 / 255, C * side * side, (C + 1) * side * side);
    const groups = planSteps(model.plan);
    // Validate before timing: the groups in order give the whole forward's output bit for bit.
    model.forward(1);
    const whole = model.outputView(1).slice();
    for (const [first, count] of groups) model.forward(1, first, count);
    const parts = model.outputView(1);
    for (let i = 0; i < whole.length; i++)
      if (!Object.is(whole[i], parts[i]))
        throw new Error(`profile: layer groups differ from the whole forward at output ${i}`);
    const samples = groups.map((): number[] => []),
      wholeSamples: number[] = [];
    for (let r = 0; r < rounds; r++) {
      groups.forEach(([first, count], g) => {
        const t0 = performance.now();
        model.forward(1, first, count);
        samples[g].push(performance.now() - t0);
      });
      const t0 = performance.now();
      model.forward(1);
      wholeSamples.push(performance.now() - t0);
    }
    return { side, ms: samples.map(median), whole: median(wholeSamples) };
  } finally {
    model.dispose();
  }
}

export async function profileSection(bench: Bench): Promise<void> {
  const { say, quick } = bench;
  say(`## Where the time goes: the photo model layer by layer`);
  say();
  if (!existsSync(DEFAULT_PHOTO_WEIGHTS)) {
    say("data/photo.safetensors is missing: skipped.");
    say();
    return;
  }
  const st = readSafetensors(DEFAULT_PHOTO_WEIGHTS),
    arch = archOf(st, DEFAULT_PHOTO_WEIGHTS, "cunet32");
  const load = (m: Model) => applyWeights(m, st, DEFAULT_PHOTO_WEIGHTS);
  const rounds = quick ? 2 : 5;
  const profiles = new Map<number, Profile>();
  let build = "",
    reason = "",
    side = 0;
  // 2 threads first (a workspace each: the larger model), and both thread counts profile one side.
  for (const threads of [2, 1]) {
    // The build auto picks, as the library loads it (a fresh engine a thread count).
    const engine = await openNodeEngine({ threads: threads > 1 });
    const pool = threads > 1 ? await nodePool(engine, threads) : undefined;
    try {
      build = engine.build;
      reason = engine.reason;
      for (const s of side ? [side] : quick ? [QUICK_SIDE] : SIDES) {
        const p = profileAt(engine, pool, arch, s, load, rounds);
        if (!p) continue;
        side = s;
        profiles.set(threads, p);
        break;
      }
    } finally {
      pool?.close();
    }
    if (!side) break;
  }
  const one = profiles.get(1),
    two = profiles.get(2);
  if (!one || !two) {
    say(`no tile of ${SIDES.join(", ")} pixels fits the engine's memory at 1 and 2 threads: skipped.`);
    say();
    return;
  }
  const engine = await openNodeEngine({});
  const model = new Model(engine, { ...arch, input: [arch.input[0], side, side] }, 1, undefined, {
    inference: true,
  });
  const groups = planSteps(model.plan),
    layers = model.layers;
  model.dispose();
  const total1 = one.ms.reduce((a, b) => a + b, 0),
    total2 = two.ms.reduce((a, b) => a + b, 0);
  const gflops = (macs: number, ms: number) => (2 * macs) / ms / 1e6;
  say(
    `\`${arch.name}\` (data/photo.safetensors) on a ${side}×${side} tile (${arch.input[0]} input planes), ${build} build (${reason}). ` +
      `Each row is a group of layers as the inference model runs it (a convolution or add with its fused activation; a transposed convolution with the skip add it accumulates into and that add's activation), ` +
      `timed alone but in order through the network, median of ${rounds} passes; GFLOP/s from the group's multiply-adds ` +
      `(2 FLOP each, the direct convolution's count). 1 thread; 2 threads sharing each layer, as \`denoise\` ` +
      `runs a tile that fits whole; scaling = (1-thread ms) ÷ (2-thread ms), 2.00 is perfect.`,
  );
  say();
  say(`| layers | output (C×H×W) | MMAC | 1 thread ms | % | GFLOP/s | 2 threads ms | GFLOP/s | scaling |`);
  say(`|---|---|---|---|---|---|---|---|---|`);
  groups.forEach(([first, count], g) => {
    const names = layers.slice(first, first + count).map((l) => ("name" in l.spec ? l.spec.name : l.op));
    const out = layers[first + count - 1].outShape;
    const macs = macsPerImage({ layers: layers.slice(first, first + count), tensors: [], paramFloats: 0 });
    const cell = (ms: number) => (macs ? gflops(macs, ms).toFixed(1) : "-");
    say(
      `| ${first} ${names.join(" + ")} | ${out.join("×")} | ${macs ? (macs / 1e6).toFixed(0) : "-"} | ${one.ms[g].toFixed(1)} | ` +
        `${((100 * one.ms[g]) / total1).toFixed(1)} | ${cell(one.ms[g])} | ${two.ms[g].toFixed(1)} | ${cell(two.ms[g])} | ` +
        `${(one.ms[g] / two.ms[g]).toFixed(2)} |`,
    );
  });
  const macs = macsPerImage({ layers, tensors: [], paramFloats: 0 });
  say(
    `| sum of the groups | | ${(macs / 1e6).toFixed(0)} | ${total1.toFixed(1)} | 100 | ${gflops(macs, total1).toFixed(1)} | ` +
      `${total2.toFixed(1)} | ${gflops(macs, total2).toFixed(1)} | ${(total1 / total2).toFixed(2)} |`,
  );
  say(
    `| whole forward | | | ${one.whole.toFixed(1)} | | ${gflops(macs, one.whole).toFixed(1)} | ` +
      `${two.whole.toFixed(1)} | ${gflops(macs, two.whole).toFixed(1)} | ${(one.whole / two.whole).toFixed(2)} |`,
  );
  say();
  say(
    `Megapixels per second of the network alone: ${((side * side) / 1e3 / one.whole).toFixed(2)} at 1 thread, ` +
      `${((side * side) / 1e3 / two.whole).toFixed(2)} at 2 (a tile of ${side}×${side}, no halo, no host work).`,
  );
  say();
}
