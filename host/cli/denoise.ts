// `denoise-wasm denoise`: PNG, JPEG, WebP, TIFF, AVIF or HEIC images of any size through a model, in tiles
// of bounded memory (the same output as one whole-image pass: host/core/tiles.ts), colour and alpha
// kept; written in the input's format (PNG for HEIC, which has no encoder here) or the one -o names,
// of the input's kind (gray, gray + alpha, RGB, RGBA; 16 bits for a 16-bit PNG or TIFF), upright (EXIF
// orientation applied), with the input's EXIF, XMP and ICC profile (host/core/metadata.ts: JPEG, PNG and
// WebP; a TIFF's ICC and XMP) unless --strip-metadata.
// Every input is checked from its header before the engine loads, read and decoded once when its
// turn comes, and the outputs appear together at the end (StagedFiles): a bad input leaves none.
import { Option, type Command } from "commander";
import { UserError } from "../core/errors.js";
import { mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, extname, join, relative } from "node:path";
import { denoiseWeights, denoiseWith, type TilingInfo } from "../core/denoise.js";
import { COLOUR_METHODS, type ColourMethod } from "../core/image.js";
import { FORMAT_NAMES, FORMATS, formatOfName, NOT_AN_IMAGE, WRITABLE_EXTENSIONS } from "../core/formats.js";
import { modelFile, readSafetensors, StagedFiles, writeFileAtomic } from "../node/files.js";
import { encodeImagePlanes, readImageHeader, readImagePlanes } from "../node/images.js";
import { readMetadata, withMetadata } from "../core/metadata.js";
import { stderrProgress } from "../node/progress.js";
import { openRuntime } from "./engine.js";
import {
  buildOption,
  givenBy,
  requiredOption,
  ensembleOption,
  clampOption,
  sigmaOption,
  strengthOption,
  maxMemoryOption,
  threadsOption,
  tileOption,
} from "./flags.js";

interface DenoiseFlags {
  out: string;
  weights?: string;
  model: string;
  colour: ColourMethod;
  clamp: boolean;
  ensemble?: boolean;
  sigma?: number;
  strength?: number;
  quiet?: boolean;
  verbose?: boolean;
  stripMetadata?: boolean;
  recursive?: boolean;
  force?: boolean;
  build: string;
  threads: number;
  tile: number | "auto";
  maxMemory: number;
}

/** The files of a folder (and of its subfolders when recursive), hidden ones left out, in name order. */
function filesIn(dir: string, recursive: boolean): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
  )) {
    if (e.name.startsWith(".")) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (recursive) out.push(...filesIn(p, true));
    } else if (e.isFile()) out.push(p);
  }
  return out;
}

const isDirectory = (p: string) => statSync(p, { throwIfNoEntry: false })?.isDirectory() ?? false;

/** Whether a path's extension names a format written here. */
const writable = (p: string) => FORMATS[formatOfName(p) ?? "heic"].writes;

/** An input's output name: its own (its format is written here) or with .png (HEIC: no encoder here). */
const outputName = (name: string) =>
  writable(name) ? name : name.slice(0, name.length - extname(name).length) + ".png";

