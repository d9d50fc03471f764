// Before/after figures for the README, by the shipped photo model with default options.
//   node dist/bench/figure.js [photo] [σ,σ,…]
// a crop of a colour test photo: noisy (the protocol's 8-bit gaussian noise of σ in each channel) |
// denoised | clean, one PNG per σ (docs/photo_s<σ>.png);
//   node dist/bench/figure.js --real photo x,y
// a photo with real noise (no clean original): the 128-pixel crop at x, y as shot | denoised, both 3× enlarged
// (docs/real_<name>.png).
import { basename, join } from "node:path";
import { DEFAULT_MAX_MEMORY_MIB, denoiseWeights, denoiseWith } from "../host/core/denoise.js";
import type { PlanarImage } from "../host/core/image.js";
import { noisyPhoto, psnr8Planes, to8 } from "../host/core/photoeval.js";
import { Canvas } from "../host/node/canvas.js";
import { openNodeEngine, nodePool } from "../host/node/engine.js";
import { DEFAULT_PHOTO_WEIGHTS, PACKAGE_ROOT, readSafetensors, writeFileAtomic } from "../host/node/files.js";
import { readImagePlanes } from "../host/node/images.js";
import { encodeRgbPng } from "../host/node/png.js";

const real = process.argv[2] === "--real";
const args = real ? process.argv.slice(3) : process.argv.slice(2);
if (real && args.length < 2) throw new Error("usage: figure.js --real photo x,y");
const photo = args[0] ?? join(PACKAGE_ROOT, "data/photos/test/astronaut.png");
const GAP = 8,
  HEAD = 24;
const full = readImagePlanes(photo);
/** The side × side crop of an image at x0, y0. */
const crop = (img: PlanarImage, x0: number, y0: number, side: number): PlanarImage => {
  if (!(x0 >= 0 && y0 >= 0 && x0 + side <= img.width && y0 + side <= img.height))
    throw new Error(`${photo}: ${img.width}×${img.height}, too small for a ${side}-pixel crop at ${x0},${y0}`);
  const cut = (p: Float32Array) => {
    const out = new Float32Array(side * side);
    for (let y = 0; y < side; y++)
      out.set(p.subarray((y0 + y) * img.width + x0, (y0 + y) * img.width + x0 + side), y * side);
    return out;
  };
  return { width: side, height: side, planes: img.planes.map(cut) };
};
/** Labelled panels side by side, each enlarged zoom× (nearest neighbour), as an RGB PNG. */
function panels(items: [string, PlanarImage][], zoom: number, file: string): void {
  const side = items[0][1].width * zoom;
  const c = new Canvas(items.length * side + (items.length - 1) * GAP, side + HEAD);
  items.forEach(([label, img], k) => {
    const x0 = k * (side + GAP);
    c.text(x0 + 4, 6, label, [0, 0, 0], 2);
    for (let y = 0; y < side; y++) {
      for (let x = 0; x < side; x++) {
        const o = 3 * ((HEAD + y) * c.width + x0 + x),
          i = Math.floor(y / zoom) * img.width + Math.floor(x / zoom);
        for (let ch = 0; ch < 3; ch++)
          c.data[o + ch] = Math.round(Math.min(1, Math.max(0, img.planes[img.planes.length === 3 ? ch : 0][i])) * 255);
      }
    }
  });
  writeFileAtomic(file, encodeRgbPng(c.width, c.height, c.data));
  console.log(`wrote ${file}`);
}
const model = denoiseWeights(readSafetensors(DEFAULT_PHOTO_WEIGHTS), DEFAULT_PHOTO_WEIGHTS);
const engine = await openNodeEngine({ threads: true }),
  pool = await nodePool(engine, 2);
const denoised = (img: PlanarImage) =>
  denoiseWith(model, img, { engine, pool, tile: "auto", maxBytes: DEFAULT_MAX_MEMORY_MIB * 2 ** 20 });
try {
  if (real) {
    // The whole photo is denoised (its noise level is measured on all of it, as `denoise` does), then cropped.
    const [x0, y0] = args[1].split(",").map(Number),
      side = 128;
    const out = denoised(full);
    const name = basename(photo).replace(/\.[^.]*$/, "");
    panels(
      [
        ["AS SHOT", crop(full, x0, y0, side)],
        ["DENOISED", crop(out, x0, y0, side)],
      ],
      3,
      join(PACKAGE_ROOT, `docs/real_${name}.png`),
    );
  } else {
    const region = crop(full, 128, 32, 256),
      clean: PlanarImage = { ...region, planes: region.planes.map((p) => p.map(to8)) };
    for (const s of (args[1] ?? "15,25,50").split(",").map(Number)) {
      const noisy: PlanarImage = { ...clean, planes: clean.planes.map((p, c) => noisyPhoto(p, s, 7 + c)) };
      const out = denoised(noisy);
      panels(
        [
          [`NOISY S=${s}: ${psnr8Planes(noisy.planes, clean.planes).toFixed(2)} DB`, noisy],
          [`DENOISED: ${psnr8Planes(out.planes, clean.planes).toFixed(2)} DB`, out],
          ["CLEAN", clean],
        ],
        1,
        join(PACKAGE_ROOT, `docs/photo_s${s}.png`),
      );
    }
  }
} finally {
  pool.close();
}
