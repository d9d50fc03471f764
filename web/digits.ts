// The page's digit section: pick a test digit or draw one, add noise (engine RNG, seeded), see it
// denoised by the digit model with PSNR and SSIM. It holds the digit model's weights, which the
// training panel may replace and the photo section's "digits" choice uses too.
import { denoiseImage, paddedSize } from "../host/core/denoise.js";
import type { Engine } from "../host/core/engine.js";
import type { ImageSet } from "../host/core/idx.js";
import type { GrayImage } from "../host/core/image.js";
import { psnr, ssim } from "../host/core/metrics.js";
import { Model } from "../host/core/model.js";
import { applyNoise, DEFAULT_LEVELS, levelsFor, type NoiseKind } from "../host/core/noise.js";
import { decodeSafetensors, type SafeTensors } from "../host/core/safetensors.js";
import { archOf, encodeWeights, applyWeights } from "../host/core/weights.js";
import { $ } from "./ui.js";

/** Per-kind slider range and default (the kind's main parameter). */
const LEVELS: Record<NoiseKind, { min: number; max: number; step: number; value: number }> = {
  gaussian: { min: 0, max: 1.5, step: 0.01, value: DEFAULT_LEVELS.gaussianSigma },
  "salt-pepper": { min: 0, max: 0.5, step: 0.005, value: DEFAULT_LEVELS.amount },
  speckle: { min: 0, max: 2, step: 0.02, value: DEFAULT_LEVELS.speckleSigma },
  poisson: { min: 1, max: 100, step: 1, value: DEFAULT_LEVELS.poissonPeak },
  mixed: { min: 0, max: 1.5, step: 0.01, value: DEFAULT_LEVELS.gaussianSigma },
  none: { min: 0, max: 0, step: 1, value: 0 },
};

export interface Scores {
  psnr: number;
  ssim: number;
}

export class DigitDemo {
  weights!: Uint8Array;
  private st!: SafeTensors;
  /** The inference model of the current image size (see modelFor). */
  private current?: { key: string; model: Model };
  clean: GrayImage = { width: 28, height: 28, data: new Float32Array(784) };
  noisy: Float32Array = new Float32Array(784);
  denoised: Float32Array = new Float32Array(784);
  noisyScore?: Scores;
  denoisedScore?: Scores;
  noiseSeed = 1;

  /**
   * `shipped`: the shipped digit weights (what "reset" goes back to); `onWeights` hears of every
   * change of the digit model's weights (the photo section's "digits" choice follows them).
   */
  constructor(
    private readonly engine: Engine,
    readonly test: ImageSet,
    readonly shipped: Uint8Array,
    private readonly onWeights: (bytes: Uint8Array) => void,
  ) {
    this.setWeights(shipped);
    this.buildThumbs();
    this.bindControls();
    this.setNoiseKind("gaussian");
    this.selectDigit(0);
  }

  setWeights(bytes: Uint8Array): void {
    this.weights = bytes;
    this.onWeights(bytes);
    this.st = decodeSafetensors(bytes, "weights");
    this.dropModel(); // rebuilt lazily for the next image
  }

  /** The inference model for images of h × w: one at a time, the previous one's memory given back. */
  modelFor(h: number, w: number): Model {
    const key = `${h}x${w}`;
    if (this.current?.key !== key) {
      this.dropModel();
      const arch = archOf(this.st, "weights", "seed");
      const model = new Model(this.engine, { ...arch, input: [1, h, w] }, 1, undefined, {
        inference: true,
        what: `an image of ${w}×${h} pixels`,
      });
      applyWeights(model, this.st, "weights");
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
      drawGray(
        c,
        {
          width: 28,
          height: 28,
          data: Float32Array.from(this.test.pixels.subarray(i * 784, (i + 1) * 784), (v) => v / 255),
        },
        false,
      );
      c.title = `test digit ${i}`;
      c.onclick = () => this.selectDigit(i);
      box.appendChild(c);
    }
  }

  selectDigit(i: number): void {
    const P = this.test.rows * this.test.cols;
    this.clean = {
      width: this.test.cols,
      height: this.test.rows,
      data: Float32Array.from(this.test.pixels.subarray(i * P, (i + 1) * P), (v) => v / 255),
    };
    document.querySelectorAll("#thumbs canvas").forEach((c, k) => c.classList.toggle("sel", k === i));
    this.update();
  }

  level(): number {
    return Number(($("level") as HTMLInputElement).value);
  }

  setNoiseKind(kind: NoiseKind, level?: number): void {
    ($("noise") as HTMLSelectElement).value = kind;
    const r = LEVELS[kind],
      s = $("level") as HTMLInputElement;
    s.min = String(r.min);
    s.max = String(r.max);
    s.step = String(r.step);
    s.value = String(level ?? r.value);
    s.disabled = kind === "none";
    this.update();
  }

  /** Noise (engine RNG, seeded) → denoise → scores → canvases. */
  update(): void {
    const { width: W, height: H } = this.clean,
      n = W * H,
      e = this.engine.exports;
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
      kind !== "none" && H >= 7 && W >= 7
        ? { psnr: psnr(img, this.clean.data, n), ssim: ssim(img, this.clean.data, H, W) }
        : undefined;
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
    $("renoise").onclick = () => {
      this.noiseSeed++;
      this.update();
    };
    $("clear").onclick = () => {
      this.clean = { width: 28, height: 28, data: new Float32Array(784) };
      document.querySelectorAll("#thumbs canvas").forEach((t) => t.classList.remove("sel"));
      this.update();
    };
    this.bindDrawing($("clean") as HTMLCanvasElement);
  }

  /** Mouse drawing on the clean canvas: a soft round brush, white on black, like MNIST strokes. */
  private bindDrawing(canvas: HTMLCanvasElement): void {
    let down = false,
      pending = false;
    const paint = (ev: MouseEvent) => {
      const r = canvas.getBoundingClientRect(),
        { width: W, height: H, data } = this.clean;
      const x = ((ev.clientX - r.left) / r.width) * W,
        y = ((ev.clientY - r.top) / r.height) * H;
      for (let j = Math.floor(y - 2); j <= y + 2; j++)
        for (let i = Math.floor(x - 2); i <= x + 2; i++) {
          if (i < 0 || j < 0 || i >= W || j >= H) continue;
          const d = Math.hypot(i + 0.5 - x, j + 0.5 - y);
          data[j * W + i] = Math.max(data[j * W + i], Math.min(1, Math.max(0, 1.6 - d)));
        }
      if (!pending) {
        pending = true;
        requestAnimationFrame(() => {
          pending = false;
          this.update();
        });
      }
    };
    canvas.onmousedown = (ev) => {
      down = true;
      paint(ev);
    };
    canvas.onmousemove = (ev) => {
      if (down) paint(ev);
    };
    window.addEventListener("mouseup", () => {
      down = false;
    });
  }

  /** A freshly initialised model's weights (PyTorch's default init from the engine RNG, seeded). */
  freshWeights(seed: number): ArrayBuffer {
    const model = new Model(this.engine, archOf(this.st, "weights", "seed"), 1, undefined, { inference: true });
    model.init(seed);
    const bytes = encodeWeights(model, { init: `fresh, seed ${seed}` }).slice().buffer;
    model.dispose();
    return bytes;
  }
}

function drawGray(c: HTMLCanvasElement, img: GrayImage, fit = true): void {
  c.width = img.width;
  c.height = img.height;
  const g = c.getContext("2d")!,
    im = g.createImageData(img.width, img.height);
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