export function denoiseCommand(prog: Command): void {
  prog
    .command("denoise")
    .description(
      `denoise ${FORMAT_NAMES} images of any size (or folders of them), in tiles of bounded memory, upright, colour, alpha, bit depth and metadata kept; writes each in its own format (HEIC as PNG: no encoder here), or the one -o names`,
    )
    .argument("<inputs...>", `${FORMAT_NAMES} files, or folders of them`)
    .addOption(
      requiredOption(
        "-o, --out <path>",
        `output file (one input; its extension picks the format: ${WRITABLE_EXTENSIONS}) or directory (each image in its own format, HEIC as PNG; a folder input's tree kept)`,
      ),
    )
    .option("-r, --recursive", "folder inputs: also the images in their subfolders (the tree is kept under --out)")
    .option(
      "--force",
      "folder inputs: redo outputs that are already there and newer than their input (default: skipped, so a stopped run resumes)",
    )
    .option(
      "--model <digits|photo|file>",
      "the shipped photo or digit model, or a weights file (.safetensors)",
      "photo",
    )
    .option("--weights <path>", "weights file (.safetensors): the same as --model <file>")
    .addOption(
      new Option(
        "--colour <method>",
        "colour photos: denoise luma and chroma planes (luma-chroma) or R, G and B (rgb) with the gray model",
      )
        .choices([...COLOUR_METHODS])
        .default("luma-chroma"),
    )
    .addOption(sigmaOption())
    .addOption(strengthOption())
    .addOption(clampOption())
    .addOption(ensembleOption())
    .addOption(tileOption())
    .addOption(maxMemoryOption())
    .option(
      "--strip-metadata",
      "write no metadata (default: the input's EXIF with its orientation reset, XMP and ICC colour profile are kept)",
    )
    .option("--quiet", "no progress on stderr")
    .option("--verbose", "also say on stderr which engine build runs, and why, with how many threads")
    .addOption(threadsOption())
    .addOption(buildOption())
    .action(async (inputs: string[], f: DenoiseFlags, cmd: Command) => {
      if (f.tile !== "auto" && !Number.isInteger(f.tile)) throw new UserError("--tile: expected auto or an integer");
      const ext = extname(f.out),
        image = !!ext && writable(f.out);
      // An extension names a file: one this command cannot write is refused, never made a folder
      // (an existing folder whose name has a dot is still a folder).
      if (ext && !image && !isDirectory(f.out))
        throw new UserError(
          `-o ${f.out}: cannot write ${ext} files (give a ${WRITABLE_EXTENSIONS} file, or a directory)`,
        );
      const toFile = inputs.length === 1 && image;
      if (inputs.length > 1 && image) {
        throw new UserError(
          `-o ${f.out}: ${inputs.length} inputs are written into a directory; give a directory path, not an image file name`,
        );
      }
      if (f.weights && givenBy(cmd)("model")) throw new UserError("give --model or --weights, not both");
      // Folder inputs: every image in them, by extension (host/core/formats.ts; -r: in their subfolders
      // too), written under --out in the same tree and format; other files are named and skipped. Each output is written when it is
      // done, and outputs newer than their input are skipped (unless --force): a stopped run resumes.
      const folders = inputs.some(isDirectory);
      if (folders && image)
        throw new UserError(`-o ${f.out}: a folder input is written into a directory, not one image file`);
      const jobs: { input: string; target: string }[] = [],
        skipped: string[] = [];
      for (const input of inputs) {
        if (!isDirectory(input)) {
          jobs.push({ input, target: toFile ? f.out : join(f.out, outputName(basename(input))) });
          continue;
        }
        for (const file of filesIn(input, !!f.recursive)) {
          if (formatOfName(file)) jobs.push({ input: file, target: join(f.out, outputName(relative(input, file))) });
          else skipped.push(`${file}: ${NOT_AN_IMAGE}, skipped`);
        }
      }
      if (!jobs.length)
        throw new UserError(
          `${inputs.join(", ")}: no ${FORMAT_NAMES} files${f.recursive ? "" : " (-r: also in subfolders)"}`,
        );
      const fresh = (j: { input: string; target: string }) => {
        const t = statSync(j.target, { throwIfNoEntry: false });
        return !!t && t.mtimeMs >= statSync(j.input).mtimeMs;
      };
      const upToDate = folders && !f.force ? jobs.filter(fresh) : [];
      if (upToDate.length && !f.quiet)
        process.stderr.write(
          `${upToDate.length} output${upToDate.length > 1 ? "s" : ""} already there and newer than the input: skipped (--force redoes them)\n`,
        );
      const todo = jobs.filter((j) => !upToDate.includes(j));
      if (!todo.length) {
        if (!f.quiet && skipped.length) process.stderr.write(skipped.join("\n") + "\n");
        return;
      }
      const paths = todo.map((j) => j.input);
      const targets = todo.map((j) => j.target);
      const twin = targets.findIndex((t, i) => targets.indexOf(t) !== i);
      if (twin >= 0)
        throw new UserError(
          `${paths[targets.indexOf(targets[twin])]} and ${paths[twin]} would both be written to ${targets[twin]}`,
        );
      // Every input's header checked before anything is loaded or written.
      for (const p of paths) readImageHeader(p);
      if (!f.quiet && skipped.length) process.stderr.write(skipped.join("\n") + "\n"); // once every image is known sound
      const asPng = todo.filter((j) => formatOfName(j.input) && !writable(j.input) && !toFile);
      if (!f.quiet && asPng.length)
        process.stderr.write(
          `note: no ${FORMATS[formatOfName(asPng[0].input)!].name} encoder here: ${asPng.length === 1 ? basename(asPng[0].input) + " is" : `${asPng.length} inputs are`} written as PNG\n`,
        );
      const file = modelFile(f.weights ?? f.model);
      const weights = denoiseWeights(readSafetensors(file), file); // architecture and parameters checked before the engine loads
      // The digit model on a photo runs (it is a denoiser of any size) but is the wrong tool: said once.
      if (!f.quiet && /^mnist/i.test(weights.st.metadata.data ?? "")) {
        const photo = paths.find((p) => {
          const h = readImageHeader(p);
          return (h.width ?? 0) > 64 || (h.height ?? 0) > 64;
        });
        if (photo)
          process.stderr.write(
            `note: ${basename(file)} was trained on 28×28 MNIST digits, not photos like ${basename(photo)}: the photo model (--model photo, the default) is made for them\n`,
          );
      }
      const { engine, pool } = await openRuntime({
        build: f.build,
        threads: f.threads,
        threadsGiven: givenBy(cmd)("threads"),
        quiet: !f.verbose,
      });
      const progress = stderrProgress(f.quiet, "tiles");
      const staged = new StagedFiles();
      let written: string[];
      try {
        for (const [i, path] of paths.entries()) {
          const img = readImagePlanes(path);
          let bar: ReturnType<typeof progress> | undefined,
            label = "",
            tiling: TilingInfo | undefined;
          const out = denoiseWith(weights, img, {
            engine,
            pool,
            tile: f.tile,
            maxBytes: f.maxMemory * 2 ** 20,
            colour: f.colour,
            clamp: f.clamp,
            ensemble: f.ensemble,
            sigma: f.sigma === undefined ? undefined : f.sigma / 255,
            strength: f.strength,
            plane: (c, of) => {
              if (bar) bar.done(`${label}: done`);
              bar = undefined;
              label = `${basename(path)}${of > 1 ? ` ${f.colour === "rgb" ? "RGB"[c] : ["Y", "C1", "C2"][c]}` : ""}`;
            },
            progress: (done, total) => (bar ??= progress(`${label}: tiles`, total)).update(done),
            onTiles: (t) => {
              tiling = t;
            },
          });
          bar?.done(`${label}: ${img.width}×${img.height} denoised${f.verbose && tiling ? tilingNote(tiling) : ""}`);
          const encoded = encodeImagePlanes(targets[i], out),
            bytes = f.stripMetadata ? encoded : await withMetadata(encoded, await readMetadata(readFileSync(path)));
          if (!folders) {
            staged.stage(targets[i], bytes);
            continue;
          }
          mkdirSync(dirname(targets[i]), { recursive: true });
          writeFileAtomic(targets[i], bytes); // now: a stopped folder run keeps what it has done
          process.stdout.write(`wrote ${targets[i]}\n`);
        }
        written = folders ? [] : staged.commit();
      } catch (e) {
        staged.discard();
        throw e;
      } finally {
        pool?.close();
      }
      if (written.length) process.stdout.write(written.map((p) => `wrote ${p}`).join("\n") + "\n");
    });
}

/** --verbose's note on a done line: the tiles, how the threads run them, the halo's share of the work (TilingInfo.overhead), the wasm memory held. */
function tilingNote(t: TilingInfo): string {
  const tiles = t.count > 1 ? `${t.count} tiles of ${t.tw}×${t.th}` : `one tile of ${t.tw}×${t.th}`;
  const layout = t.shared ? `, the threads sharing ${t.count > 1 ? "each" : "it"}` : "";
  return ` in ${tiles}${layout} (halo +${(100 * Math.max(0, t.overhead)).toFixed(1)} % of the work), ${Math.ceil(t.bytes / 2 ** 20)} MiB of wasm memory`;
}
