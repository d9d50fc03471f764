// How a colour photo should go through the gray photo model: each of R, G, B ("rgb") or luma and
// two chroma planes ("luma-chroma", host/core/image.ts). The colour protocol of
// ../shared/reference/photos/PROTOCOL.md: the same σ (0–255) in each channel, seeded per photo, σ
// and channel, rounded and clipped to 8 bits; PSNR over all three channels of the 8-bit result.
//   node dist/bench/colour.js [--sigma 15,25,50] [--weights W] [DIR]
import { basename } from "node:path";
import { DEFAULT_MAX_MEMORY_MIB, denoiseWeights, denoiseWith } from "../host/core/denoise.js";
import { COLOUR_METHODS, type PlanarImage } from "../host/core/image.js";
import { noisyPhoto, psnr8Planes, to8 } from "../host/core/photoeval.js";
import { openNodeEngine, nodePool } from "../host/node/engine.js";
import { DEFAULT_PHOTO_WEIGHTS, PACKAGE_ROOT, readSafetensors } from "../host/node/files.js";
import { readImagePlanes } from "../host/node/images.js";
import { listImages } from "../host/node/photos.js";

const args = process.argv.slice(2),
  opt = (k: string) => (args.includes(k) ? args.splice(args.indexOf(k), 2)[1] : undefined);
const sigmas = (opt("--sigma") ?? "15,25,50").split(",").map(Number);
const weights = opt("--weights") ?? DEFAULT_PHOTO_WEIGHTS;
const dir = args[0] ?? `${PACKAGE_ROOT}data/photos/test`;
const model = denoiseWeights(readSafetensors(weights), weights);
const engine = await openNodeEngine({ threads: true }),
  pool = await nodePool(engine, 2);
const photos = listImages(dir)
  .map((f) => ({ name: basename(f), img: readImagePlanes(f) }))
  .filter((p) => p.img.planes.length === 3);
const sum: Record<string, number[]> = {};
console.log(`| photo | σ | noisy | ${COLOUR_METHODS.join(" | ")} |`);
console.log(`|---|---|---|${COLOUR_METHODS.map(() => "---|").join("")}`);
try {
  for (const { name, img } of photos) {
    const clean = img.planes.map((p) => p.map(to8));
    for (const s of sigmas) {
      const noisy: PlanarImage = {
        width: img.width,
        height: img.height,
        planes: clean.map((p, c) => noisyPhoto(p, s, 1000 * c + name.length)),
      };
      const row = [psnr8Planes(noisy.planes, clean)];
      for (const colour of COLOUR_METHODS) {
        const out = denoiseWith(model, noisy, {
          engine,
          pool,
          tile: "auto",
          maxBytes: DEFAULT_MAX_MEMORY_MIB * 2 ** 20,
          colour,
        });
        row.push(psnr8Planes(out.planes, clean));
      }
      (sum[s] ??= row.map(() => 0)).forEach((_, i) => (sum[s][i] += row[i] / photos.length));
      console.log(`| ${name} | ${s} | ${row.map((v) => v.toFixed(2)).join(" | ")} |`);
    }
  }
  for (const s of sigmas)
    console.log(`| **mean of ${photos.length}** | ${s} | ${sum[s].map((v) => `**${v.toFixed(2)}**`).join(" | ")} |`);
} finally {
  pool.close();
}
