// The page: the same engine and host core as Node, loaded as plain ES modules from a static server.
// Your photos (web/photos.ts): denoised as they are, in a Worker, downloadable. Digits: pick / draw
// one, add noise, see it denoised with PSNR and SSIM. Training in a Web Worker (web/worker.ts) on
// digits or on your photos, from the current weights, with a live loss chart, validation PSNR,
// stop / resume; the new weights are adopted only when validation improved; reset goes back to the
// shipped model; download the weights.
import { denoiseImage, paddedSize } from "../host/core/denoise.js";
import { type GrayImage } from "../host/core/image.js";
import { PHOTO_CACHE_SAMPLES } from "../host/core/patches.js";
import { loadEngine, type BuildName, type Engine } from "../host/core/engine.js";
import { imagesFromIdx, parseIdx, type ImageSet } from "../host/core/idx.js";
import { psnr, ssim } from "../host/core/metrics.js";
import { Model } from "../host/core/model.js";
import { applyNoise, DEFAULT_LEVELS, levelsFor, type NoiseKind } from "../host/core/noise.js";
import { decodeSafetensors, type SafeTensors } from "../host/core/safetensors.js";
import { archOf, encodeWeights, loadWeights } from "../host/core/weights.js";
import { grayOf } from "./files.js";
import { PhotoTool } from "./photos.js";
import type { FromWorker, ToWorker, TrainData, TrainSetup } from "./protocol.js";
import { $, asset, clearError, download, fetchBytes, showError } from "./ui.js";

/** Photo training: patch side, patches per photo per epoch and noise σ, as `train --images` defaults. */
const PHOTO_PATCH = 48, PHOTO_PER_IMAGE = 64, PHOTO_SIGMA = "0-55";

async function gunzip(buf: ArrayBuffer): Promise<ArrayBuffer> {
  const stream = new Blob([buf]).stream().pipeThrough(new DecompressionStream("gzip"));
  return new Response(stream).arrayBuffer();
}

/** Per-kind slider range and default (the kind's main parameter). */
const LEVELS: Record<NoiseKind, { min: number; max: number; step: number; value: number }> = {
  gaussian: { min: 0, max: 1.5, step: 0.01, value: DEFAULT_LEVELS.gaussianSigma },
  "salt-pepper": { min: 0, max: 0.5, step: 0.005, value: DEFAULT_LEVELS.amount },
  speckle: { min: 0, max: 2, step: 0.02, value: DEFAULT_LEVELS.speckleSigma },
  poisson: { min: 1, max: 100, step: 1, value: DEFAULT_LEVELS.poissonPeak },
  mixed: { min: 0, max: 1.5, step: 0.01, value: DEFAULT_LEVELS.gaussianSigma },
  none: { min: 0, max: 0, step: 1, value: 0 },
};

interface Scores { psnr: number; ssim: number }

class App {
  engine!: Engine;
  weights!: Uint8Array;
  private st!: SafeTensors;
  /** The inference model of the current image size (see modelFor). */
  private current?: { key: string; model: Model };
  test!: ImageSet;
  trainDigits!: ArrayBuffer;
  testDigits!: ArrayBuffer;
  /** The shipped digit weights (what "reset" goes back to). */
  shippedDigits!: Uint8Array;
  readonly photos = new PhotoTool();
  /** The last training run's weights (adopted or not): what "Download" saves. */
  trained?: Uint8Array;
  /** Which weights the running training started from: the digit model or the photo model. */
  private training: TrainData["kind"] = "digits";
  clean: GrayImage = { width: 28, height: 28, data: new Float32Array(784) };
  noisy: Float32Array = new Float32Array(784);
  denoised: Float32Array = new Float32Array(784);
  noisyScore?: Scores;
  denoisedScore?: Scores;
  noiseSeed = 1;
  private worker?: Worker;
  private remaining = 0;
  trainThreads = 1;
  private lossHistory: number[] = [];
  private onTrainEnd?: (m: Extract<FromWorker, { type: "done" | "stopped" }>) => void;

