// Training on a folder of photos: the 8-bit / σ-range noise the step samples, the patch plan
// (deterministic, in bounds, the eight symmetries, groups within the cache budget), and the CLI's
// `train --images` end to end with validation, a checkpoint and a bit-identical resume.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import jpeg from "jpeg-js";
import { writeNoiseRecord } from "../host/core/abi.js";
import { noiseSpec, photoLevels } from "../host/core/noise.js";
import { copyPatch, PatchBatches, splitPhotos, type PhotoSource } from "../host/core/patches.js";
import { noisyPhoto } from "../host/core/photoeval.js";
import { openNodeEngine } from "../host/node/engine.js";
import { craftPng } from "./pngcraft.js";
import { runCli } from "./helpers.js";

test("8-bit noise: values on the 1/255 grid in [0, 1]; a σ range gives each image its own σ within it", async () => {
  const eng = await openNodeEngine({ build: "strict" }),
    e = eng.exports;
  const B = 64,
    n = 4096,
    clean = e.alloc(4 * B * n),
    noisy = e.alloc(4 * B * n),
    seeds = e.alloc(8 * B),
    rec = e.alloc(eng.abi.noiseRecBytes);
  const c = new Float32Array(eng.memory.buffer, clean, B * n);
  for (let i = 0; i < c.length; i++) c[i] = 0.5;
  new BigUint64Array(eng.memory.buffer, seeds, B).set(
    Array.from({ length: B }, (_, i) => (BigInt(i + 1) * 0x9e3779b97f4a7c15n) & 0xffffffffffffffffn),
  );
  writeNoiseRecord(eng.abi, eng.memory.buffer, rec, noiseSpec("gaussian", photoLevels("10-50", true)));
  e.noiseImages(rec, seeds, noisy, clean, B, 1, 64, 64); // n = 4096
  const y = new Float32Array(eng.memory.buffer, noisy, B * n);
  const sds: number[] = [];
  for (let b = 0; b < B; b++) {
    let s = 0;
    for (let i = 0; i < n; i++) {
      const v = y[b * n + i];
      assert.ok(
        v >= 0 && v <= 1 && Math.abs(v * 255 - Math.round(v * 255)) < 1e-4,
        `image ${b}: ${v} is not an 8-bit value`,
      );
      s += (v - 0.5) ** 2;
    }
    sds.push(Math.sqrt(s / n) * 255);
  }
  // At 0.5 nothing clips below σ ≈ 50: the sample σ is the drawn σ within sampling error (+ rounding's 0.29).
  assert.ok(Math.min(...sds) > 9 && Math.max(...sds) < 51.5, `σ range: ${Math.min(...sds)}–${Math.max(...sds)}`);
  assert.ok(Math.max(...sds) - Math.min(...sds) > 25, "every image got about the same σ");
  const low = sds.filter((s) => s < 30).length;
  assert.ok(low > 16 && low < 48, `σ not uniform over the range: ${low} of ${B} below 30`);
  console.log(
    `# 8-bit noise on the 1/255 grid; per-image σ ${Math.min(...sds).toFixed(1)}–${Math.max(...sds).toFixed(1)} for 10-50`,
  );
});

/** An in-memory photo set with a decode counter. */
function memorySource(sizes: [number, number][], budget = Infinity): PhotoSource & { decodes: number } {
  const imgs = sizes.map(([w, h], k) => Float32Array.from({ length: w * h }, (_, i) => ((i * 7 + k * 13) % 256) / 255));
  return {
    count: sizes.length,
    channels: 1,
    budget,
    decodes: 0,
    name: (i) => `p${i}.png`,
    size: (i) => ({ width: sizes[i][0], height: sizes[i][1] }),
    pixels(i) {
      this.decodes++;
      return imgs[i];
    },
  };
}

