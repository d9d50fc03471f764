// Synthetic camera noise (assembly/camera.ts): the raw noise's variance a·x + b, the fitted (a, b)
// distribution, Malvar–He–Cutler demosaicing, the JPEG simulation against libjpeg-turbo's own output
// (test/golden/jpeg, made by make_jpeg_golden.py with cjpeg/djpeg), the whole pipeline's size of
// noise, and the NOISE_CAMERA kind of noiseImages: seeds fix it, the gaussian share and the
// gray fallback. Statistical bounds are 5 standard errors of the analytic value; seeds are fixed.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { writeNoiseRecord } from "../host/core/abi.js";
import type { Engine } from "../host/core/engine.js";
import { noiseSpec } from "../host/core/noise.js";
import { openNodeEngine } from "../host/node/engine.js";
import { PACKAGE_ROOT } from "../host/node/files.js";

const eng: Engine = await openNodeEngine({ build: "strict" });
const e = eng.exports;
const f32 = (p: number, n: number) => new Float32Array(eng.memory.buffer, p, n);

/** A smooth colour image [3, H, W] in [0, 1]: low-frequency gradients, different per channel. */
function smooth(H: number, W: number, levels8 = false): Float32Array {
  const out = new Float32Array(3 * H * W);
  for (let c = 0; c < 3; c++)
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W; x++) {
        const v = 0.5 + 0.35 * Math.sin((x / W) * 2.1 + c) * Math.cos((y / H) * 1.7 - c * 0.5);
        out[(c * H + y) * W + x] = levels8 ? Math.round(v * 255) / 255 : v;
      }
  return out;
}

test("raw noise: on flat patches the sample variance is a·x + b and the mean x (5 standard errors)", () => {
  const n = 1 << 18,
    src = e.alloc(4 * n),
    dst = e.alloc(4 * n);
  const a = 4e-4,
    b = 2e-5;
  e.rngSeed(7, 0);
  for (const x of [0.01, 0.05, 0.2, 0.5, 0.9]) {
    f32(src, n).fill(x);
    e.noiseCameraRaw(dst, src, n, a, b);
    const d = f32(dst, n);
    let s = 0,
      s2 = 0;
    for (let i = 0; i < n; i++) s += d[i] - x;
    const mean = s / n;
    for (let i = 0; i < n; i++) s2 += (d[i] - x - mean) ** 2;
    const v = s2 / (n - 1),
      want = a * x + b;
    assert.ok(Math.abs(mean) <= (5 * Math.sqrt(want)) / Math.sqrt(n), `x ${x}: mean offset ${mean}`);
    const tol = 5 * want * Math.sqrt(2 / (n - 1));
    assert.ok(Math.abs(v - want) <= tol, `x ${x}: variance ${v}, expected a·x + b = ${want} ± ${tol}`);
    // Can fail: without b (or with a·x alone) the low levels are far outside the bound.
    if (x <= 0.05) assert.ok(Math.abs(v - a * x) > tol, `x ${x}: b makes no visible difference`);
  }
});

