// `denoise-wasm denoise`: PNG images of any size through a model, fully convolutionally (padded to
// a size the architecture maps onto itself, cropped back), written as 8-bit gray PNGs.
import type { Command } from "commander";
import { basename, extname, join } from "node:path";
import { denoiseImage, paddedSize } from "../core/denoise.js";
import type { GrayImage } from "../core/image.js";
import { Model } from "../core/model.js";
import { checkMemory, planModel } from "../core/plan.js";
import { archOf, loadWeights } from "../core/weights.js";
import { readSafetensors, weightsOrDefault } from "../node/files.js";
import { MAX_PIXELS, pngSize, readPngChecked, writeGrayPng } from "../node/png.js";
import { openRuntime } from "./engine.js";
import { buildOption } from "./flags.js";

export function denoiseCommand(prog: Command): void {
  prog.command("denoise")
    .description("denoise PNG images of any size (run fully convolutionally), write 8-bit gray PNGs")
    .argument("<inputs...>", "PNG files")
    .requiredOption("-o, --out <path>", "output PNG (one input) or directory")
    .option("--weights <path>", "weights (.safetensors); default: the shipped default weights")
    .option("--quiet", "no engine line on stderr")
    .addOption(buildOption())
    .action(async (inputs: string[], f: { out: string; weights?: string; quiet?: boolean; build: string }) => {
      const toFile = inputs.length === 1 && extname(f.out).toLowerCase() === ".png";
      const weights = weightsOrDefault(f.weights);
      const st = readSafetensors(weights);
      const arch = archOf(st, weights, "seed");
      const { engine } = await openRuntime(f);
      // All inputs valid before any output; an image too large to denoise is refused from its
      // header, before it is decoded.
      const images = inputs.map((p) => {
        const size = pngSize(p);
        if (size && size.width * size.height <= MAX_PIXELS) {
          const [h, w] = paddedSize(arch, size.height, size.width);
          checkMemory(engine, planModel(engine, { ...arch, input: [1, h, w] }, { batch: 1, inference: true }), arch, `${p}: ${size.width}×${size.height} pixels`);
        }
        return { path: p, img: readPngChecked(p) };
      });
      // One inference model per image, given back before the next: memory stays flat.
      const outputs: [string, GrayImage][] = [];
      for (const { path, img } of images) {
        const [h, w] = paddedSize(arch, img.height, img.width);
        const model = new Model(engine, { ...arch, input: [1, h, w] }, 1, undefined, { inference: true, what: `${path}: ${img.width}×${img.height} pixels` });
        loadWeights(model, st, weights);
        outputs.push([toFile ? f.out : join(f.out, basename(path, extname(path)) + ".png"), denoiseImage(model, img, h, w)]);
        model.dispose();
      }
      for (const [p, img] of outputs) writeGrayPng(p, img);
      process.stdout.write(outputs.map(([p]) => `wrote ${p}`).join("\n") + "\n");
    });
}
