// `denoise-wasm noise`: an image (any format `denoise` reads) with noise added by the samplers
// training uses (seeded), every colour plane alike, alpha kept; written as `denoise` writes, in the
// output file's format. The kind is --noise, as `train` names it (--type, its first name, still works).
import { type Command, Option } from "commander";
import { applyNoise, levelsFor, NOISE_KINDS, type NoiseKind } from "../core/noise.js";
import { readImagePlanes, writeImagePlanes } from "../node/images.js";
import { openRuntime } from "./engine.js";
import { buildOption, intFlag, LEVEL_HELP, noiseFlag, posFloat, requiredOption } from "./flags.js";

export function noiseCommand(prog: Command): void {
  prog
    .command("noise")
    .description(
      "add noise to an image (the samplers training uses), colour and alpha kept; writes the -o file's format",
    )
    .argument("<input>", "PNG, JPEG, WebP, TIFF, AVIF or HEIC file")
    .addOption(requiredOption("-o, --out <path>", "output file (.png, .jpg, .webp, .tif, .avif)"))
    .addOption(new Option("--noise <kind>", `noise: ${NOISE_KINDS.join(" | ")} (required)`).argParser(noiseFlag))
    .addOption(new Option("--type <kind>").argParser(noiseFlag).hideHelp())
    .option("--level <x>", LEVEL_HELP, posFloat)
    .option("--seed <n>", "noise seed", intFlag(0, 2 ** 53 - 1), 1)
    .addOption(buildOption())
    .action(async function (
      this: Command,
      input: string,
      f: { out: string; noise?: NoiseKind; type?: NoiseKind; level?: number; seed: number; build: string },
    ) {
      const kind = f.noise ?? f.type;
      if (!kind) this.error("error: required option '--noise <kind>' not specified");
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
      applyNoise(e, kind, dst, src, 1, cn, levelsFor(kind, f.level));
      const planes = img.planes.map((_, c) => engine.f32().slice(dst / 4 + c * n, dst / 4 + (c + 1) * n));
      writeImagePlanes(f.out, { ...img, planes });
      process.stdout.write(`wrote ${f.out}\n`);
    });
}
