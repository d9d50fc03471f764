// `denoise-wasm noise`: a PNG or JPEG with noise added by the samplers training uses (seeded), every
// colour plane alike, alpha kept; written as `denoise` writes: an 8-bit PNG of the input's kind
// (gray, gray + alpha, RGB, RGBA), or a JPEG for a .jpg output.
import type { Command } from "commander";
import { applyNoise, levelsFor, NOISE_KINDS, type NoiseKind } from "../core/noise.js";
import { readImagePlanes, writeImagePlanes } from "../node/images.js";
import { openRuntime } from "./engine.js";
import { buildOption, intFlag, LEVEL_HELP, noiseFlag, posFloat, requiredOption } from "./flags.js";

export function noiseCommand(prog: Command): void {
  prog
    .command("noise")
    .description(
      "add noise to a PNG or JPEG (the samplers training uses), colour and alpha kept; writes an 8-bit PNG (or JPEG for a .jpg output)",
    )
    .argument("<input>", "PNG or JPEG file")
    .addOption(requiredOption("-o, --out <path>", "output file (.png, .jpg)"))
    .addOption(requiredOption("--type <type>", `noise: ${NOISE_KINDS.join(" | ")}`, noiseFlag))
    .option("--level <x>", LEVEL_HELP, posFloat)
    .option("--seed <n>", "noise seed", intFlag(0, 2 ** 53 - 1), 1)
    .addOption(buildOption())
    .action(async (input: string, f: { out: string; type: NoiseKind; level?: number; seed: number; build: string }) => {
      const img = readImagePlanes(input);
      const { engine } = await openRuntime({ build: f.build, quiet: true });
      // The colour planes as one image of C·n samples: one noise draw (one kind, for mixed) over all of them.
      const e = engine.exports,
        n = img.width * img.height,
        cn = img.planes.length * n;
      const src = e.alloc(cn * 4),
        dst = e.alloc(cn * 4);
      img.planes.forEach((p, c) => engine.f32().set(p, src / 4 + c * n));
      e.rngSeed(f.seed >>> 0, Math.floor(f.seed / 2 ** 32) >>> 0);
      applyNoise(e, f.type, dst, src, 1, cn, levelsFor(f.type, f.level));
      const planes = img.planes.map((_, c) => engine.f32().slice(dst / 4 + c * n, dst / 4 + (c + 1) * n));
      writeImagePlanes(f.out, { ...img, planes });
      process.stdout.write(`wrote ${f.out}\n`);
    });
}
