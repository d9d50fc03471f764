// `denoise-wasm eval --pairs DIR`: real noise, scored as the real-noise protocol does. Each noisy photo
// goes through the model as `denoise` runs it (default options unless given: the level measured from
// the photo); PSNR (8-bit, over all channels) and SSIM (scikit-image's, the mean over the channels) of
// the noisy photo and of the result against its clean photo; the crops the model made worse are counted.
// Pairs: `<stem>_real.<ext>` with `<stem>_mean.<ext>` in one folder (PolyU's naming; `_noisy` / `_clean`
// and `_gt` too), or, with --clean CLEANDIR, every photo under DIR with the one of the same relative path
// (any image extension) under CLEANDIR. Every pair is checked (decoded, same size and channels) before
// the engine loads.
import { join, relative } from "node:path";
import { denoiseWeights, denoiseWith } from "../core/denoise.js";
import { UserError } from "../core/errors.js";
import type { PlanarImage } from "../core/image.js";
import { scorePlanes } from "../core/photoeval.js";
import { DEFAULT_PHOTO_WEIGHTS, readSafetensors, StagedFiles, weightsOrDefault } from "../node/files.js";
import { encodeImagePlanes, readImagePlanes } from "../node/images.js";
import { listImages } from "../node/photos.js";
import { stderrProgress } from "../node/progress.js";
import { openRuntime } from "./engine.js";

export interface PairEvalFlags {
  pairs: string;
  clean?: string;
  weights?: string;
  noiseSigma?: number;
  strength?: number;
  perImage?: boolean;
  json?: boolean;
  save?: string;
  quiet?: boolean;
  build: string;
  threads: number;
  tile: number | "auto";
  maxMemory: number;
  clamp: boolean;
  ensemble?: boolean;
}

export interface Pair {
  name: string;
  noisy: string;
  clean: string;
}

const NOISY = /^(.*)_(real|noisy)(\.[^./]+)$/i;
const CLEAN_SUFFIXES = ["mean", "clean", "gt"];
const stem = (p: string) => p.replace(/\.[^./]*$/, "");
const rel = (dir: string, p: string) => relative(dir, p).split("\\").join("/");

/** The noisy / clean pairs of a folder (suffix naming) or of two folders (same relative paths). */
export function findPairs(dir: string, cleanDir?: string): Pair[] {
  const files = listImages(dir);
  const pairs: Pair[] = [];
  if (cleanDir) {
    const byStem = new Map(listImages(cleanDir).map((f) => [stem(rel(cleanDir, f)), f]));
    for (const f of files) {
      const r = rel(dir, f),
        c = byStem.get(stem(r));
      if (!c) throw new UserError(`${f}: no clean photo of the same name under ${cleanDir}`);
      pairs.push({ name: r, noisy: f, clean: c });
    }
  } else {
    const all = new Set(files);
    for (const f of files) {
      const m = NOISY.exec(f);
      if (!m) continue;
      const c = CLEAN_SUFFIXES.map((s) => `${m[1]}_${s}${m[3]}`).find((p) => all.has(p));
      if (!c) throw new UserError(`${f}: no clean photo beside it (${m[1]}_mean${m[3]})`);
      pairs.push({ name: rel(dir, f), noisy: f, clean: c });
    }
  }
  if (!pairs.length)
    throw new UserError(
      `${dir}: no noisy / clean pairs (name them <name>_real.<ext> and <name>_mean.<ext>, or give the clean photos' folder with --clean)`,
    );
  return pairs;
}

export interface PairScore {
  name: string;
  width: number;
  height: number;
  noisy: { psnr: number; ssim: number };
  model: { psnr: number; ssim: number };
  /** The noise level the model was given (0–255 scale), when it takes one. */
  level?: number;
}

function checkPair(p: Pair): { noisy: PlanarImage; clean: PlanarImage } {
  const noisy = readImagePlanes(p.noisy),
    clean = readImagePlanes(p.clean);
  if (noisy.width !== clean.width || noisy.height !== clean.height)
    throw new UserError(
      `${p.noisy}: ${noisy.width}×${noisy.height}, but its clean photo ${p.clean} is ${clean.width}×${clean.height}`,
    );
  if (noisy.planes.length !== clean.planes.length)
    throw new UserError(
      `${p.noisy}: ${noisy.planes.length === 3 ? "colour" : "gray"}, but its clean photo ${p.clean} is ${clean.planes.length === 3 ? "colour" : "gray"}`,
    );
  return { noisy, clean };
}