  async start(): Promise<void> {
    const build = (new URLSearchParams(location.search).get("build") ?? "auto") as BuildName | "auto";
    this.engine = await loadEngine(async (b) => fetchBytes(asset(`build/denoise-${b}.wasm`)), { build });
    $("engine").textContent = `engine: ${this.engine.build} build — ${this.engine.reason}; ` +
      `${crossOriginIsolated ? "cross-origin isolated (SharedArrayBuffer available)" : "not cross-origin isolated"}`;
    const [weights, test, train] = await Promise.all([
      fetchBytes(asset("data/default.safetensors")),
      fetchBytes(asset("data/digits-test.idx.gz")).then(gunzip),
      fetchBytes(asset("data/digits-train.idx.gz")).then(gunzip),
    ]);
    await this.photos.start(build);
    this.shippedDigits = new Uint8Array(weights);
    this.setWeights(this.shippedDigits);
    this.test = imagesFromIdx(parseIdx(new Uint8Array(test), "digits-test"), "digits-test");
    this.trainDigits = train;
    this.testDigits = test;
    this.buildThumbs();
    this.bindControls();
    this.setNoiseKind("gaussian");
    this.selectDigit(0);
  }

  setWeights(bytes: Uint8Array): void {
    this.weights = this.photos.weights.digits = bytes;
    this.st = decodeSafetensors(bytes, "weights");
    this.dropModel(); // rebuilt lazily for the next image
  }

  /** The inference model for images of h × w: one at a time, the previous one's memory given back. */
  modelFor(h: number, w: number): Model {
    const key = `${h}x${w}`;
    if (this.current?.key !== key) {
      this.dropModel();
      const arch = archOf(this.st, "weights", "seed");
      const model = new Model(this.engine, { ...arch, input: [1, h, w] }, 1, undefined, { inference: true, what: `an image of ${w}×${h} pixels` });
      loadWeights(model, this.st, "weights");
      this.current = { key, model };
    }
    return this.current.model;
  }

  private dropModel(): void {
    this.current?.model.dispose();
    this.current = undefined;
  }

  private buildThumbs(): void {
    const box = $("thumbs");
    for (let i = 0; i < Math.min(60, this.test.count); i++) {
      const c = document.createElement("canvas");
      c.width = c.height = 28;
      drawGray(c, { width: 28, height: 28, data: Float32Array.from(this.test.pixels.subarray(i * 784, (i + 1) * 784), (v) => v / 255) }, false);
      c.title = `test digit ${i}`;
      c.onclick = () => this.selectDigit(i);
      box.appendChild(c);
    }
  }

  selectDigit(i: number): void {
    const P = this.test.rows * this.test.cols;
    this.clean = { width: this.test.cols, height: this.test.rows, data: Float32Array.from(this.test.pixels.subarray(i * P, (i + 1) * P), (v) => v / 255) };
    document.querySelectorAll("#thumbs canvas").forEach((c, k) => c.classList.toggle("sel", k === i));
    this.update();
  }

  level(): number {
    return Number(($("level") as HTMLInputElement).value);
  }

  setNoiseKind(kind: NoiseKind, level?: number): void {
    ($("noise") as HTMLSelectElement).value = kind;
    const r = LEVELS[kind], s = $("level") as HTMLInputElement;
    s.min = String(r.min); s.max = String(r.max); s.step = String(r.step);
    s.value = String(level ?? r.value);
    s.disabled = kind === "none";
    this.update();
  }

  /** Noise (engine RNG, seeded) → denoise → scores → canvases. */
  update(): void {
    const { width: W, height: H } = this.clean, n = W * H, e = this.engine.exports;
    const [h, w] = paddedSize(archOf(this.st, "weights", "seed"), H, W);
    const model = this.modelFor(h, w);
    // The model's target and input buffers (h·w ≥ n floats each) stage the clean and noisy image.
    model.targetView(1).set(this.clean.data);
    const kind = ($("noise") as HTMLSelectElement).value as NoiseKind;
    e.rngSeed(this.noiseSeed, 0);
    applyNoise(e, kind, model.input, model.target, 1, n, levelsFor(kind, this.level()));
    this.noisy = model.inputView(1).slice(0, n);
    this.denoised = denoiseImage(model, { width: W, height: H, data: this.noisy }, h, w).data;
    // No scores without noise: the input is the clean image, so they would say nothing.
    const score = (img: Float32Array): Scores | undefined =>
      kind !== "none" && H >= 7 && W >= 7 ? { psnr: psnr(img, this.clean.data, n), ssim: ssim(img, this.clean.data, H, W) } : undefined;
    this.noisyScore = score(this.noisy);
    this.denoisedScore = score(this.denoised);
    drawGray($("clean") as HTMLCanvasElement, this.clean);
    drawGray($("noisy") as HTMLCanvasElement, { width: W, height: H, data: this.noisy });
    drawGray($("denoised") as HTMLCanvasElement, { width: W, height: H, data: this.denoised });
    const fmt = (s?: Scores) => (s ? `PSNR ${s.psnr.toFixed(2)} dB · SSIM ${s.ssim.toFixed(3)}` : "");
    $("noisyScore").textContent = fmt(this.noisyScore);
    $("denoisedScore").textContent = fmt(this.denoisedScore);
    $("levelValue").textContent = kind === "none" ? "" : String(this.level());
  }

