// The page's training Worker: the same engine, Model and Trainer as Node, so the page never freezes
// and a strict-build run is bit-identical to Node's. It trains digits (the MNIST set) or patches of
// the user's photos (host/core/patches.ts, as `train --images`), from the page's current weights,
// and measures validation PSNR on held-out data before training, every VALIDATE_EVERY steps and
// at the end: the page adopts the new weights only if the end's beats the start's. It keeps its
// model between `run` messages: stop pauses after the current chunk of steps, the next `run` resumes.
import { patchArch } from "../host/core/arch.js";
import { loadEngine, wasmFile } from "../host/core/engine.js";
import { validateDigits } from "../host/core/eval.js";
import { imagesFromIdx, parseIdx } from "../host/core/idx.js";
import { Model, type LossKind } from "../host/core/model.js";
import { levelsFor, photoLevels } from "../host/core/noise.js";
import { MemoryPhotos, PatchBatches, splitPhotos } from "../host/core/patches.js";
import { photoValidator } from "../host/core/photoeval.js";
import { ThreadPool } from "../host/core/pool.js";
import { decodeSafetensors } from "../host/core/safetensors.js";
import { nextTask, Trainer } from "../host/core/train.js";
import { archOf, encodeWeights, loadWeights, weightsDigest } from "../host/core/weights.js";
import type { FromWorker, ToWorker, TrainSetup } from "./protocol.js";
import { spawnThread } from "./threads.js";

const ctx = self as unknown as {
  postMessage(m: FromWorker, transfer?: Transferable[]): void;
  onmessage: ((ev: MessageEvent<ToWorker>) => void) | null;
};

/** Validation runs this often (steps), besides before the first step and after the last. */
const VALIDATE_EVERY = 50;
/** Test digits the digit validation measures (each with the three noise kinds). */
const VAL_DIGITS = 100;
/** Share of the photos held out for validation (at least one). */
const VAL_SHARE = 0.2;

let trainer: Trainer | undefined;
let model: Model | undefined;
let validate: (() => number) | undefined;
let facts: Record<string, string> = {};
let steps = 0;
let stopRequested = false;
let running = false;
let losses: number[] = [];
let baseline = NaN, valPsnr = NaN;
let pool: ThreadPool | undefined;

async function init(setup: TrainSetup): Promise<void> {
  const threads = setup.threads > 1 && crossOriginIsolated ? setup.threads : 1;
  const engine = await loadEngine(async (b, t) => (await fetch(new URL(`../../build/${wasmFile(b, t)}`, import.meta.url))).arrayBuffer(), { build: setup.build, threads: threads > 1 });
  pool?.close();
  pool = threads > 1 ? await ThreadPool.create(engine, threads, spawnThread) : undefined;
  const st = decodeSafetensors(new Uint8Array(setup.weights), "page weights"), arch = archOf(st, "page weights", "seed");
  const d = setup.data;
  let what: string;
  if (d.kind === "digits") {
    model = new Model(engine, arch, setup.batch, pool);
    loadWeights(model, st, "page weights", true);
    const images = imagesFromIdx(parseIdx(new Uint8Array(d.images), "training digits"), "training digits");
    const val = imagesFromIdx(parseIdx(new Uint8Array(d.val), "test digits"), "test digits");
    // The weights' own recipe where they record it (loss, the mix of kinds).
    const mix = setup.noise === "mixed" ? st.metadata.mix : undefined;
    trainer = new Trainer(model, images, { noise: setup.noise, levels: levelsFor(setup.noise, undefined, mix), batch: setup.batch, seed: setup.seed, shuffle: true });
    validate = () => validateDigits(model!, val, VAL_DIGITS);
    what = `${Math.min(VAL_DIGITS, val.count)} test digits × gaussian, salt-and-pepper, speckle`;
    facts = { noise: setup.noise, ...(mix ? { mix } : {}) };
  } else {
    const src = new MemoryPhotos(d.photos);
    const { train, val } = splitPhotos(src, VAL_SHARE, setup.seed);
    if (!val.length) throw new Error("photo training needs at least 2 photos (one is held out for validation)");
    model = new Model(engine, patchArch(arch, d.patch), setup.batch, pool, { what: `a batch of ${setup.batch} patches of ${d.patch} px` });
    loadWeights(model, st, "page weights", true);
    const patches = new PatchBatches(src, train, d.patch, d.perImage, setup.seed);
    trainer = new Trainer(model, patches, { noise: "gaussian", levels: photoLevels(d.sigma, true), batch: setup.batch, seed: setup.seed, shuffle: true });
    const v = photoValidator(engine, pool, model, src, val, d.sigma);
    validate = v.validate;
    what = v.what;
    facts = { noise: "gaussian", sigma: d.sigma, clip: "true", data: `${train.length} photos in the page` };
  }
  model.adam.lr = setup.lr;
  model.loss = (st.metadata.loss as LossKind | undefined) ?? "mse";
  if (st.metadata.l1_weight) model.l1Weight = Number(st.metadata.l1_weight);
  steps = 0;
  losses = [];
  ctx.postMessage({ type: "ready", build: engine.build, reason: engine.reason, threads, validation: what });
  baseline = valPsnr = validate();
  ctx.postMessage({ type: "validation", step: 0, psnr: baseline });
}

function snapshot(type: "stopped" | "done"): void {
  const weights = encodeWeights(model!, { ...facts, trained_in: "browser worker", steps, val_psnr: valPsnr.toFixed(3) });
  ctx.postMessage({ type, step: steps, weights, digest: weightsDigest(model!), losses, valPsnr, baseline }, [weights.buffer]);
}

function measure(): void {
  valPsnr = validate!();
  ctx.postMessage({ type: "validation", step: steps, psnr: valPsnr });
}

async function run(n: number): Promise<void> {
  if (!trainer || running) return;
  running = true;
  stopRequested = false;
  const end = steps + n, B = trainer.opts.batch;
  let t0 = performance.now(), since = 0;
  while (steps < end && !stopRequested) {
    const chunk = Math.min(5, end - steps);
    let sum = 0;
    for (let i = 0; i < chunk; i++) {
      const loss = trainer.step();
      losses.push(loss);
      sum += loss;
    }
    steps += chunk;
    since += chunk;
    const dt = (performance.now() - t0) / 1000;
    // The epoch under way, 1-based (trainer.epoch counts completed ones).
    ctx.postMessage({ type: "progress", step: steps, epoch: trainer.epoch + (trainer.batch > 0 ? 1 : 0), loss: sum / chunk, imagesPerSecond: (since * B) / Math.max(dt, 1e-6) });
    if (dt > 2) { t0 = performance.now(); since = 0; }
    if (steps % VALIDATE_EVERY < chunk && steps < end) measure();
    await nextTask(); // let a `stop` message in
  }
  running = false;
  measure();
  snapshot(steps >= end ? "done" : "stopped");
}

ctx.onmessage = (ev) => {
  const m = ev.data;
  const fail = (e: unknown) => {
    running = false;
    ctx.postMessage({ type: "error", message: (e as Error).message });
  };
  if (m.type === "init") init(m.setup).catch(fail);
  else if (m.type === "run") run(m.steps).catch(fail);
  else if (m.type === "stop") stopRequested = true;
};