export async function evalPairs(f: PairEvalFlags, threadsGiven: boolean): Promise<void> {
  const quiet = !!(f.quiet || f.json);
  const pairs = findPairs(f.pairs, f.clean);
  for (const p of pairs) checkPair(p); // a damaged or mismatched pair is refused before any work
  const weights = weightsOrDefault(f.weights, DEFAULT_PHOTO_WEIGHTS),
    model = denoiseWeights(readSafetensors(weights), weights);
  const rt = await openRuntime({ build: f.build, quiet, threads: f.threads, threadsGiven });
  const progress = stderrProgress(quiet, "tiles");
  const staged = new StagedFiles();
  const rows: PairScore[] = [];
  try {
    for (const p of pairs) {
      const { noisy, clean } = checkPair(p);
      let bar: ReturnType<typeof progress> | undefined, level: number | undefined;
      const out = denoiseWith(model, noisy, {
        engine: rt.engine,
        pool: rt.pool,
        tile: f.tile,
        maxBytes: f.maxMemory * 2 ** 20,
        clamp: f.clamp,
        ensemble: f.ensemble,
        sigma: f.noiseSigma === undefined ? undefined : f.noiseSigma / 255,
        strength: f.strength,
        onLevel: (l) => (level = l * 255),
        progress: (done, total) => (bar ??= progress(`${p.name}: tiles`, total)).update(done),
      });
      const r: PairScore = {
        name: p.name,
        width: noisy.width,
        height: noisy.height,
        noisy: scorePlanes(noisy.planes, clean.planes, noisy.height, noisy.width),
        model: scorePlanes(out.planes, clean.planes, noisy.height, noisy.width),
        ...(level === undefined ? {} : { level }),
      };
      rows.push(r);
      bar?.done(`${p.name}: noisy ${r.noisy.psnr.toFixed(2)} dB → model ${r.model.psnr.toFixed(2)} dB`);
      if (f.save) {
        const target = join(f.save, `${stem(p.name).split("/").join("_")}_ours.png`);
        staged.stage(target, encodeImagePlanes(target, out));
      }
    }
    if (f.save) staged.commit();
  } catch (e) {
    staged.discard();
    throw e;
  } finally {
    rt.pool?.close();
  }
  const mean = (k: "noisy" | "model", m: "psnr" | "ssim") => rows.reduce((s, r) => s + r[k][m], 0) / rows.length;
  const summary = {
    noisy: { psnr: mean("noisy", "psnr"), ssim: mean("noisy", "ssim") },
    model: { psnr: mean("model", "psnr"), ssim: mean("model", "ssim") },
  };
  const worse = rows.filter((r) => r.model.psnr < r.noisy.psnr).length;
  if (f.json) {
    process.stdout.write(
      JSON.stringify({
        pairs: f.pairs,
        count: rows.length,
        weights,
        arch: model.arch.name,
        mean: summary,
        gain: summary.model.psnr - summary.noisy.psnr,
        worse,
        ...(f.perImage ? { images: rows } : {}),
      }) + "\n",
    );
    return;
  }
  const row = (label: string, s: { psnr: number; ssim: number }, extra = "") =>
    `${label.padEnd(44)} ${s.psnr.toFixed(2).padStart(6)}  ${s.ssim.toFixed(4)}${extra}`;
  const lines = [
    `${rows.length} noisy / clean pair${rows.length > 1 ? "s" : ""} in ${f.pairs}, model ${weights} (${model.arch.name}); PSNR dB (8-bit, all channels) / SSIM, mean over the pairs`,
    `${"".padEnd(44)} ${"PSNR".padStart(6)}  SSIM`,
  ];
  if (f.perImage)
    for (const r of rows) {
      lines.push(row(`${r.name} noisy`, r.noisy));
      lines.push(
        row(
          `${r.name} model`,
          r.model,
          `  ${(r.model.psnr - r.noisy.psnr >= 0 ? "+" : "") + (r.model.psnr - r.noisy.psnr).toFixed(2)} dB${r.level === undefined ? "" : `, level ${r.level.toFixed(1)}`}`,
        ),
      );
    }
  lines.push(row("noisy", summary.noisy), row("model", summary.model));
  lines.push(
    `gain ${(summary.model.psnr - summary.noisy.psnr).toFixed(2)} dB; worse than the noisy input: ${worse} of ${rows.length}`,
  );
  process.stdout.write(lines.join("\n") + "\n");
}