  private bindControls(): void {
    $("noise").onchange = () => this.setNoiseKind(($("noise") as HTMLSelectElement).value as NoiseKind);
    $("level").oninput = () => this.update();
    $("renoise").onclick = () => { this.noiseSeed++; this.update(); };
    $("clear").onclick = () => {
      this.clean = { width: 28, height: 28, data: new Float32Array(784) };
      document.querySelectorAll("#thumbs canvas").forEach((t) => t.classList.remove("sel"));
      this.update();
    };
    this.bindDrawing($("clean") as HTMLCanvasElement);
    $("train").onclick = () => void this.trainFromPage();
    $("stop").onclick = () => this.post({ type: "stop" });
    $("resume").onclick = () => this.resume();
    $("download").onclick = () => {
      download(new Blob([this.trained as Uint8Array<ArrayBuffer>], { type: "application/octet-stream" }), `denoise-wasm-${this.training === "photos" ? "photo" : "digits"}-weights.safetensors`);
    };
    $("reset").onclick = () => this.reset();
    $("trainData").onchange = () => this.trainDefaults();
    this.trainDefaults();
  }

  /** Mouse drawing on the clean canvas: a soft round brush, white on black, like MNIST strokes. */
  private bindDrawing(canvas: HTMLCanvasElement): void {
    let down = false, pending = false;
    const paint = (ev: MouseEvent) => {
      const r = canvas.getBoundingClientRect(), { width: W, height: H, data } = this.clean;
      const x = ((ev.clientX - r.left) / r.width) * W, y = ((ev.clientY - r.top) / r.height) * H;
      for (let j = Math.floor(y - 2); j <= y + 2; j++) for (let i = Math.floor(x - 2); i <= x + 2; i++) {
        if (i < 0 || j < 0 || i >= W || j >= H) continue;
        const d = Math.hypot(i + 0.5 - x, j + 0.5 - y);
        data[j * W + i] = Math.max(data[j * W + i], Math.min(1, Math.max(0, 1.6 - d)));
      }
      if (!pending) { pending = true; requestAnimationFrame(() => { pending = false; this.update(); }); }
    };
    canvas.onmousedown = (ev) => { down = true; paint(ev); };
    canvas.onmousemove = (ev) => { if (down) paint(ev); };
    window.addEventListener("mouseup", () => { down = false; });
  }

  private post(m: ToWorker): void {
    this.worker?.postMessage(m);
  }

  /** A freshly initialised model's weights (PyTorch's default init from the engine RNG, seeded). */
  freshWeights(seed: number): ArrayBuffer {
    const model = new Model(this.engine, archOf(this.st, "weights", "seed"), 1, undefined, { inference: true });
    model.init(seed);
    const bytes = encodeWeights(model, { init: `fresh, seed ${seed}` }).slice().buffer;
    model.dispose();
    return bytes;
  }

  /** The training section's defaults for its data: digits continue the digit model at a low rate, photos fine-tune the photo model. */
  trainDefaults(): void {
    const photos = ($("trainData") as HTMLSelectElement).value === "photos";
    ($("trainNoise") as HTMLSelectElement).disabled = photos;
    ($("trainBatch") as HTMLInputElement).value = photos ? "16" : "32";
    ($("trainLr") as HTMLInputElement).value = photos ? "0.00001" : "0.0001";
    ($("trainSteps") as HTMLInputElement).value = photos ? "100" : "200";
  }

  /** Digit training from the section's settings and the page's digit weights. */
  setup(): TrainSetup {
    return {
      build: this.engine.build,
      weights: this.weights.slice().buffer,
      data: { kind: "digits", images: this.trainDigits.slice(0), val: this.testDigits.slice(0) },
      noise: ($("trainNoise") as HTMLSelectElement).value as NoiseKind,
      batch: Number(($("trainBatch") as HTMLInputElement).value),
      lr: Number(($("trainLr") as HTMLInputElement).value),
      seed: 1,
      threads: Math.min(navigator.hardwareConcurrency || 1, 8),
    };
  }

