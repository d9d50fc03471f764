// Before/after figures for the README: a crop of a colour test photo, noisy (the protocol's 8-bit
// gaussian noise of σ in each channel) | denoised by the shipped photo model (luma-chroma) | clean,
// one PNG per σ in docs/.
//   node dist/bench/figure.js [photo] [σ,σ,…]
import { join } from "node:path";
import { DEFAULT_MAX_MEMORY_MIB, denoiseWeights, denoiseWith } from "../host/core/denoise.js";
import type { PlanarImage } from "../host/core/image.js";
import { noisyPhoto, psnr8Planes, to8 } from "../host/core/photoeval.js";
import { Canvas } from "../host/node/canvas.js";
import { openNodeEngine, nodePool } from "../host/node/engine.js";
import { DEFAULT_PHOTO_WEIGHTS, PACKAGE_ROOT, readSafetensors, writeFileAtomic } from "../host/node/files.js";
import { readImagePlanes } from "../host/node/images.js";
import { encodeRgbPng } from "../host/node/png.js";

const photo = process.argv[2] ?? join(PACKAGE_ROOT, "data/photos/test/astronaut.png");
const sigmas = (process.argv[3] ?? "15,25,50").split(",").map(Number);
const CROP = 256,
  X0 = 128,
  Y0 = 32,
  GAP = 8,
  HEAD = 24;
const full = readImagePlanes(photo);
const crop = (p: Float32Array) => {
  const out = new Float32Array(CROP * CROP);
  for (let y = 0; y < CROP; y++)
    out.set(p.subarray((Y0 + y) * full.width + X0, (Y0 + y) * full.width + X0 + CROP), y * CROP);
  return out.map(to8);
};
const clean: PlanarImage = { width: CROP, height: CROP, planes: full.planes.map(crop) };
const model = denoiseWeights(readSafetensors(DEFAULT_PHOTO_WEIGHTS), DEFAULT_PHOTO_WEIGHTS);
const engine = await openNodeEngine({ threads: true }),
  pool = await nodePool(engine, 2);
try {
  for (const s of sigmas) {
    const noisy: PlanarImage = { ...clean, planes: clean.planes.map((p, c) => noisyPhoto(p, s, 7 + c)) };
    const out = denoiseWith(model, noisy, { engine, pool, tile: "auto", maxBytes: DEFAULT_MAX_MEMORY_MIB * 2 ** 20 });
    const panels: [string, PlanarImage][] = [
      [`NOISY S=${s}: ${psnr8Planes(noisy.planes, clean.planes).toFixed(2)} DB`, noisy],
      [`DENOISED: ${psnr8Planes(out.planes, clean.planes).toFixed(2)} DB`, out],
      ["CLEAN", clean],
    ];
    const c = new Canvas(3 * CROP + 2 * GAP, CROP + HEAD);
    panels.forEach(([label, img], k) => {
      const x0 = k * (CROP + GAP);
      c.text(x0 + 4, 6, label, [0, 0, 0], 2);
      for (let y = 0; y < CROP; y++) {
        for (let x = 0; x < CROP; x++) {
          const o = 3 * ((HEAD + y) * c.width + x0 + x);
          for (let ch = 0; ch < 3; ch++)
            c.data[o + ch] = Math.round(
              Math.min(1, Math.max(0, img.planes[img.planes.length === 3 ? ch : 0][y * CROP + x])) * 255,
            );
        }
      }
    });
    const file = join(PACKAGE_ROOT, `docs/photo_s${s}.png`);
    writeFileAtomic(file, encodeRgbPng(c.width, c.height, c.data));
    console.log(`wrote ${file}`);
  }
} finally {
  pool.close();
}