test("the fitted (a, b) sampler: log a uniform over [lo, hi], log b on the fitted line with the fitted spread", () => {
  // data/noise/fit_profiles.py's numbers, as assembly/camera.ts has them.
  const LO = -12.512626,
    HI = -6.254851,
    M = 1.252477,
    C = -3.03077,
    S = 1.090028;
  const N = 20000,
    p = e.alloc(16 * N);
  e.rngSeed(3, 0);
  e.cameraParams(p, N);
  const ab = new Float64Array(eng.memory.buffer, p, 2 * N);
  let sa = 0,
    sr = 0,
    sr2 = 0,
    low = 0;
  for (let i = 0; i < N; i++) {
    const la = Math.log(ab[2 * i]),
      r = Math.log(ab[2 * i + 1]) - (M * la + C);
    assert.ok(la >= LO && la <= HI, `draw ${i}: log a ${la} outside [${LO}, ${HI}]`);
    assert.ok(ab[2 * i + 1] > 0, `draw ${i}: b ${ab[2 * i + 1]} ≤ 0`);
    sa += la;
    sr += r;
    sr2 += r * r;
    if (la < (LO + HI) / 2) low++;
  }
  const w = HI - LO;
  assert.ok(Math.abs(sa / N - (LO + HI) / 2) <= (5 * w) / Math.sqrt(12 * N), `mean log a ${sa / N}`);
  assert.ok(Math.abs(low / N - 0.5) <= 5 * Math.sqrt(0.25 / N), `${low} of ${N} in the lower half of log a`);
  const mr = sr / N,
    sd = Math.sqrt(sr2 / N - mr * mr);
  assert.ok(Math.abs(mr) <= (5 * S) / Math.sqrt(N), `log b residual mean ${mr}`);
  assert.ok(Math.abs(sd - S) <= 5 * S * Math.sqrt(1 / (2 * N)), `log b residual sd ${sd}, fitted ${S}`);
});

test("demosaic: a constant colour comes back exactly, a linear ramp exactly inside, a smooth image closely; the wrong pattern does not", () => {
  const H = 24,
    W = 30,
    n = H * W,
    p = e.alloc(12 * n),
    s = e.alloc(12 * n);
  for (let pattern = 0; pattern < 4; pattern++) {
    // Constant (dyadic values: every weighted sum is exact in f32).
    const rgb = [0.625, 0.3125, 0.875];
    for (let c = 0; c < 3; c++) f32(s, 3 * n).fill(rgb[c], c * n, (c + 1) * n);
    e.cameraMosaic(p, s, H, W, pattern);
    e.cameraDemosaic(p, H, W, pattern);
    assert.deepEqual(Array.from(f32(p, 3 * n)), Array.from(f32(s, 3 * n)), `pattern ${pattern}: constant colour`);
    // A linear ramp per channel: MHC is exact on it away from the mirrored edges.
    const ramp = f32(s, 3 * n);
    for (let c = 0; c < 3; c++)
      for (let y = 0; y < H; y++)
        for (let x = 0; x < W; x++) ramp[(c * H + y) * W + x] = 0.1 + 0.01 * x * (c + 1) + 0.015 * y * (3 - c);
    e.cameraMosaic(p, s, H, W, pattern);
    e.cameraDemosaic(p, H, W, pattern);
    let inner = 0;
    for (let c = 0; c < 3; c++)
      for (let y = 2; y < H - 2; y++)
        for (let x = 2; x < W - 2; x++) {
          const i = (c * H + y) * W + x;
          inner = Math.max(inner, Math.abs(f32(p, 3 * n)[i] - ramp[i]));
        }
    assert.ok(inner < 1e-5, `pattern ${pattern}: linear ramp off by ${inner} inside`);
    // Smooth image, in place (dst = src): close inside; the 2-pixel border, where the 5×5
    // neighbourhood is mirrored, is off by about a pixel's step of the gradient.
    const img = smooth(H, W);
    f32(p, 3 * n).set(img);
    e.cameraMosaic(p, p, H, W, pattern);
    e.cameraDemosaic(p, H, W, pattern);
    let worst = 0,
      border = 0;
    for (let c = 0; c < 3; c++)
      for (let y = 0; y < H; y++)
        for (let x = 0; x < W; x++) {
          const i = (c * H + y) * W + x,
            d = Math.abs(f32(p, 3 * n)[i] - img[i]);
          if (y >= 2 && y < H - 2 && x >= 2 && x < W - 2) worst = Math.max(worst, d);
          else border = Math.max(border, d);
        }
    assert.ok(worst < 1 / 255, `pattern ${pattern}: smooth image off by up to ${worst} inside (a level: 1/255)`);
    assert.ok(border < 0.05, `pattern ${pattern}: smooth image off by up to ${border} at the border`);
    // Can fail: demosaicing with another pattern's sites.
    f32(p, 3 * n).set(img);
    e.cameraMosaic(p, p, H, W, pattern);
    e.cameraDemosaic(p, H, W, pattern ^ 1);
    let wrong = 0;
    for (let i = 0; i < 3 * n; i++) wrong = Math.max(wrong, Math.abs(f32(p, 3 * n)[i] - img[i]));
    assert.ok(wrong > 0.05, `pattern ${pattern}: the wrong pattern gives ${wrong}, the test cannot tell`);
  }
});

