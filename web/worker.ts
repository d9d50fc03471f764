// The page's training Worker: the same engine, Model and Trainer as Node, so the page never freezes
// and a strict-build run is bit-identical to Node's. It trains digits (the MNIST set) or patches of
// the user's photos (host/core/patches.ts, as `train --images`), from the page's current weights,
// and measures validation PSNR on held-out data before training, every VALIDATE_EVERY steps and
// at the end: the page adopts the new weights only if the end's beats the start's. It keeps its
// model between `run` messages: stop pauses after the current chunk of steps, the next `run` resumes.
import { loadEngine, type Runtime } from "../host/browser.js";
import { validateDigits } from "../host/core/eval.js";
import { imagesFromIdx, parseIdx } from "../host/core/idx.js";
import { luma } from "../host/core/image.js";
import type { LossKind } from "../host/core/model.js";
import { MemoryPhotos, PatchBatches, splitPhotos } from "../host/core/patches.js";
import { photoValidator } from "../host/core/photoeval.js";
import { imageShape } from "../host/core/arch.js";
import { buildTraining, recipe, type Recipe } from "../host/core/recipe.js";
import { decodeSafetensors } from "../host/core/safetensors.js";
import { nextTask, type Trainer } from "../host/core/train.js";
import { archOf, encodeWeights, weightsDigest } from "../host/core/weights.js";
import type { Model } from "../host/core/model.js";
import type { FromWorker, ToWorker, TrainSetup } from "./protocol.js";

const ctx = self as unknown as {
  postMessage(m: FromWorker, transfer?: Transferable[]): void;
  onmessage: ((ev: MessageEvent<ToWorker>) => void) | null;
};

/** Validation runs this often (steps), besides before the first step and after the last. */
const VALIDATE_EVERY = 50;
/** Test digits the digit validation measures (each with the three noise kinds). */
const VAL_DIGITS = 100;
/**
 * The page's recipe where it differs from the CLI's (host/core/recipe.ts): it fine-tunes a
 * shipped model on the few photos a person drops on it, so it holds out a larger share of them
 * for validation (at least one photo either way), and its learning rates (the form's) are the
 * shipped models' final ones, not a fresh run's.
 */
const PAGE_RECIPE: Partial<Recipe> = { valSplit: 0.2 };

let trainer: Trainer | undefined;
let model: Model | undefined;
let validate: (() => number) | undefined;
let facts: Record<string, string> = {};
let steps = 0;
let stopRequested = false;
let running = false;
let losses: number[] = [];
let baseline = NaN,
  valPsnr = NaN;
let rt: Runtime | undefined;

async function init(setup: TrainSetup): Promise<void> {
  rt?.close();
  rt = await loadEngine({ build: setup.build, threads: setup.threads });
  const st = decodeSafetensors(new Uint8Array(setup.weights), "page weights");
  const from = { tensors: st, name: "page weights", arch: archOf(st, "page weights", "seed") };
  // The weights' own loss where they record it (the shipped digit model: MSE + 0.1·L1).
  const own = {
    loss: st.metadata.loss as LossKind | undefined,
    l1Weight: st.metadata.l1_weight ? Number(st.metadata.l1_weight) : undefined,
  };
  const chosen = { ...PAGE_RECIPE, ...own, noise: setup.noise, batch: setup.batch, lr: setup.lr, seed: setup.seed };
  const d = setup.data;
  let what: string;
  if (d.kind === "digits") {
    // The weights' own mix of kinds where they record it.
    const r = recipe("images", { ...chosen, mix: setup.noise === "mixed" ? st.metadata.mix : undefined });
    const images = imagesFromIdx(parseIdx(new Uint8Array(d.images), "training digits"), "training digits");
    const val = imagesFromIdx(parseIdx(new Uint8Array(d.val), "test digits"), "test digits");
    ({ model, trainer } = buildTraining(rt, r, images, { from }));
    validate = () => validateDigits(model!, val, VAL_DIGITS);
    what = `${Math.min(VAL_DIGITS, val.count)} test digits × gaussian, salt-and-pepper, speckle`;
    facts = { noise: r.noise, ...(r.mix ? { mix: r.mix } : {}) };
  } else {
    const r = recipe("photos", {
      ...chosen,
      noise: "gaussian",
      patch: d.patch,
      patchesPerImage: d.perImage,
      sigma: d.sigma,
    });
    // The model's planes: R, G, B as sent, or their luma for a gray model.
    const C = imageShape(from.arch)[0];
    const src = new MemoryPhotos(
      C === 3
        ? d.photos
        : d.photos.map((p) => {
            const n = p.width * p.height,
              planes = [0, 1, 2].map((c) => p.pixels.subarray(c * n, (c + 1) * n));
            return { ...p, pixels: luma({ width: p.width, height: p.height, planes }) };
          }),
      C,
    );
    const { train, val } = splitPhotos(src, r.valSplit, r.seed);
    if (!val.length) throw new Error("photo training needs at least 2 photos (one is held out for validation)");
    const patches = new PatchBatches(src, train, r.patch, r.patchesPerImage, r.seed);
    ({ model, trainer } = buildTraining(rt, r, patches, {
      from,
      what: `a batch of ${r.batch} patches of ${r.patch} px`,
    }));
    const v = photoValidator(rt.engine, rt.pool, model, src, val, r.sigma!);
    validate = v.validate;
    what = v.what;
    facts = { noise: r.noise, sigma: r.sigma!, clip: String(r.clip), data: `${train.length} photos in the page` };
  }
  steps = 0;
  losses = [];
  ctx.postMessage({ type: "ready", build: rt.build, reason: rt.reason, threads: rt.threads, validation: what });
  baseline = valPsnr = validate();
  ctx.postMessage({ type: "validation", step: 0, psnr: baseline });
}

function snapshot(type: "stopped" | "done"): void {
  const weights = encodeWeights(model!, {
    ...facts,
    trained_in: "browser worker",
    steps,
    val_psnr: valPsnr.toFixed(3),
  });
  ctx.postMessage({ type, step: steps, weights, digest: weightsDigest(model!), losses, valPsnr, baseline }, [
    weights.buffer,
  ]);
}

function measure(): void {
  valPsnr = validate!();
  ctx.postMessage({ type: "validation", step: steps, psnr: valPsnr });
}

async function run(n: number): Promise<void> {
  if (!trainer || running) return;
  running = true;
  stopRequested = false;
  const end = steps + n,
    B = trainer.opts.batch;
  let t0 = performance.now(),
    since = 0;
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
    ctx.postMessage({
      type: "progress",
      step: steps,
      epoch: trainer.epoch + (trainer.batch > 0 ? 1 : 0),
      loss: sum / chunk,
      imagesPerSecond: (since * B) / Math.max(dt, 1e-6),
    });
    if (dt > 2) {
      t0 = performance.now();
      since = 0;
    }
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
