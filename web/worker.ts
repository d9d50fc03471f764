// The page's training Worker: the same engine, Model and Trainer as Node, so the page never freezes
// and a strict-build run is bit-identical to Node's. It keeps its model between `run` messages:
// stop pauses after the current chunk of steps, the next `run` resumes.
import { loadEngine, wasmFile } from "../host/core/engine.js";
import { imagesFromIdx, parseIdx } from "../host/core/idx.js";
import { Model } from "../host/core/model.js";
import { decodeSafetensors } from "../host/core/safetensors.js";
import { ThreadPool, type ThreadInit } from "../host/core/pool.js";
import { Trainer } from "../host/core/train.js";
import { archOf, encodeWeights, loadWeights, weightsDigest } from "../host/core/weights.js";
import type { FromWorker, ToWorker } from "./protocol.js";

const ctx = self as unknown as {
  postMessage(m: FromWorker, transfer?: Transferable[]): void;
  onmessage: ((ev: MessageEvent<ToWorker>) => void) | null;
};

let trainer: Trainer | undefined;
let model: Model | undefined;
let steps = 0;
let stopRequested = false;
let running = false;
let losses: number[] = [];

/** A pool thread: a module Worker running web/thread-worker.js on the same shared memory. */
function spawnThread(init: ThreadInit): Promise<{ terminate(): void }> {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL("./thread-worker.js", import.meta.url), { type: "module" });
    w.onmessage = () => resolve(w);
    w.onerror = (e) => reject(new Error(`thread worker: ${e.message}`));
    w.postMessage(init);
  });
}

let pool: ThreadPool | undefined;

async function init(setup: Extract<ToWorker, { type: "init" }>["setup"]): Promise<void> {
  const threads = setup.threads > 1 && crossOriginIsolated ? setup.threads : 1;
  const engine = await loadEngine(async (b, t) => (await fetch(new URL(`../../build/${wasmFile(b, t)}`, import.meta.url))).arrayBuffer(), { build: setup.build, threads: threads > 1 });
  pool?.close();
  pool = threads > 1 ? await ThreadPool.create(engine, threads, spawnThread) : undefined;
  const st = decodeSafetensors(new Uint8Array(setup.weights), "page weights");
  model = new Model(engine, archOf(st, "page weights", "seed"), setup.batch, pool);
  loadWeights(model, st, "page weights", true);
  model.adam.lr = setup.lr;
  const images = imagesFromIdx(parseIdx(new Uint8Array(setup.images), "training digits"), "training digits");
  trainer = new Trainer(model, images, { noise: setup.noise, batch: setup.batch, seed: setup.seed, shuffle: true });
  steps = 0;
  losses = [];
  ctx.postMessage({ type: "ready", build: engine.build, reason: engine.reason, threads });
}

function snapshot(type: "stopped" | "done"): void {
  const weights = encodeWeights(model!, { trained_in: "browser worker", steps, noise: trainer!.opts.noise });
  ctx.postMessage({ type, step: steps, weights, digest: weightsDigest(model!), losses }, [weights.buffer]);
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
    ctx.postMessage({ type: "progress", step: steps, epoch: trainer.epoch, loss: sum / chunk, imagesPerSecond: (since * B) / Math.max(dt, 1e-6) });
    if (dt > 2) { t0 = performance.now(); since = 0; }
    await new Promise((r) => setTimeout(r, 0)); // let a `stop` message in
  }
  running = false;
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
