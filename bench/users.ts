// What users run, each in a process of its own with no flags (the build `auto` picks): the library's
// `denoise` on a photo (bench/peers/library.ts) beside ONNX Runtime web and node on the photo model
// exported by `denoise-wasm export --onnx` and PyTorch on the same weights; the CLI's `denoise` on
// photo files; `train` through the CLI beside PyTorch's training step. Every runner returns a rate
// or a note saying why there is none; bench/suites/users.ts alternates them and makes the tables.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, copyFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { getArch, type Arch } from "../host/core/arch.js";
import type { PlanarImage } from "../host/core/image.js";
import { archOf } from "../host/core/weights.js";
import { DEFAULT_PHOTO_WEIGHTS, PACKAGE_ROOT, readSafetensors } from "../host/node/files.js";
import { readImagePlanes, writeImagePlanes } from "../host/node/images.js";
import { child, type PeerOut } from "./e2e.js";
import { syntheticPhoto } from "./photo.js";

/** A rate (items/s) with what the runner learnt on the way, or a note on why there is none. */
export type Rate = { value: number; build?: string; version?: string; tiles?: number } | { note: string };

const CLI = join(PACKAGE_ROOT, "bin/denoise-wasm.js");
const rateOf = (o: PeerOut & { build?: string; tiles?: number }, scale = 1): Rate =>
  o.imagesPerSecond
    ? { value: o.imagesPerSecond * scale, build: o.build, version: o.version, tiles: o.tiles }
    : { note: o.unsupported ? `unsupported (${o.unsupported})` : `error: ${o.error}` };

/** The scratch folder of a run: the exported model, the photo files, the CLI's outputs. */
export class UserRuns {
  readonly photoArch: Arch;
  private onnx?: string;

  constructor(readonly dir: string) {
    this.photoArch = archOf(readSafetensors(DEFAULT_PHOTO_WEIGHTS), DEFAULT_PHOTO_WEIGHTS, "cunet32");
  }

  /** The shipped photo model as a user exports it: `denoise-wasm export --onnx FILE --model photo`. */
  private onnxFile(): string {
    if (this.onnx) return this.onnx;
    const path = join(this.dir, "photo.onnx");
    execFileSync(process.execPath, [CLI, "export", "--onnx", path, "--model", "photo"], { stdio: "ignore" });
    return (this.onnx = path);
  }

  /** An architecture JSON file for the PyTorch peer, at the given input size. */
  private archFile(arch: Arch, h: number, w: number): string {
    const p = join(this.dir, `${arch.name}-${h}x${w}.json`);
    writeFileSync(p, JSON.stringify({ ...arch, input: [arch.input[0], h, w] }));
    return p;
  }

  /** Megapixels/s of the library's `denoise` (the package entry, build `auto` or the one given) on a w×h photo. */
  library(w: number, h: number, planes: 1 | 3, threads: number, seconds: number, runs: number, build = "auto"): Rate {
    const o = child(process.execPath, [
      join(PACKAGE_ROOT, "dist/bench/peers/library.js"),
      ...["--size", `${w}x${h}`, "--planes", String(planes), "--threads", String(threads)],
      ...["--seconds", String(seconds), "--runs", String(runs), "--build", build],
    ]);
    return rateOf(o, (w * h) / 1e6);
  }

  /** Seconds of the library's `denoise` on a photo file (decoded before the clock starts), one run, no warm-up. */
  libraryFile(file: string, threads: number, build: string): Rate {
    const o = child(process.execPath, [
      join(PACKAGE_ROOT, "dist/bench/peers/library.js"),
      ...["--image", file, "--threads", String(threads), "--build", build],
      ...["--seconds", "0", "--warmup", "0", "--runs", "1"],
    ]);
    const r = rateOf(o);
    return "value" in r ? { ...r, value: 1 / r.value } : r;
  }

  /** Megapixels/s of ONNX Runtime (web: its wasm backend; node: native) on the exported photo model, the whole w×h image at once. */
  ort(runtime: "web" | "node", w: number, h: number, threads: number, seconds: number): Rate {
    let model: string;
    try {
      model = this.onnxFile();
    } catch (e) {
      return { note: `export --onnx failed: ${(e as Error).message.split("\n")[0]}` };
    }
    const o = child(process.execPath, [
      join(PACKAGE_ROOT, "dist/bench/peers/ort.js"),
      ...["--runtime", runtime, "--model", model, "--shape", `${this.photoArch.input[0]}x${h}x${w}`],
      ...["--mode", "infer", "--batch", "1", "--threads", String(threads), "--seconds", String(seconds)],
      ...["--warmup", "1"],
    ]);
    return rateOf(o, (w * h) / 1e6);
  }