/** A binary PPM's size and bytes. */
function ppm(name: string): { w: number; h: number; px: Uint8Array } {
  const b = readFileSync(join(PACKAGE_ROOT, "test/golden/jpeg", name));
  const m = /^P6\s+(\d+)\s+(\d+)\s+255\s/.exec(b.toString("latin1", 0, 40));
  assert.ok(m, `${name}: not a binary 8-bit PPM`);
  const w = Number(m[1]),
    h = Number(m[2]);
  return { w, h, px: b.subarray(m[0].length, m[0].length + 3 * w * h) };
}

/** jpegRoundTrip of a PPM; the result as 8-bit interleaved RGB. */
function jpegOf(img: { w: number; h: number; px: Uint8Array }, quality: number, subsample: number): Uint8Array {
  const n = img.w * img.h,
    src = e.alloc(12 * n),
    dst = e.alloc(12 * n);
  const s = f32(src, 3 * n);
  for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) s[c * n + i] = img.px[3 * i + c] / 255;
  const before = s.slice();
  e.jpegRoundTrip(dst, src, img.h, img.w, quality, subsample);
  assert.deepEqual(f32(src, 3 * n), before, "jpegRoundTrip changed its source");
  const d = f32(dst, 3 * n),
    out = new Uint8Array(3 * n);
  for (let i = 0; i < n; i++)
    for (let c = 0; c < 3; c++) {
      const v = d[c * n + i] * 255;
      assert.ok(Math.abs(v - Math.round(v)) < 1e-3, `sample ${v / 255} is not an 8-bit level`);
      out[3 * i + c] = Math.round(v);
    }
  return out;
}

test("JPEG simulation: the bytes djpeg decodes from cjpeg's file (libjpeg-turbo 2.1.5, 4:2:0 and 4:4:4, sizes not multiples of 16)", () => {
  for (const [src, golden, q, sub] of [
    ["a.ppm", "a-q75-420.ppm", 75, 1],
    ["a.ppm", "a-q95-444.ppm", 95, 0],
    ["b.ppm", "b-q50-420.ppm", 50, 1],
  ] as const) {
    const img = ppm(src),
      want = ppm(golden).px,
      got = jpegOf(img, q, sub);
    let diff = 0,
      max = 0,
      moved = 0;
    for (let i = 0; i < got.length; i++) {
      diff += Math.abs(got[i] - want[i]);
      max = Math.max(max, Math.abs(got[i] - want[i]));
      moved += Math.abs(img.px[i] - want[i]);
    }
    // Bit-exact today (ISLOW integer DCT, libjpeg's rounding); a level or two at a few samples would
    // still be a faithful simulation, a wrong table or upsampling is tens of levels.
    assert.ok(max <= 2 && diff / got.length < 0.05, `${golden}: max ${max}, mean ${diff / got.length} levels off`);
    assert.ok(moved / got.length > 2, `${golden}: the JPEG hardly changes the image, the test cannot tell`);
    console.log(`# ${golden}: max ${max}, mean ${(diff / got.length).toFixed(3)} levels from libjpeg-turbo`);
  }
  // Quality 100, 4:4:4: every quantizer is 1, only the DCT's rounding is left.
  const img = ppm("a.ppm"),
    got = jpegOf(img, 100, 0);
  let max = 0,
    sum = 0;
  for (let i = 0; i < got.length; i++) {
    max = Math.max(max, Math.abs(got[i] - img.px[i]));
    sum += Math.abs(got[i] - img.px[i]);
  }
  assert.ok(max <= 3 && sum / got.length < 0.6, `quality 100 4:4:4: max ${max}, mean ${sum / got.length}`);
});