test("patch plans: a pure function of (seed, epoch), in bounds, all eight symmetries, a fixed share held out", () => {
  const src = memorySource(
    [
      [40, 30],
      [64, 64],
      [33, 90],
      [50, 50],
      [128, 40],
    ],
    2 * 64 * 64,
  );
  const a = new PatchBatches(src, [0, 1, 2, 3, 4], 24, 10, 7),
    b = new PatchBatches(src, [0, 1, 2, 3, 4], 24, 10, 7);
  const A = new Float32Array(50 * 576),
    Bf = new Float32Array(50 * 576);
  b.fill(Bf, 1, 0, 50); // b plans epoch 1 first, then 0: plans do not depend on history
  b.fill(Bf, 0, 0, 50);
  a.fill(A, 0, 0, 50);
  assert.deepEqual(A, Bf, "the same epoch gave other patches");
  a.fill(A, 1, 0, 50);
  assert.notDeepEqual(A, Bf, "epochs 0 and 1 have the same patches");
  const plan = (a as unknown as { plan: Int32Array }).plan,
    seen = new Set<number>(),
    perPhoto = new Map<number, number>();
  let groupSwitches = 0;
  for (let k = 0; k < 50; k++) {
    const [i, x, y, t] = plan.subarray(4 * k, 4 * k + 4),
      { width, height } = src.size(i);
    assert.ok(x >= 0 && y >= 0 && x + 24 <= width && y + 24 <= height, `patch ${k} out of photo ${i}`);
    seen.add(t);
    perPhoto.set(i, (perPhoto.get(i) ?? 0) + 1);
    if (k && plan[4 * k] !== plan[4 * k - 4]) groupSwitches++;
  }
  assert.equal(seen.size, 8, "not all eight symmetries drawn");
  assert.deepEqual([...perPhoto.values()], [10, 10, 10, 10, 10]);
  // copyPatch's eight transforms are the square's symmetries of the identity crop.
  const W = 5,
    img = Float32Array.from({ length: 25 }, (_, i) => i),
    out = new Float32Array(9);
  const crop = (t: number) => (copyPatch(out, 0, img, W, 1, 1, 3, t), Array.from(out));
  assert.deepEqual(crop(0), [6, 7, 8, 11, 12, 13, 16, 17, 18]);
  assert.deepEqual(crop(1), [8, 7, 6, 13, 12, 11, 18, 17, 16]); // mirrored columns
  assert.deepEqual(crop(4), [6, 11, 16, 7, 12, 17, 8, 13, 18]); // transposed
  assert.equal(new Set([0, 1, 2, 3, 4, 5, 6, 7].map((t) => crop(t).join())).size, 8);
  // Validation split: a fixed share, at least one, never all.
  assert.equal(splitPhotos(src, 0.1, 1).val.length, 1);
  assert.equal(splitPhotos(src, 0.5, 1).val.length, 3);
  assert.equal(splitPhotos(src, 0, 1).val.length, 0);
  console.log(
    `# patch plans: deterministic per epoch, in bounds, 8 symmetries, ${groupSwitches} photo switches in 50 patches`,
  );
});

test("noisy fixtures: seeded, 8-bit, σ as asked", () => {
  const clean = new Float32Array(100000).fill(0.5);
  const a = noisyPhoto(clean, 25, 3),
    b = noisyPhoto(clean, 25, 3),
    c = noisyPhoto(clean, 25, 4);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  let s = 0;
  for (const v of a) s += (v - 0.5) ** 2;
  const sd = Math.sqrt(s / a.length) * 255;
  assert.ok(Math.abs(sd - 25) < 0.4, `σ ${sd}`);
});

