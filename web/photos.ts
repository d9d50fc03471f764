// The page's photo section: drop or pick photos (anything the browser decodes), denoise one as it
// is (or with added noise, to compare against it) in the photo Worker (web/photo-worker.ts, the
// CLI's `denoise` code path) with progress and cancel, see it before / after, download the result.
// Decoding uses the browser's own decoder (web/files.ts); colour is kept as the file has it (gray files stay one
// plane, as in the CLI: host/core/image.ts planesFromRgba).
import { DEFAULT_MAX_MEMORY_MIB } from "../host/core/denoise.js";
import type { BuildName } from "../host/core/engine.js";
import { readMetadata, withMetadata } from "../host/core/metadata.js";
import { encodePng } from "../host/core/png-encode.js";
import { decodeFile, filesOf, type Decoded } from "./files.js";
import type { DenoiseJob, FromPhotoWorker } from "./protocol.js";
import { $, asset, clearError, download, fetchBytes, showError } from "./ui.js";
import { BeforeAfter } from "./viewer.js";

/** Image types the page can encode a download in, by the input file's type. */
const ENCODABLE: Record<string, string> = { "image/jpeg": "jpg", "image/webp": "webp" };

export type Result = Extract<FromPhotoWorker, { type: "result" }>;

export class PhotoTool {
  /** The photos dropped or picked (the training set too), and which one is shown. */
  files: File[] = [];
  current?: { file: File; image: Decoded };
  result?: Result;
  readonly view = new BeforeAfter();
  /** Weights for the "photo" and "digits" choices (set by the page: training may replace them). */
  weights: Record<"photo" | "digits", Uint8Array> = { photo: new Uint8Array(), digits: new Uint8Array() };
  /** The shipped photo model's weights (what "reset" goes back to). */
  shippedPhoto = new Uint8Array();
  private fileWeights?: { name: string; bytes: Uint8Array };
  private worker?: Worker;
  private job = 0;
  private pending?: { resolve: (r: Result | undefined) => void; reject: (e: Error) => void };
  /** Each upload's seed for added noise (so "compare" is reproducible per image). */
  noiseSeed = 1;
  build: BuildName | "auto" = "auto";

  async start(build: BuildName | "auto"): Promise<void> {
    this.build = build;
    this.weights.photo = this.shippedPhoto = new Uint8Array(await fetchBytes(asset("data/photo.safetensors")));
    const threads = $("threads") as HTMLSelectElement,
      n = navigator.hardwareConcurrency || 1;
    for (let t = 1; t <= Math.min(n, 16); t++) threads.add(new Option(`${t}`, `${t}`, t === n, t === n));
    this.bind();
  }