  /** Photo training: the photo section's photos (as luma), from its photo model's weights. */
  async photoSetup(): Promise<TrainSetup> {
    const files = this.photos.files;
    if (files.length < 2) throw new Error("add at least 2 photos in the section above (one is held out for validation)");
    $("trainStatus").textContent = `reading ${files.length} photos…`;
    const photos = [];
    let samples = 0, skipped = 0;
    for (const f of files) {
      // As `train --images`: files that do not decode or are smaller than a patch are left out.
      const g = await grayOf(f).catch(() => undefined);
      if (!g || g.width < PHOTO_PATCH || g.height < PHOTO_PATCH) { skipped++; continue; }
      if ((samples += g.pixels.length) > PHOTO_CACHE_SAMPLES) throw new Error(`the photos hold over ${PHOTO_CACHE_SAMPLES / 2 ** 20} M pixels: train on fewer or smaller ones`);
      photos.push(g);
    }
    if (photos.length < 2) throw new Error(`only ${photos.length} of the photos decodes and is at least ${PHOTO_PATCH} × ${PHOTO_PATCH} pixels`);
    if (skipped) $("trainStatus").textContent = `${skipped} of the photos left out (unreadable or smaller than ${PHOTO_PATCH} px)`;
    return {
      ...this.setup(),
      weights: this.photos.weights.photo.slice().buffer,
      data: { kind: "photos", photos, patch: PHOTO_PATCH, perImage: PHOTO_PER_IMAGE, sigma: PHOTO_SIGMA },
      noise: "gaussian",
    };
  }

  /** The section's run: digits or photos as chosen. */
  async trainFromPage(steps = Number(($("trainSteps") as HTMLInputElement).value)): Promise<Extract<FromWorker, { type: "done" | "stopped" }> | undefined> {
    try {
      const setup = ($("trainData") as HTMLSelectElement).value === "photos" ? await this.photoSetup() : this.setup();
      return await this.train(setup, steps);
    } catch (e) {
      showError(`training: ${(e as Error).message}`);
      return undefined;
    }
  }