  /** PyTorch on the same network: inference on the whole w×h image with the photo model's weights (MP/s), or training at batch 64 (items/s). */
  pytorch(
    arch: Arch,
    mode: "infer" | "train",
    h: number,
    w: number,
    threads: number,
    seconds: number,
    weights?: string,
  ): Rate {
    const batch = mode === "train" ? 64 : 1;
    const o = child(
      "/usr/bin/python3",
      [
        join(PACKAGE_ROOT, "bench/peers/pytorch.py"),
        ...["--arch-json", this.archFile(arch, h, w), "--mode", mode, "--batch", String(batch)],
        ...["--threads", String(threads), "--seconds", String(seconds), "--warmup", "1"],
        ...(weights ? ["--weights", weights] : []),
      ],
      { OPENBLAS_NUM_THREADS: "1" },
    );
    return rateOf(o, mode === "infer" ? (w * h) / 1e6 : 1);
  }

  /**
   * A noisy synthetic photo written as a user would have it, a JPEG (quality 95; σ 15 noise): gray or
   * colour. A gray JPEG that does not read back as one plane is written as a gray PNG instead.
   */
  photoFile(w: number, h: number, planes: 1 | 3): string {
    const img: PlanarImage = syntheticPhoto(w, h, planes);
    for (const p of img.planes)
      for (let i = 0; i < p.length; i++)
        p[i] = Math.min(1, Math.max(0, p[i] + (15 / 255) * Math.sin(i * 12.9898 + 78.233) * 1.7));
    const jpg = join(this.dir, `photo-${planes === 1 ? "gray" : "colour"}-${w}x${h}.jpg`);
    writeImagePlanes(jpg, img);
    if (readImagePlanes(jpg).planes.length === planes) return jpg;
    const png = jpg.replace(/\.jpg$/, ".png");
    writeImagePlanes(png, img);
    return png;
  }

  /** Seconds of `denoise-wasm denoise IN -o OUT` with default options, from spawn to exit. */
  cliDenoise(input: string): Rate {
    const out = join(this.dir, `out-${input.split("/").pop()}`);
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [CLI, "denoise", input, "-o", out], { encoding: "utf8", timeout: 1_800_000 });
    const seconds = (performance.now() - t0) / 1000;
    if (r.status !== 0) return { note: `failed: ${(r.stderr ?? "").trim().split("\n").pop()}` };
    return { value: seconds };
  }

  /** The committed training photos (data/photos/train's files), copied, so every clone trains on the same. */
  trainingPhotos(): string {
    const dir = join(this.dir, "train-photos");
    mkdirSync(dir, { recursive: true });
    for (const d of readdirSync(join(PACKAGE_ROOT, "data/photos/train"), { withFileTypes: true }))
      if (d.isFile()) copyFileSync(join(PACKAGE_ROOT, "data/photos/train", d.name), join(dir, d.name));
    return dir;
  }

  /**
   * Items/s of one `denoise-wasm train` epoch as the CLI prints it, with the user's defaults but for
   * the epoch count, the thread count and what `extra` sets (the data's size).
   */
  cliTrain(extra: string[], threads: number): Rate {
    const r = spawnSync(
      process.execPath,
      [
        CLI,
        "train",
        ...extra,
        ...["--epochs", "1", "--threads", String(threads), "--out", join(this.dir, `train-${threads}.safetensors`)],
      ],
      { encoding: "utf8", timeout: 1_800_000 },
    );
    const m = /epoch 1\/1: .* ([\d.]+) \w+\/s/.exec(r.stderr ?? "");
    return m ? { value: Number(m[1]) } : { note: `failed: ${(r.stderr ?? "").trim().split("\n").pop()}` };
  }
}

/** unet24 (the digit model's network) as PyTorch trains it: 28×28 MNIST-sized images. */
export const UNET24 = getArch("unet24");
