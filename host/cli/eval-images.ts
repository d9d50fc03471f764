// `denoise-wasm eval --images DIR`: the photo protocol (../shared/reference/photos/PROTOCOL.md) on a
// folder of photos. Each photo (luma rounded to 8 bits) gets a seeded 8-bit noisy copy per σ
// (host/core/photoeval.ts, seeded by its path relative to DIR), which the model denoises in tiles as
// `denoise` does; PSNR / SSIM of the noisy input, the model and the classical baselines
// (host/node/baselines.ts: scikit-image through host/node/baselines.py, or the cache) go into one
// table of means per σ. Everything a user can get wrong is checked before any work or output.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { isAbsolute, join, relative } from "node:path";
import { denoiseWith, denoiseWeights } from "../core/denoise.js";
import { UserError } from "../core/errors.js";
import { noisyPhoto, photoSeed, planeSeed, scorePlanes, to8 } from "../core/photoeval.js";
import { BASELINES, formatPhotoTable, photoTableJson, type PhotoResult } from "../core/phototable.js";
import {
  findPython,
  pixelsSha256,
  readBaselineCache,
  runBaselineScript,
  writeBaselineCache,
  type BaselineFile,
} from "../node/baselines.js";
import { DEFAULT_PHOTO_WEIGHTS, readSafetensors, weightsOrDefault } from "../node/files.js";
import { PhotoFolder } from "../node/photos.js";
import { readImagePlanes, writeImagePlanes } from "../node/images.js";
import { stderrProgress } from "../node/progress.js";
import { openRuntime } from "./engine.js";

export type BaselineMode = "auto" | "cache" | "off";

export interface PhotoEvalFlags {
  images: string;
  sigma: number[];
  weights?: string;
  perImage?: boolean;
  json?: boolean;
  save?: string;
  baselines: BaselineMode;
  cache: string;
  writeCache?: boolean;
  quiet?: boolean;
  build: string;
  threads: number;
  tile: number | "auto";
  maxMemory: number;
  clamp: boolean;
  ensemble?: boolean;
  colour?: boolean;
}

/** The name a photo's files take in --save and in the baselines: its relative path without the extension, "/" → "_". */
const fileName = (rel: string) =>
  rel
    .replace(/\.[^./]*$/, "")
    .split("/")
    .join("_");

/** A path as printed: relative to the working directory when it lies under it. */
const shown = (p: string) => {
  const r = relative(process.cwd(), p);
  return r && !r.startsWith("..") && !isAbsolute(r) ? r : p;
};

/** The protocol's TV weights are given at these σ; the script interpolates others (host/node/baselines.py). */
const TV_SIGMAS = [15, 25, 50];