test("camera pipeline: without noise it gives the image back (to 8 bits and the demosaic); with noise its size follows a", () => {
  const H = 48,
    W = 64,
    n = H * W,
    src = e.alloc(12 * n),
    dst = e.alloc(12 * n);
  const img = smooth(H, W, true);
  f32(src, 3 * n).set(img);
  const errOf = (a: number, b: number, q: number, pattern = 1) => {
    e.rngSeed(11, 0);
    e.noiseCamera(dst, src, H, W, a, b, pattern, 2.1, 1.7, q, 1);
    const d = f32(dst, 3 * n);
    let s2 = 0,
      max = 0;
    for (let c = 0; c < 3; c++)
      for (let y = 0; y < H; y++)
        for (let x = 0; x < W; x++) {
          const i = (c * H + y) * W + x,
            v = (d[i] - img[i]) * 255;
          s2 += v * v;
          if (y >= 2 && y < H - 2 && x >= 2 && x < W - 2) max = Math.max(max, Math.abs(v)); // inside
          assert.ok(Math.abs(v - Math.round(v)) < 1e-3 && d[i] >= 0 && d[i] <= 1, `sample ${d[i]} is not 8-bit`);
        }
    return { rms: Math.sqrt(s2 / (3 * n)), max };
  };
  // No noise: the 8-bit image's own rounding through the demosaic, ≤ 2 levels inside (the mirrored
  // border is off by a few levels where the gradient is steep).
  const clean = errOf(0, 0, 0);
  assert.ok(
    clean.max <= 2.01 && clean.rms < 1,
    `no noise, no JPEG: ${clean.max} levels off inside, rms ${clean.rms} (white balance or tone curve not undone?)`,
  );
  const low = errOf(1e-5, 1e-7, 0),
    high = errOf(1e-3, 1e-5, 0),
    jpeg = errOf(1e-3, 1e-5, 75);
  assert.ok(low.rms > 0.2 && low.rms < 2, `a 1e-5: rms ${low.rms} levels`);
  assert.ok(high.rms > 2 && high.rms < 15, `a 1e-3: rms ${high.rms} levels`);
  assert.ok(high.rms > 3 * low.rms, "100× the variance is not ≥ 3× the noise");
  assert.ok(jpeg.rms < high.rms, `JPEG at 75 should smooth some noise away: ${jpeg.rms} vs ${high.rms}`);
  console.log(
    `# camera noise rms (levels): none ${clean.rms.toFixed(2)}, a 1e-5 ${low.rms.toFixed(2)}, a 1e-3 ${high.rms.toFixed(2)}, + JPEG 75 ${jpeg.rms.toFixed(2)}`,
  );
});

/** noiseImages with a camera record over `count` images of [C, H, W]; returns the noisy batch. */
function sample(
  src: Float32Array,
  count: number,
  C: number,
  H: number,
  W: number,
  seed0: number,
  levels: Parameters<typeof noiseSpec>[1],
  kind: Parameters<typeof noiseSpec>[0] = "camera",
  inPlace = false,
): Float32Array {
  const n = C * H * W,
    s = e.alloc(4 * count * n),
    d = inPlace ? s : e.alloc(4 * count * n),
    seeds = e.alloc(8 * count),
    rec = e.alloc(eng.abi.noiseRecBytes);
  f32(s, count * n).set(src);
  new BigUint64Array(eng.memory.buffer, seeds, count).set(
    Array.from({ length: count }, (_, i) => (BigInt(seed0 + i) * 0x9e3779b97f4a7c15n) & 0xffffffffffffffffn),
  );
  writeNoiseRecord(eng.abi, eng.memory.buffer, rec, noiseSpec(kind, levels));
  e.noiseImages(rec, seeds, d, s, count, C, H, W);
  return f32(d, count * n).slice();
}

