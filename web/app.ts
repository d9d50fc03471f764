// The page: the library's browser entry (host/browser.ts) and host core, the same as Node runs,
// loaded as plain ES modules from a static server. This module loads the engine, weights and
// digits and wires the page's sections together:
//   - your photos (web/photos.ts): denoised as they are, in a Worker, downloadable;
//   - digits (web/digits.ts): pick / draw one, add noise, see it denoised with PSNR and SSIM;
//   - training (web/training.ts, its loss chart web/chart.ts): in a Web Worker (web/worker.ts) on
//     digits or on your photos, from the current weights, stop / resume, the new weights adopted
//     only when validation improved, reset to the shipped models, download the weights.
import { loadEngine, type BuildName, type Runtime } from "../host/browser.js";
import type { Engine } from "../host/core/engine.js";
import { imagesFromIdx, parseIdx } from "../host/core/idx.js";
import type { NoiseKind } from "../host/core/noise.js";
import { DigitDemo } from "./digits.js";
import { PhotoTool } from "./photos.js";
import type { TrainSetup } from "./protocol.js";
import { TrainingPanel } from "./training.js";
import { $, asset, fetchBytes, showError } from "./ui.js";

async function gunzip(buf: ArrayBuffer): Promise<ArrayBuffer> {
  const stream = new Blob([buf]).stream().pipeThrough(new DecompressionStream("gzip"));
  return new Response(stream).arrayBuffer();
}

class App {
  runtime!: Runtime;
  engine!: Engine;
  readonly photos = new PhotoTool();
  digits!: DigitDemo;
  training!: TrainingPanel;

  async start(): Promise<void> {
    const build = (new URLSearchParams(location.search).get("build") ?? "auto") as BuildName | "auto";
    this.runtime = await loadEngine({ build });
    this.engine = this.runtime.engine;
    $("engine").textContent =
      `engine: ${this.runtime.build} build — ${this.runtime.reason}; ` +
      `${crossOriginIsolated ? "cross-origin isolated (SharedArrayBuffer available)" : "not cross-origin isolated"}`;
    const [weights, test, train] = await Promise.all([
      fetchBytes(asset("data/default.safetensors")),
      fetchBytes(asset("data/digits-test.idx.gz")).then(gunzip),
      fetchBytes(asset("data/digits-train.idx.gz")).then(gunzip),
    ]);
    await this.photos.start(build);
    const testSet = imagesFromIdx(parseIdx(new Uint8Array(test), "digits-test"), "digits-test");
    // The photo section's "digits" choice is the digit section's model, whatever weights it has.
    this.digits = new DigitDemo(this.engine, testSet, new Uint8Array(weights), (bytes) => {
      this.photos.weights.digits = bytes;
    });
    this.training = new TrainingPanel(this.runtime.build, this.digits, this.photos, train, test);
  }

  // What tests and the curious use on window.denoiseApp.app: the sections' state and actions.
  get weights(): Uint8Array {
    return this.digits.weights;
  }
  get shippedDigits(): Uint8Array {
    return this.digits.shipped;
  }
  get clean() {
    return this.digits.clean;
  }
  get noisy(): Float32Array {
    return this.digits.noisy;
  }
  get denoised(): Float32Array {
    return this.digits.denoised;
  }
  get noisyScore() {
    return this.digits.noisyScore;
  }
  get denoisedScore() {
    return this.digits.denoisedScore;
  }
  get trained(): Uint8Array | undefined {
    return this.training.trained;
  }
  get trainThreads(): number {
    return this.training.trainThreads;
  }
  selectDigit(i: number): void {
    this.digits.selectDigit(i);
  }
  setNoiseKind(kind: NoiseKind, level?: number): void {
    this.digits.setNoiseKind(kind, level);
  }
  modelFor(h: number, w: number) {
    return this.digits.modelFor(h, w);
  }
  freshWeights(seed: number): ArrayBuffer {
    return this.digits.freshWeights(seed);
  }
  setup(): TrainSetup {
    return this.training.setup();
  }
  train(setup?: TrainSetup, steps?: number) {
    return this.training.train(setup, steps);
  }
  trainFromPage(steps?: number) {
    return this.training.trainFromPage(steps);
  }
  resume() {
    return this.training.resume();
  }
}

const app = new App();
const ready = app.start();
ready.catch((e: Error) => showError(`failed to start: ${e.message}`));
// For tests and the curious: the app object and a promise for its start.
(window as unknown as { denoiseApp: unknown }).denoiseApp = { app, ready };
