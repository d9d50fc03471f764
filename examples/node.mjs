// node.mjs: denoise a photo with the shipped model, then train a small model of your own on
// arrays and use it. Run: node node.mjs noisy.png   (writes clean.png, mine.png, mine.safetensors)
import { writeFileSync } from "node:fs";
import { denoise, loadEngine, loadWeights, readImage, train, writeImage } from "denoise-wasm";

const rt = await loadEngine(); // the fastest build this Node runs, a thread per core
console.log(`engine: ${rt.build} build (${rt.reason}), ${rt.threads} threads`);

// 1. A PNG or JPEG of any size, gray or colour, through the shipped photo model (in tiles).
const photo = await loadWeights("photo");
const noisy = readImage(process.argv[2] ?? "noisy.png"); // { width, height, planes: Float32Array[] }, [0, 1]
const clean = denoise(rt, photo, noisy, {
  onProgress: (done, total, plane, planes) => done === total && console.log(`plane ${plane + 1}/${planes} done`),
});
writeImage("clean.png", clean);

// 2. A Float32Array works as well: one gray plane, row-major, samples in [0, 1].
const gray = { width: 100, height: 60, data: new Float32Array(100 * 60).fill(0.5) };
const out = denoise(rt, photo, gray); // { width, height, data }
console.log(`gray ${out.width}×${out.height}: first sample ${out.data[0].toFixed(3)}`);

// 3. Train on arrays: 128 gray 32×32 crops of the photo, one after another. The noise (here
//    gaussian, σ 25 on the 0–255 scale) is added during training, from the seed.
const S = 32, count = 128, data = new Float32Array(count * S * S);
const luma = noisy.planes[0];
for (let k = 0; k < count; k++) {
  const x0 = (k * 37) % (noisy.width - S), y0 = (k * 53) % (noisy.height - S);
  for (let y = 0; y < S; y++) data.set(luma.subarray((y0 + y) * noisy.width + x0, (y0 + y) * noisy.width + x0 + S), (k * S + y) * S);
}
const mine = await train(rt, { width: S, height: S, count, data }, {
  arch: "unet16", noise: "gaussian", sigma: "25", epochs: 2, batch: 16, seed: 1,
  onEpoch: (e) => console.log(`epoch ${e.epoch}: loss ${e.loss.toFixed(5)}, ${e.imagesPerSecond.toFixed(0)} images/s`),
});
writeFileSync("mine.safetensors", mine.bytes); // denoise-wasm denoise --model mine.safetensors reads it
writeImage("mine.png", denoise(rt, mine.weights, noisy));
rt.close();