test("NOISE_CAMERA in noiseImages: the fitted draws give sane noise; seeds fix it; in place is the same; the gaussian share and gray fallback", () => {
  const B = 48,
    H = 32,
    W = 40,
    n = 3 * H * W;
  const one = smooth(H, W, true),
    batch = new Float32Array(B * n);
  for (let b = 0; b < B; b++) batch.set(one, b * n);
  const state = e.alloc(32);
  e.rngSeed(5, 0);
  e.rngGetState(state);
  const before = new Uint8Array(eng.memory.buffer, state, 32).slice();
  const x = sample(batch, B, 3, H, W, 1, {});
  e.rngGetState(state);
  assert.deepEqual(new Uint8Array(eng.memory.buffer, state, 32), before, "noiseImages moved the main stream");

  const sds: number[] = [];
  for (let b = 0; b < B; b++) {
    let s2 = 0;
    for (let i = 0; i < n; i++) {
      const v = x[b * n + i];
      assert.ok(Math.abs(v * 255 - Math.round(v * 255)) < 1e-3, `image ${b}: ${v} is not an 8-bit level`);
      s2 += ((v - one[i]) * 255) ** 2;
    }
    sds.push(Math.sqrt(s2 / n));
  }
  sds.sort((p, q) => p - q);
  assert.ok(sds[0] > 0.3 && sds[B - 1] < 40, `per-image noise ${sds[0]}–${sds[B - 1]} levels`);
  assert.ok(sds[B - 1] > 3 * sds[0], "every image got about the same noise: the (a, b) draw is not per image");
  console.log(
    `# fitted camera noise per image (levels rms): min ${sds[0].toFixed(2)}, median ${sds[B >> 1].toFixed(2)}, max ${sds[B - 1].toFixed(2)}`,
  );

  // Seeds: the same bits again, in place too; other seeds other bits.
  assert.deepEqual(sample(batch, B, 3, H, W, 1, {}), x, "same seeds, different noise");
  assert.deepEqual(sample(batch, B, 3, H, W, 1, {}, "camera", true), x, "in place differs");
  const y = sample(batch, B, 3, H, W, 1000, {});
  for (let b = 0; b < B; b++) {
    const a = x.subarray(b * n, (b + 1) * n),
      c = y.subarray(b * n, (b + 1) * n);
    assert.ok(
      a.some((v, i) => v !== c[i]),
      `image ${b}: other seeds gave the same noise`,
    );
  }

  // cameraShare 0.5: about half the images are camera images (8-bit), the rest unclipped gaussian.
  const mixed = sample(batch, B, 3, H, W, 1, { cameraShare: 0.5, gaussianSigma: 0, gaussianSigmaMax: 55 / 255 });
  let cam = 0;
  for (let b = 0; b < B; b++) {
    const img = mixed.subarray(b * n, (b + 1) * n);
    if (img.every((v) => Math.abs(v * 255 - Math.round(v * 255)) < 1e-3)) cam++;
  }
  assert.ok(cam >= 10 && cam <= 38, `${cam} of ${B} camera images for a share of 0.5`);

  // Gray images (C = 1) get the gaussian noise, exactly the gaussian kind's.
  const gray = new Float32Array(B * H * W).fill(0.5),
    levels = { gaussianSigma: 5 / 255, gaussianSigmaMax: 30 / 255, quantize: 255, quantizeShare: 0.5 };
  assert.deepEqual(
    sample(gray, B, 1, H, W, 1, levels),
    sample(gray, B, 1, H, W, 1, levels, "gaussian"),
    "gray camera noise is not the gaussian kind's",
  );
});