  /** Starts training in a fresh Worker from setup's weights; resolves when it ends or pauses. */
  train(setup = this.setup(), steps = Number(($("trainSteps") as HTMLInputElement).value)): Promise<Extract<FromWorker, { type: "done" | "stopped" }>> {
    this.worker?.terminate();
    this.lossHistory = [];
    this.training = setup.data.kind;
    const worker = (this.worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" }));
    this.remaining = steps;
    const setButtons = (training: boolean, paused: boolean) => {
      ($("train") as HTMLButtonElement).disabled = training && !paused;
      ($("stop") as HTMLButtonElement).disabled = !training || paused;
      ($("resume") as HTMLButtonElement).disabled = !paused;
    };
    setButtons(true, false);
    $("trainStatus").textContent = "starting the worker…";
    $("valStatus").textContent = "";
    const vals: string[] = [];
    let line = "";
    return new Promise((resolve, reject) => {
      this.onTrainEnd = resolve;
      worker.onmessage = (ev: MessageEvent<FromWorker>) => {
        const m = ev.data;
        if (m.type === "ready") {
          this.trainThreads = m.threads;
          $("trainStatus").textContent = `validating the starting weights on ${m.validation}…`;
          this.post({ type: "run", steps: this.remaining });
        } else if (m.type === "validation") {
          vals.push(`${m.psnr.toFixed(2)} dB${m.step ? ` (step ${m.step})` : " (start)"}`);
          $("valStatus").textContent = `validation PSNR: ${vals.slice(0, 1).concat(vals.slice(1).slice(-4)).join(" → ")}`;
        } else if (m.type === "progress") {
          this.lossHistory.push(m.loss);
          line = `step ${m.step} · epoch ${m.epoch} · loss ${m.loss.toFixed(5)} · ${Math.round(m.imagesPerSecond)} ${setup.data.kind === "photos" ? "patches" : "img"}/s (${this.engine.build} build, worker, ${this.trainThreads} thread${this.trainThreads > 1 ? "s" : ""})`;
          $("trainStatus").textContent = line;
          drawChart($("chart") as HTMLCanvasElement, this.lossHistory);
        } else if (m.type === "stopped" || m.type === "done") {
          clearError();
          this.remaining = Math.max(0, steps - m.step);
          this.trained = m.weights;
          ($("download") as HTMLButtonElement).disabled = false;
          if (m.type === "done") {
            $("trainStatus").textContent = `${line} — done: ${this.adopt(setup.data.kind, m)}`;
            setButtons(false, false);
            worker.terminate();
            this.worker = undefined;
          } else {
            $("trainStatus").textContent = `${line} — paused`;
            setButtons(true, true);
          }
          this.onTrainEnd?.(m);
        } else if (m.type === "error") {
          showError(`training: ${m.message}`);
          setButtons(false, false);
          reject(new Error(m.message));
        }
      };
      worker.onerror = (ev) => { showError(`worker: ${ev.message}`); setButtons(false, false); reject(new Error(ev.message)); };
      this.post({ type: "init", setup });
    });
  }

  /** The validation gate: the new weights replace the model they started from only if validation improved. */
  private adopt(kind: TrainData["kind"], m: Extract<FromWorker, { type: "done" | "stopped" }>): string {
    const what = kind === "photos" ? "the photo model" : "the digit model";
    if (!(m.valPsnr > m.baseline)) return `validation ${m.valPsnr.toFixed(2)} dB is not above the starting ${m.baseline.toFixed(2)} dB: ${what} is kept as it was`;
    if (kind === "photos") this.photos.weights.photo = m.weights;
    else {
      this.setWeights(m.weights);
      this.update();
    }
    this.redenoise(kind === "photos" ? ["photo"] : ["digits"]);
    return `validation ${m.baseline.toFixed(2)} → ${m.valPsnr.toFixed(2)} dB: ${what} now uses the new weights`;
  }

  /** Back to the shipped digit and photo models. */
  reset(): void {
    this.setWeights(this.shippedDigits);
    this.photos.weights.photo = this.photos.shippedPhoto;
    this.update();
    $("trainStatus").textContent = "the shipped digit and photo models are back";
    $("valStatus").textContent = "";
    clearError();
    this.redenoise(["photo", "digits"]);
  }

  /** Denoises the shown photo again if the photo section uses one of these models (their weights changed). */
  private redenoise(changed: string[]): void {
    if (changed.includes(($("photoModel") as HTMLSelectElement).value)) void this.photos.denoise().catch(() => undefined);
  }

  resume(): Promise<Extract<FromWorker, { type: "done" | "stopped" }>> {
    ($("resume") as HTMLButtonElement).disabled = true;
    ($("stop") as HTMLButtonElement).disabled = false;
    return new Promise((resolve) => {
      this.onTrainEnd = resolve;
      this.post({ type: "run", steps: this.remaining });
    });
  }
}

function drawGray(c: HTMLCanvasElement, img: GrayImage, fit = true): void {
  c.width = img.width; c.height = img.height;
  const g = c.getContext("2d")!, im = g.createImageData(img.width, img.height);
  for (let i = 0; i < img.data.length; i++) {
    const v = Math.round(Math.min(1, Math.max(0, img.data[i])) * 255);
    im.data[4 * i] = im.data[4 * i + 1] = im.data[4 * i + 2] = v;
    im.data[4 * i + 3] = 255;
  }
  g.putImageData(im, 0, 0);
  if (fit) {
    const s = 224 / Math.max(img.width, img.height);
    c.style.width = `${Math.round(img.width * s)}px`;
    c.style.height = `${Math.round(img.height * s)}px`;
  }
}

function drawChart(c: HTMLCanvasElement, ys: number[]): void {
  const g = c.getContext("2d")!, W = c.width, H = c.height, L = 50, B = 20;
  g.fillStyle = "#fff"; g.fillRect(0, 0, W, H);
  if (ys.length < 2) return;
  const lo = Math.min(...ys), hi = Math.max(...ys), span = hi - lo || 1;
  g.fillStyle = "#555"; g.font = "11px sans-serif";
  g.fillText(hi.toPrecision(3), 4, 12); g.fillText(lo.toPrecision(3), 4, H - B);
  g.fillText("loss per 5 steps", L, H - 4);
  g.strokeStyle = "#1f77b4"; g.lineWidth = 1.5; g.beginPath();
  ys.forEach((y, i) => {
    const px = L + (i / (ys.length - 1)) * (W - L - 8), py = 6 + (1 - (y - lo) / span) * (H - B - 12);
    if (i) g.lineTo(px, py); else g.moveTo(px, py);
  });
  g.stroke();
}

const app = new App();
const ready = app.start();
ready.catch((e: Error) => showError(`failed to start: ${e.message}`));
// For tests and the curious: the app object and a promise for its start.
(window as unknown as { denoiseApp: unknown }).denoiseApp = { app, ready };