export async function evalImages(f: PhotoEvalFlags, threadsGiven: boolean): Promise<void> {
  const quiet = !!(f.quiet || f.json);
  const folder = new PhotoFolder(f.images, 7, 0); // SSIM's 7×7 window; no decoded photo kept
  if (folder.skipped.length) throw new UserError(folder.skipped[0]);
  const photos = folder.files.map((_, i) => ({ i, rel: folder.name(i), name: fileName(folder.name(i)) }));
  const seen = new Map<string, string>();
  for (const p of photos) {
    const other = seen.get(p.name);
    if (other) throw new UserError(`${f.images}: ${other} and ${p.rel} would both be saved as ${p.name}_…; rename one`);
    seen.set(p.name, p.rel);
  }
  for (const p of photos) folder.pixels(p.i); // decodes each once: a damaged photo is refused before any work
  const weights = weightsOrDefault(f.weights, DEFAULT_PHOTO_WEIGHTS),
    model = denoiseWeights(readSafetensors(weights), weights),
    arch = model.arch;
  if (f.writeCache && f.baselines !== "auto")
    throw new UserError(`--write-cache needs --baselines auto (scikit-image computing them), not ${f.baselines}`);
  if (f.colour && f.writeCache)
    throw new UserError("--write-cache: the baselines are computed on gray (luma) photos only, not with --colour");
  const baselines = f.colour ? "off" : f.baselines;
  const python = baselines === "auto" ? findPython() : undefined;
  if (f.writeCache && !python)
    throw new UserError(
      "--write-cache needs scikit-image, which no python3 here imports (apt-get install python3-skimage)",
    );
  const cache: BaselineFile | undefined = baselines !== "off" && !python ? readBaselineCache(f.cache) : undefined;

  const rt = await openRuntime({ build: f.build, quiet, threads: f.threads, threadsGiven });
  const tmp = python ? mkdtempSync(join(tmpdir(), "denoise-wasm-baselines-")) : undefined;
  const progress = stderrProgress(quiet, "tiles");
  const results: PhotoResult[] = [],
    keys: { name: string; sha: string }[] = [];
  const notes: string[] = [];
  try {
    for (const p of photos) {
      const { width: W, height: H } = folder.size(p.i);
      // Gray: the luma rounded to 8 bits; --colour: the photo's own planes (R, G, B, or its one gray plane).
      const clean = f.colour ? readImagePlanes(folder.files[p.i]).planes : [folder.pixels(p.i)],
        seed = photoSeed(p.rel);
      clean.forEach((c, k) => (clean[k] = c.map(to8)));
      const files: [string, Float32Array[]][] = [[`${p.name}_clean.png`, clean]];
      for (const sigma of f.sigma) {
        const noise = (file: boolean) => clean.map((c, k) => noisyPhoto(c, sigma, planeSeed(seed, k), file)),
          noisy = noise(true),
          label = `${p.rel} σ ${sigma}`;
        let bar: ReturnType<typeof progress> | undefined;
        const run = (planes: Float32Array[], what: string) => {
          bar?.done(`${label}: done`);
          bar = undefined;
          return denoiseWith(
            model,
            { width: W, height: H, planes },
            {
              engine: rt.engine,
              pool: rt.pool,
              tile: f.tile,
              maxBytes: f.maxMemory * 2 ** 20,
              clamp: f.clamp,
              ensemble: f.ensemble,
              progress: (done, total) => (bar ??= progress(`${label}${what}: tiles`, total)).update(done),
            },
          ).planes.map((o) => o.map(to8));
        };
        const out = run(noisy, "");
        const papers = run(noise(false), " (papers')");
        const r: PhotoResult = {
          photo: p.rel,
          sigma,
          scores: {
            noisy: scorePlanes(noisy, clean, H, W),
            model: scorePlanes(out, clean, H, W),
            papers: scorePlanes(papers, clean, H, W),
          },
        };
        results.push(r);
        keys.push({ name: p.name, sha: pixelsSha256(noisy[0]) });
        files.push([`${p.name}_s${sigma}_noisy.png`, noisy], [`${p.name}_s${sigma}_ours.png`, out]);
        bar?.done(
          `${label}: noisy ${r.scores.noisy!.psnr.toFixed(2)} dB → model ${r.scores.model!.psnr.toFixed(2)} dB (papers' protocol ${r.scores.papers!.psnr.toFixed(2)} dB; ${W}×${H})`,
        );
      }
      for (const [file, data] of files) {
        if (f.save) writeImagePlanes(join(f.save, file), { width: W, height: H, planes: data });
        if (tmp && !file.endsWith("_ours.png"))
          writeImagePlanes(join(tmp, file), { width: W, height: H, planes: data });
      }
    }
    if (python) {
      const got = runBaselineScript(python, tmp!, Math.min(2, f.threads), quiet);
      let dPsnr = 0,
        dSsim = 0;
      results.forEach((r, k) => {
        const e = got[keys[k].name]?.[String(r.sigma)];
        if (!e || e.noisy_sha256 !== keys[k].sha)
          throw new Error(`baselines script: ${e ? "other noisy pixels" : "no result"} for ${r.photo} σ ${r.sigma}`);
        for (const b of BASELINES) r.scores[b] = { psnr: e[b].psnr, ssim: e[b].ssim };
        if (e.noisy) {
          dPsnr = Math.max(dPsnr, Math.abs(e.noisy.psnr - r.scores.noisy!.psnr));
          dSsim = Math.max(dSsim, Math.abs(e.noisy.ssim - r.scores.noisy!.ssim));
        }
      });
      // Both programs score the same noisy inputs: their PSNR and SSIM must be the same numbers.
      const check = `scikit-image's PSNR / SSIM of the noisy inputs differ from eval's by at most ${dPsnr.toExponential(1)} dB / ${dSsim.toExponential(1)}`;
      if (dPsnr > 1e-9 || dSsim > 1e-9) process.stderr.write(`warning: ${check}\n`);
      else if (!quiet) process.stderr.write(`baselines: ${check}\n`);
      if (f.writeCache) {
        writeBaselineCache(f.cache, got);
        if (!quiet) process.stderr.write(`baselines: wrote ${shown(f.cache)}\n`);
      }
    } else if (cache) {
      results.forEach((r, k) => {
        const e = cache[keys[k].name]?.[String(r.sigma)];
        if (e && e.noisy_sha256 === keys[k].sha)
          for (const b of BASELINES) r.scores[b] = { psnr: e[b].psnr, ssim: e[b].ssim };
      });
    }
  } finally {
    rt.pool?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }

  if (f.colour && f.baselines !== "off")
    notes.push("baselines are computed on gray (luma) photos only: – with --colour");
  const missing = baselines !== "off" && results.some((r) => BASELINES.some((b) => !r.scores[b]));
  if (missing) {
    notes.push(
      `baselines shown as – are not in ${shown(f.cache)} for these noisy pixels${baselines === "cache" ? " (--baselines cache)" : ", and no python3 here imports scikit-image"}; ` +
        `to compute them: apt-get install python3-skimage, then --baselines auto`,
    );
  }
  const odd = f.sigma.filter((s) => !TV_SIGMAS.includes(s));
  if (odd.length && results.some((r) => r.scores.tv)) {
    notes.push(
      `tv weight at σ ${odd.join(", ")} interpolated linearly in σ from the protocol's 0.05 / 0.08 / 0.15 at σ 15 / 25 / 50 (continued past the ends)`,
    );
  }
  const source = python ? "scikit-image" : cache ? `cache ${shown(f.cache)}` : "off";
  if (f.json) {
    const o = {
      images: f.images,
      photos: photos.length,
      weights,
      arch: arch.name,
      baselines: source,
      ...photoTableJson(results, f.sigma, f.perImage),
      notes,
    };
    process.stdout.write(JSON.stringify(o) + "\n");
    return;
  }
  const caption = `${photos.length} photo${photos.length > 1 ? "s" : ""} in ${f.images}, model ${weights} (${arch.name}), baselines: ${source}; PSNR dB / SSIM, mean over the photos`;
  process.stdout.write(
    [caption, formatPhotoTable(results, f.sigma, f.perImage), ...notes.map((n) => `note: ${n}`)].join("\n") + "\n",
  );
}
