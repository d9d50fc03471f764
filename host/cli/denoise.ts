// `denoise-wasm denoise`: PNG or JPEG images of any size through a model, in tiles of bounded memory (the
// same output as one whole-image pass: host/core/tiles.ts), colour and alpha kept; written as PNGs of
// the input's kind (gray, gray + alpha, RGB, RGBA; 16 bits for a 16-bit input) or JPEG, upright (EXIF
// orientation applied), with the input's EXIF, XMP and ICC profile unless --strip-metadata.
// Every input is checked from its header before the engine loads, read and decoded once when its
// turn comes, and the outputs appear together at the end (StagedFiles): a bad input leaves none.
import { Option, type Command } from "commander";
import { UserError } from "../core/errors.js";
import { readFileSync, statSync } from "node:fs";
import { basename, extname, join } from "node:path";
import { denoiseWeights, denoiseWith } from "../core/denoise.js";
import { COLOUR_METHODS, type ColourMethod } from "../core/image.js";
import { modelFile, readSafetensors, StagedFiles } from "../node/files.js";
import { encodeImagePlanes, readImageHeader, readImagePlanes } from "../node/images.js";
import { readMetadata, withMetadata } from "../node/metadata.js";
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
  build: string;
  threads: number;
  tile: number | "auto";
  maxMemory: number;
}

const isDirectory = (p: string) => statSync(p, { throwIfNoEntry: false })?.isDirectory() ?? false;

export function denoiseCommand(prog: Command): void {
  prog
    .command("denoise")
    .description(
      "denoise PNG or JPEG images of any size, in tiles of bounded memory, colour and alpha kept; writes 8-bit PNGs (or JPEG for a .jpg output)",
    )
    .argument("<inputs...>", "PNG or JPEG files")
    .addOption(requiredOption("-o, --out <path>", "output file (one input: .png, .jpg) or directory (PNGs)"))
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
        image = /^\.(png|jpe?g)$/i.test(ext);
      // An extension names a file: one this command cannot write is refused, never made a folder
      // (an existing folder whose name has a dot is still a folder).
      if (ext && !image && !isDirectory(f.out))
        throw new UserError(`-o ${f.out}: cannot write ${ext} files (give a .png or .jpg file, or a directory)`);
      const toFile = inputs.length === 1 && image;
      if (inputs.length > 1 && /^\.(png|jpe?g)$/i.test(extname(f.out))) {
        throw new UserError(
          `-o ${f.out}: ${inputs.length} inputs are written into a directory; give a directory path, not an image file name`,
        );
      }
      if (f.weights && givenBy(cmd)("model")) throw new UserError("give --model or --weights, not both");
      const targets = inputs.map((path) => (toFile ? f.out : join(f.out, basename(path, extname(path)) + ".png")));
      const twin = targets.findIndex((t, i) => targets.indexOf(t) !== i);
      if (twin >= 0)
        throw new UserError(
          `${inputs[targets.indexOf(targets[twin])]} and ${inputs[twin]} would both be written to ${targets[twin]}`,
        );
      // Every input's header checked before anything is loaded or written.
      for (const p of inputs) readImageHeader(p);
      const file = modelFile(f.weights ?? f.model);
      const weights = denoiseWeights(readSafetensors(file), file); // architecture and parameters checked before the engine loads
      // The digit model on a photo runs (it is a denoiser of any size) but is the wrong tool: said once.
      if (!f.quiet && /^mnist/i.test(weights.st.metadata.data ?? "")) {
        const photo = inputs.find((p) => {
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
        inputs.forEach((path, i) => {
          const img = readImagePlanes(path);
          let bar: ReturnType<typeof progress> | undefined,
            label = "";
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
          });
          bar?.done(`${label}: ${img.width}×${img.height} denoised`);
          const bytes = encodeImagePlanes(targets[i], out);
          staged.stage(targets[i], f.stripMetadata ? bytes : withMetadata(bytes, readMetadata(readFileSync(path))));
        });
        written = staged.commit();
      } catch (e) {
        staged.discard();
        throw e;
      } finally {
        pool?.close();
      }
      process.stdout.write(written.map((p) => `wrote ${p}`).join("\n") + "\n");
    });
}
