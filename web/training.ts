// The page's training section: trains the digit model (on the shipped MNIST digits) or the photo
// model (on the photo section's photos) further in a Web Worker (web/worker.ts, its protocol in
// web/protocol.ts), from the current weights, with a live loss chart, validation PSNR and stop /
// resume; the new weights are adopted only when validation improved; reset goes back to the
// shipped models; download saves the last run's weights.
import { RECIPE_DEFAULTS } from "../host/core/recipe.js";
import type { BuildName } from "../host/core/engine.js";
import type { NoiseKind } from "../host/core/noise.js";
import { PHOTO_CACHE_SAMPLES } from "../host/core/patches.js";
import { LossChart } from "./chart.js";
import type { DigitDemo } from "./digits.js";
import { photoOf } from "./files.js";
import type { PhotoTool } from "./photos.js";
import type { FromWorker, ToWorker, TrainData, TrainSetup } from "./protocol.js";
import { $, clearError, download, showError } from "./ui.js";

/** Photo training takes the recipe's patch side (host/core/recipe.ts), as `train --images`. */
const PHOTO_PATCH = RECIPE_DEFAULTS.photos.patch;

/** How a run ends or pauses: the Worker's last message, with the run's weights. */
export type TrainEnd = Extract<FromWorker, { type: "done" | "stopped" }>;

export class TrainingPanel {
  /** The last training run's weights (adopted or not): what "Download" saves. */
  trained?: Uint8Array;
  /** Which weights the running training started from: the digit model or the photo model. */
  private training: TrainData["kind"] = "digits";
  private worker?: Worker;
  private remaining = 0;
  trainThreads = 1;
  private readonly chart = new LossChart($("chart") as HTMLCanvasElement);
  private onTrainEnd?: (m: TrainEnd) => void;

  /**
   * `build`: the engine build the Workers load (the page's own); `trainDigits` / `testDigits`: the
   * digit training and validation sets, as .idx bytes.
   */
  constructor(
    private readonly build: BuildName,
    private readonly digits: DigitDemo,
    private readonly photos: PhotoTool,
    private readonly trainDigits: ArrayBuffer,
    private readonly testDigits: ArrayBuffer,
  ) {
    this.bindControls();
  }

  private bindControls(): void {
    $("train").onclick = () => void this.trainFromPage();
    $("stop").onclick = () => this.post({ type: "stop" });
    $("resume").onclick = () => this.resume();
    $("download").onclick = () => {
      download(
        new Blob([this.trained as Uint8Array<ArrayBuffer>], { type: "application/octet-stream" }),
        `denoise-wasm-${this.training === "photos" ? "photo" : "digits"}-weights.safetensors`,
      );
    };
    $("reset").onclick = () => this.reset();
    $("trainData").onchange = () => this.trainDefaults();
    this.trainDefaults();
  }

