// `denoise-wasm denoise`: PNG or JPEG images of any size through a model, in tiles of bounded memory (the
// same output as one whole-image pass: host/core/tiles.ts), colour kept (each colour plane through
// the model), alpha kept; written as 8-bit PNGs of the input's kind (gray, gray + alpha, RGB, RGBA).
import { InvalidArgumentError, type Command } from "commander";
import { basename, extname, join } from "node:path";
import { denoiseTiled } from "../core/denoise.js";
import type { PlanarImage } from "../core/image.js";
import { archOf, loadWeights } from "../core/weights.js";
import { readSafetensors, weightsOrDefault } from "../node/files.js";
import { readImagePlanes, writeImagePlanes } from "../node/images.js";
import { stderrProgress } from "../node/progress.js";
import { openRuntime } from "./engine.js";
import { buildOption, givenBy, intFlag, threadsOption } from "./flags.js";

interface DenoiseFlags { out: string; weights?: string; quiet?: boolean; build: string; threads: number; tile: number | "auto"; maxMemory: number }

const tileFlag = (v: string): number | "auto" => {
  if (v === "auto") return v;
  return intFlag(16, 65536)(v);
};

export function denoiseCommand(prog: Command): void {
  prog.command("denoise")
    .description("denoise PNG or JPEG images of any size, in tiles of bounded memory, colour and alpha kept; writes 8-bit PNGs (or JPEG for a .jpg output)")
    .argument("<inputs...>", "PNG or JPEG files")
    .requiredOption("-o, --out <path>", "output file (one input: .png, .jpg) or directory (PNGs)")
    .option("--weights <path>", "weights (.safetensors); default: the shipped default weights")
    .option("--tile <px|auto>", "largest tile side in pixels, halo included (auto: the whole image if it fits --max-memory, else the largest tile that does)", tileFlag, "auto")
    .option("--max-memory <MiB>", "most wasm memory the tile model may take, in MiB", intFlag(16, 3072), 512)
    .option("--quiet", "no engine line or progress on stderr")
    .addOption(threadsOption())
    .addOption(buildOption())
    .action(async (inputs: string[], f: DenoiseFlags, cmd: Command) => {
      if (f.tile !== "auto" && !Number.isInteger(f.tile)) throw new InvalidArgumentError("--tile: expected auto or an integer");
      const toFile = inputs.length === 1 && /^\.(png|jpe?g)$/i.test(extname(f.out));
      const weights = weightsOrDefault(f.weights);
      const st = readSafetensors(weights);
      const arch = archOf(st, weights, "seed");
      // All inputs valid before any output (each is decoded once more when its turn comes, so
      // only one image is held at a time).
      for (const p of inputs) readImagePlanes(p);
      const { engine, pool } = await openRuntime({ build: f.build, threads: f.threads, threadsGiven: givenBy(cmd)("threads"), quiet: f.quiet });
      const progress = stderrProgress(f.quiet, "tiles");
      const written: string[] = [];
      try {
        for (const path of inputs) {
          const img = readImagePlanes(path);
          const out: PlanarImage = { ...img, planes: [] };
          for (const [c, plane] of img.planes.entries()) {
            const label = `${basename(path)}${img.planes.length > 1 ? ` ${"RGB"[c]}` : ""}`;
            let bar: ReturnType<typeof progress> | undefined;
            const res = denoiseTiled(arch, { width: img.width, height: img.height, data: plane }, {
              engine, pool, load: (m) => loadWeights(m, st, weights), tile: f.tile, maxBytes: f.maxMemory * 2 ** 20,
              progress: (done, total) => (bar ??= progress(`${label}: tiles`, total)).update(done),
            });
            bar?.done(`${label}: ${img.width}×${img.height} denoised`);
            out.planes.push(res.data);
          }
          const target = toFile ? f.out : join(f.out, basename(path, extname(path)) + ".png");
          writeImagePlanes(target, out);
          written.push(target);
        }
      } finally {
        pool?.close();
      }
      process.stdout.write(written.map((p) => `wrote ${p}`).join("\n") + "\n");
    });
}
