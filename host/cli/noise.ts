// `denoise-wasm noise`: a PNG with noise added by the samplers training uses (seeded), as 8-bit gray.
import type { Command } from "commander";
import { applyNoise, levelsFor, NOISE_KINDS, type NoiseKind } from "../core/noise.js";
import { readPngChecked, writeGrayPng } from "../node/png.js";
import { openRuntime } from "./engine.js";
import { buildOption, intFlag, LEVEL_HELP, noiseFlag, posFloat, requiredOption } from "./flags.js";

export function noiseCommand(prog: Command): void {
  prog.command("noise")
    .description("add noise to a PNG (the samplers training uses), write an 8-bit gray PNG")
    .argument("<input>", "PNG file")
    .addOption(requiredOption("-o, --out <path>", "output PNG"))
    .addOption(requiredOption("--type <type>", `noise: ${NOISE_KINDS.join(" | ")}`, noiseFlag))
    .option("--level <x>", LEVEL_HELP, posFloat)
    .option("--seed <n>", "noise seed", intFlag(0, 2 ** 53 - 1), 1)
    .addOption(buildOption())
    .action(async (input: string, f: { out: string; type: NoiseKind; level?: number; seed: number; build: string }) => {
      const img = readPngChecked(input);
      const { engine } = await openRuntime({ build: f.build, quiet: true });
      const e = engine.exports, n = img.width * img.height;
      const src = e.alloc(n * 4), dst = e.alloc(n * 4);
      engine.f32().set(img.data, src / 4);
      e.rngSeed(f.seed >>> 0, Math.floor(f.seed / 2 ** 32) >>> 0);
      applyNoise(e, f.type, dst, src, 1, n, levelsFor(f.type, f.level));
      writeGrayPng(f.out, { width: img.width, height: img.height, data: engine.f32().slice(dst / 4, dst / 4 + n) });
      process.stdout.write(`wrote ${f.out}\n`);
    });
}