  private post(m: ToWorker): void {
    this.worker?.postMessage(m);
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
      build: this.build,
      weights: this.digits.weights.slice().buffer,
      data: { kind: "digits", images: this.trainDigits.slice(0), val: this.testDigits.slice(0) },
      noise: ($("trainNoise") as HTMLSelectElement).value as NoiseKind,
      batch: Number(($("trainBatch") as HTMLInputElement).value),
      lr: Number(($("trainLr") as HTMLInputElement).value),
      seed: 1,
      threads: Math.min(navigator.hardwareConcurrency || 1, 8),
    };
  }

  /** Photo training: the photo section's photos (R, G, B), from its photo model's weights. */
  async photoSetup(): Promise<TrainSetup> {
    const files = this.photos.files;
    if (files.length < 2)
      throw new Error("add at least 2 photos in the section above (one is held out for validation)");
    $("trainStatus").textContent = `reading ${files.length} photos…`;
    const photos = [];
    let samples = 0,
      skipped = 0;
    for (const f of files) {
      // As `train --images`: files that do not decode or are smaller than a patch are left out.
      const g = await photoOf(f).catch(() => undefined);
      if (!g || g.width < PHOTO_PATCH || g.height < PHOTO_PATCH) {
        skipped++;
        continue;
      }
      if ((samples += g.pixels.length) > PHOTO_CACHE_SAMPLES)
        throw new Error(
          `the photos hold over ${PHOTO_CACHE_SAMPLES / 2 ** 20} M pixels: train on fewer or smaller ones`,
        );
      photos.push(g);
    }
    if (photos.length < 2)
      throw new Error(
        `only ${photos.length} of the photos decodes and is at least ${PHOTO_PATCH} × ${PHOTO_PATCH} pixels`,
      );
    if (skipped)
      $("trainStatus").textContent = `${skipped} of the photos left out (unreadable or smaller than ${PHOTO_PATCH} px)`;
    return {
      ...this.setup(),
      weights: this.photos.weights.photo.slice().buffer,
      data: { kind: "photos", photos },
      noise: "gaussian",
    };
  }

  /** The section's run: digits or photos as chosen. */
  async trainFromPage(steps = Number(($("trainSteps") as HTMLInputElement).value)): Promise<TrainEnd | undefined> {
    try {
      const setup = ($("trainData") as HTMLSelectElement).value === "photos" ? await this.photoSetup() : this.setup();
      return await this.train(setup, steps);
    } catch (e) {
      showError(`training: ${(e as Error).message}`);
      return undefined;
    }
  }

  /** Starts training in a fresh Worker from setup's weights; resolves when it ends or pauses. */
  train(setup = this.setup(), steps = Number(($("trainSteps") as HTMLInputElement).value)): Promise<TrainEnd> {
    this.worker?.terminate();
    this.chart.reset();
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
          $("valStatus").textContent =
            `validation PSNR: ${vals.slice(0, 1).concat(vals.slice(1).slice(-4)).join(" → ")}`;
        } else if (m.type === "progress") {
          line = `step ${m.step} · epoch ${m.epoch} · loss ${m.loss.toFixed(5)} · ${Math.round(m.imagesPerSecond)} ${setup.data.kind === "photos" ? "patches" : "img"}/s (${this.build} build, worker, ${this.trainThreads} thread${this.trainThreads > 1 ? "s" : ""})`;
          $("trainStatus").textContent = line;
          this.chart.add(m.loss);
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
      worker.onerror = (ev) => {
        showError(`worker: ${ev.message}`);
        setButtons(false, false);
        reject(new Error(ev.message));
      };
      this.post({ type: "init", setup });
    });
  }

  /** The validation gate: the new weights replace the model they started from only if validation improved. */
  private adopt(kind: TrainData["kind"], m: TrainEnd): string {
    const what = kind === "photos" ? "the photo model" : "the digit model";
    if (!(m.valPsnr > m.baseline))
      return `validation ${m.valPsnr.toFixed(2)} dB is not above the starting ${m.baseline.toFixed(2)} dB: ${what} is kept as it was`;
    if (kind === "photos") this.photos.weights.photo = m.weights;
    else {
      this.digits.setWeights(m.weights);
      this.digits.update();
    }
    this.redenoise(kind === "photos" ? ["photo"] : ["digits"]);
    return `validation ${m.baseline.toFixed(2)} → ${m.valPsnr.toFixed(2)} dB: ${what} now uses the new weights`;
  }

  /** Back to the shipped digit and photo models. */
  reset(): void {
    this.digits.setWeights(this.digits.shipped);
    this.photos.weights.photo = this.photos.shippedPhoto;
    this.digits.update();
    $("trainStatus").textContent = "the shipped digit and photo models are back";
    $("valStatus").textContent = "";
    clearError();
    this.redenoise(["photo", "digits"]);
  }

  /** Denoises the shown photo again if the photo section uses one of these models (their weights changed). */
  private redenoise(changed: string[]): void {
    if (changed.includes(($("photoModel") as HTMLSelectElement).value))
      void this.photos.denoise().catch(() => undefined);
  }

  resume(): Promise<TrainEnd> {
    ($("resume") as HTMLButtonElement).disabled = true;
    ($("stop") as HTMLButtonElement).disabled = false;
    return new Promise((resolve) => {
      this.onTrainEnd = resolve;
      this.post({ type: "run", steps: this.remaining });
    });
  }
}