  private bind(): void {
    for (const id of ["photos", "photoFolder"]) {
      const pick = $(id) as HTMLInputElement;
      pick.onchange = () => {
        if (pick.files?.length) void this.add(Array.from(pick.files));
      };
    }
    const drop = $("drop");
    drop.ondragover = (e) => {
      e.preventDefault();
      drop.classList.add("over");
    };
    drop.ondragleave = () => drop.classList.remove("over");
    drop.ondrop = (e) => {
      e.preventDefault();
      drop.classList.remove("over");
      void filesOf(e.dataTransfer!).then((fs) => this.add(fs));
    };
    $("photoList").onchange = () => void this.show(Number(($("photoList") as HTMLSelectElement).value));
    $("denoise").onclick = () =>
      this.current
        ? void this.denoise().catch(() => undefined)
        : showError("no photo to denoise: drop or choose one first");
    $("cancel").onclick = () => this.cancel();
    $("clearPhotos").onclick = () => this.clearPhotos();
    $("photoModel").onchange = () => {
      const m = ($("photoModel") as HTMLSelectElement).value;
      if (m === "file" && !this.fileWeights) ($("weightsFile") as HTMLInputElement).click();
      else void this.denoise().catch(() => undefined);
    };
    ($("weightsFile") as HTMLInputElement).onchange = async (ev) => {
      const f = (ev.target as HTMLInputElement).files?.[0];
      if (!f) return;
      this.fileWeights = { name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) };
      ($("photoModel") as HTMLSelectElement).value = "file";
      $("weightsName").textContent = f.name;
      void this.denoise().catch(() => undefined);
    };
    const mode = $("photoMode") as HTMLSelectElement,
      sigma = $("sigma") as HTMLInputElement,
      auto = $("sigmaAuto") as HTMLInputElement,
      strength = $("strength") as HTMLInputElement;
    const labels = () => {
      $("addSigmaBox").hidden = mode.value !== "compare";
      sigma.disabled = auto.checked;
      $("sigmaValue").textContent = auto.checked ? "" : sigma.value;
      strength.disabled = !auto.checked;
      $("strengthValue").textContent = `${Number(strength.value).toFixed(2)}×`;
      $("addSigmaValue").textContent = ($("addSigma") as HTMLInputElement).value;
    };
    for (const el of [mode, auto])
      el.addEventListener("change", () => {
        labels();
        void this.denoise().catch(() => undefined);
      });
    for (const el of [sigma, strength, $("addSigma")]) {
      el.addEventListener("input", labels);
      el.addEventListener("change", () => void this.denoise().catch(() => undefined));
    }
    labels();
    $("downloadPng").onclick = () => void this.save("image/png");
    $("downloadSame").onclick = () => void this.save(this.current!.file.type);
  }

  /** Adds files to the set and shows the first of them. */
  async add(files: File[]): Promise<void> {
    const images = files.filter((f) => f.type.startsWith("image/") || !f.type);
    if (!images.length)
      return showError(
        files.length === 1 ? `${files[0].name}: not an image file` : `none of the ${files.length} files is an image`,
      );
    const first = this.files.length;
    this.files.push(...images);
    const list = $("photoList") as HTMLSelectElement;
    for (const [k, f] of images.entries()) list.add(new Option(f.webkitRelativePath || f.name, String(first + k)));
    list.value = String(first);
    $("trainPhotoCount").textContent = `${this.files.length} photo${this.files.length > 1 ? "s" : ""}`;
    await this.show(first);
  }

  /** Forgets every photo (the view, the list, the training set). */
  clearPhotos(): void {
    this.cancel();
    this.files = [];
    this.current = undefined;
    this.result = undefined;
    this.view.clear();
    this.setDownloads();
    ($("photoList") as HTMLSelectElement).length = 0;
    for (const id of ["photoName", "photoScore", "photoStatus"]) $(id).textContent = "";
    $("trainPhotoCount").textContent = "no photos yet";
  }

  /** Decodes file i and denoises it. Whatever was shown goes first: a failure leaves nothing stale. */
  async show(i: number): Promise<Result | undefined> {
    const file = this.files[i];
    this.cancel();
    this.current = undefined;
    this.result = undefined;
    this.view.clear();
    this.setDownloads();
    $("photoName").textContent = file.name;
    $("photoScore").textContent = "";
    $("photoStatus").textContent = `decoding ${file.name}…`;
    let image: Decoded;
    try {
      image = await decodeFile(file);
    } catch (e) {
      $("photoStatus").textContent = "";
      showError(`${file.name}: ${(e as Error).message}`);
      return undefined;
    }
    if (this.files[i] !== file || ($("photoList") as HTMLSelectElement).value !== String(i)) return undefined; // another was picked meanwhile
    clearError(); // the file decoded: an earlier error is over
    this.current = { file, image };
    this.noiseSeed = i + 1;
    this.view.setBefore(image.rgba, image.width, image.height);
    $("photoName").textContent = `${file.name} (${image.width} × ${image.height})`;
    return this.denoise().catch(() => undefined);
  }

  /** The weights the model picker names, with a name for messages. */
  private chosenWeights(): { bytes: Uint8Array; name: string } {
    const m = ($("photoModel") as HTMLSelectElement).value;
    if (m === "file") {
      if (!this.fileWeights) throw new Error("choose a weights file (.safetensors)");
      return { bytes: this.fileWeights.bytes, name: this.fileWeights.name };
    }
    return { bytes: this.weights[m as "photo" | "digits"], name: `${m} model` };
  }

  /** The job for the shown image with the section's settings (tests override fields). */
  jobFor(over: Partial<DenoiseJob> = {}): DenoiseJob {
    const { image } = this.current!,
      w = this.chosenWeights();
    const compare = ($("photoMode") as HTMLSelectElement).value === "compare";
    const auto = ($("sigmaAuto") as HTMLInputElement).checked;
    return {
      id: ++this.job,
      build: this.build,
      threads: Number(($("threads") as HTMLSelectElement).value),
      weights: w.bytes.slice().buffer,
      weightsName: w.name,
      width: image.width,
      height: image.height,
      rgba: image.rgba.slice(),
      colour: "luma-chroma",
      sigma: auto ? undefined : Number(($("sigma") as HTMLInputElement).value),
      strength: auto ? Number(($("strength") as HTMLInputElement).value) : undefined,
      ensemble: ($("ensemble") as HTMLInputElement).checked,
      compare: compare ? { sigma: Number(($("addSigma") as HTMLInputElement).value), seed: this.noiseSeed } : undefined,
      maxBytes: DEFAULT_MAX_MEMORY_MIB * 2 ** 20,
      ...over,
    };
  }

  /** Denoises the shown image in the photo Worker; resolves with the result (undefined if cancelled). */
  denoise(over: Partial<DenoiseJob> = {}): Promise<Result | undefined> {
    if (!this.current) return Promise.resolve(undefined);
    this.cancel();
    let job: DenoiseJob;
    try {
      job = this.jobFor(over);
    } catch (e) {
      showError((e as Error).message);
      return Promise.reject(e);
    }
    const { file, image } = this.current;
    this.result = undefined;
    this.setDownloads();
    this.view.setBefore(image.rgba, image.width, image.height);
    $("photoScore").textContent = "";
    const worker = (this.worker ??= new Worker(new URL("./photo-worker.js", import.meta.url), { type: "module" }));
    const bar = $("photoProgress") as HTMLProgressElement;
    bar.value = 0;
    bar.hidden = false;
    ($("cancel") as HTMLButtonElement).disabled = false;
    $("photoStatus").textContent = `denoising ${file.name}…`;
    const t0 = performance.now();
    return new Promise<Result | undefined>((resolve, reject) => {
      this.pending = { resolve, reject };
      worker.onmessage = (ev: MessageEvent<FromPhotoWorker>) => {
        const m = ev.data;
        if (m.id !== job.id) return;
        if (m.type === "progress") {
          bar.value = (m.plane + m.done / m.total) / m.planes;
          $("photoStatus").textContent =
            `denoising ${file.name}: ${m.planes > 1 ? `plane ${m.plane + 1} of ${m.planes}, ` : ""}tile ${m.done} of ${m.total}`;
          return;
        }
        this.pending = undefined;
        bar.hidden = true;
        ($("cancel") as HTMLButtonElement).disabled = true;
        if (m.type === "error") {
          $("photoStatus").textContent = "";
          showError(`${file.name}: ${m.message}`);
          reject(new Error(m.message));
          return;
        }
        clearError();
        this.result = m;
        if (m.noisy) this.view.setBefore(m.noisy, image.width, image.height);
        this.view.setAfter(m.rgba, image.width, image.height);
        const fmt = (s: { psnr: number; ssim: number }) => `PSNR ${s.psnr.toFixed(2)} dB · SSIM ${s.ssim.toFixed(3)}`;
        $("photoScore").textContent = m.scores
          ? `against your upload as the clean image (if it was noisy already, so is this reference): noisy ${fmt(m.scores.noisy)} → denoised ${fmt(m.scores.denoised)}`
          : "";
        $("photoStatus").textContent =
          `${file.name}: ${image.width} × ${image.height} denoised in ${m.seconds.toFixed(1)} s ` +
          `(${m.build} build, ${m.threads} thread${m.threads > 1 ? "s" : ""}; ${((performance.now() - t0) / 1000).toFixed(1)} s with decoding and engine start; noise σ ≈ ${m.sigmaEstimate.toFixed(1)})`;
        this.setDownloads();
        resolve(m);
      };
      worker.onerror = (ev) => {
        this.pending = undefined;
        showError(`photo worker: ${ev.message}`);
        reject(new Error(ev.message));
      };
      worker.postMessage({ type: "denoise", job }, [job.rgba.buffer, job.weights]);
    });
  }

  /** Stops a denoise under way: the Worker (and its threads and memory) goes; the next job starts a new one. */
  cancel(): void {
    if (!this.pending) return;
    this.worker?.terminate();
    this.worker = undefined;
    ($("photoProgress") as HTMLProgressElement).hidden = true;
    ($("cancel") as HTMLButtonElement).disabled = true;
    $("photoStatus").textContent = "cancelled";
    const p = this.pending;
    this.pending = undefined;
    p.resolve(undefined);
  }

  private setDownloads(): void {
    const ok = !!this.result,
      ext = this.current ? ENCODABLE[this.current.file.type] : undefined;
    ($("downloadPng") as HTMLButtonElement).disabled = !ok;
    const same = $("downloadSame") as HTMLButtonElement;
    same.hidden = !ext;
    same.disabled = !ok;
    if (ext) same.textContent = `Download .${ext}`;
  }

  /**
   * Downloads the result as `type`: PNG exactly the result's 8-bit pixels, of its kind (gray stays
   * gray, alpha only where the input had it, as the CLI writes it); JPEG / WebP at quality 0.95.
   * A JPEG or PNG download carries the input's EXIF (orientation reset: the pixels are upright), XMP
   * and ICC profile as the CLI's output does (host/core/metadata.ts), unless "strip metadata" is ticked.
   */
  async save(type: string): Promise<void> {
    const ext = type === "image/png" ? "png" : ENCODABLE[type];
    const r = this.result!,
      { file, image } = this.current!;
    const encoded =
      type === "image/png"
        ? await encodePng(r.rgba, image.width, image.height, r.channels)
        : await new Promise<Blob | null>((res) => this.view.after.toBlob(res, type, 0.95)).then(
            async (b) => b && new Uint8Array(await b.arrayBuffer()),
          );
    if (!encoded) return showError(`the browser cannot encode ${type}`);
    const bytes = ($("stripMetadata") as HTMLInputElement).checked
      ? encoded
      : await withMetadata(encoded, await readMetadata(new Uint8Array(await file.arrayBuffer())));
    download(
      new Blob([bytes as Uint8Array<ArrayBuffer>], { type }),
      `${file.name.replace(/\.[^.]*$/, "")}-denoised.${ext}`,
    );
  }
}