test("train --images: a folder of PNG and JPEG photos (nested), validation PSNR each epoch, resume bit-identical", () => {
  const dir = mkdtempSync(join(tmpdir(), "denoise-phototrain-")),
    photos = join(dir, "photos");
  mkdirSync(join(photos, "sub"), { recursive: true });
  const px = (k: number) => (x: number, y: number) =>
    Math.round(127 + 90 * Math.sin(x / (4 + k)) * Math.cos(y / (6 - k)) + ((x * 13 + y * 7 + k) % 17) - 8);
  for (let k = 0; k < 3; k++)
    writeFileSync(
      join(photos, `p${k}.png`),
      craftPng({ width: 40 + 8 * k, height: 36 + 4 * k, colorType: 0, bitDepth: 8 }, (x, y) => [px(k)(x, y)]),
    );
  const W = 44,
    H = 40,
    rgba = new Uint8Array(4 * W * H);
  for (let i = 0; i < W * H; i++)
    for (let c = 0; c < 4; c++) rgba[4 * i + c] = c === 3 ? 255 : px(3)(i % W, Math.floor(i / W)) - 10 * c;
  writeFileSync(join(photos, "sub", "colour.jpg"), jpeg.encode({ width: W, height: H, data: rgba }, 90).data);
  writeFileSync(
    join(photos, "tiny.png"),
    craftPng({ width: 8, height: 8, colorType: 0, bitDepth: 8 }, () => [0]),
  );
  writeFileSync(join(photos, "notes.txt"), "not a photo");
  const train = (out: string, ...extra: string[]) =>
    runCli([
      "train",
      "--images",
      photos,
      "--arch",
      "unet16",
      "--patch",
      "16",
      "--patches-per-image",
      "8",
      "--batch",
      "8",
      "--val-split",
      "0.25",
      "--build",
      "strict",
      "--threads",
      "1",
      "--seed",
      "3",
      "--out",
      out,
      ...extra,
    ]);
  const whole = train(join(dir, "whole.safetensors"), "--epochs", "2");
  assert.equal(whole.code, 0, whole.err);
  assert.match(whole.err, /skipped .*tiny\.png: 8×8 is smaller than 16×16/);
  assert.match(whole.err, /validation: 1 held-out photo/);
  assert.match(whole.err, /epoch 2\/2: loss [\d.]+, [\d.]+ s, \d+ patches\/s, validation [\d.]+ dB/);
  const half = train(join(dir, "half.safetensors"), "--epochs", "1", "--checkpoint", join(dir, "half.ckpt"));
  assert.equal(half.code, 0, half.err);
  const resumed = runCli([
    "train",
    "--resume",
    join(dir, "half.ckpt"),
    "--images",
    photos,
    "--epochs",
    "2",
    "--out",
    join(dir, "resumed.safetensors"),
    "--quiet",
  ]);
  assert.equal(resumed.code, 0, resumed.err);
  const tensors = (p: string) => {
    const b = readFileSync(p),
      n = Number(b.readBigUInt64LE(0));
    return b.subarray(8 + n);
  };
  assert.ok(
    tensors(join(dir, "whole.safetensors")).equals(tensors(join(dir, "resumed.safetensors"))),
    "resumed photo run differs from the uninterrupted one",
  );
  const other = runCli([
    "train",
    "--resume",
    join(dir, "half.ckpt"),
    "--images",
    join(photos, "sub"),
    "--epochs",
    "2",
    "--out",
    join(dir, "x.safetensors"),
    "--quiet",
  ]);
  assert.equal(other.code, 1);
  assert.match(other.err, /checkpoint was trained on/);
  const bad = runCli(["train", "--images", join(dir, "nowhere"), "--out", join(dir, "y.safetensors")]);
  assert.equal(bad.code, 1);
  assert.match(bad.err, /nowhere: photo folder does not exist/);
  console.log(
    "# train --images: PNG + nested JPEG, tiny and non-image files skipped, validation each epoch, resume bit-identical",
  );
});

test("a photo folder keeps at most its budget of decoded samples, whatever the folder's size", async () => {
  const { PhotoFolder } = await import("../host/node/photos.js");
  const dir = mkdtempSync(join(tmpdir(), "denoise-photocache-"));
  for (let k = 0; k < 12; k++)
    writeFileSync(
      join(dir, `p${String(k).padStart(2, "0")}.png`),
      craftPng({ width: 64, height: 48 + k, colorType: 0, bitDepth: 8 }, (x, y) => [(x * 3 + y * 5 + k) % 256]),
    );
  const budget = 4 * 64 * 60,
    folder = new PhotoFolder(dir, 16, budget);
  assert.equal(folder.count, 12);
  const batches = new PatchBatches(
      folder,
      Array.from({ length: 12 }, (_, i) => i),
      16,
      6,
      1,
    ),
    dst = new Float32Array(8 * 256);
  let most = 0;
  for (let epoch = 0; epoch < 2; epoch++) {
    for (let s = 0; s < batches.count; s += 8) {
      batches.fill(dst, epoch, s, 8);
      most = Math.max(most, (folder as unknown as { resident: number }).resident);
    }
  }
  assert.ok(most <= budget, `${most} decoded samples resident, budget ${budget}`);
  console.log(`# photo cache: at most ${most} of ${budget} samples resident over 2 epochs of 12 photos`);
});
