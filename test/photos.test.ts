// Photos through the CLI's `denoise`: colour kept (each plane through the model: an RGB image gives
// exactly the three gray results), alpha kept untouched, JPEG in (and out), several sizes in one call.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import jpeg from "jpeg-js";
import { decodePngPlanes } from "../host/node/png.js";
import { decodeJpegPlanes } from "../host/node/images.js";
import { craftPng } from "./pngcraft.js";
import { fromLumaChroma, toLumaChroma } from "../host/core/image.js";
import { runCli, TINY_PHOTO_ARCH } from "./helpers.js";

const tmp = mkdtempSync(join(tmpdir(), "denoise-photos-"));
const W = 61,
  H = 47;
const chan = (c: number) => (x: number, y: number) =>
  Math.round(
    127 +
      100 * Math.sin((x + 7 * c) / (5 + c)) * Math.cos((y - 3 * c) / (4 + c)) +
      ((x * 31 + y * 17 + c * 7) % 23) -
      11,
  );
const write = (name: string, bytes: Uint8Array) => {
  const p = join(tmp, name);
  writeFileSync(p, bytes);
  return p;
};
const denoise = (inputs: string[], out: string, ...extra: string[]) => {
  const r = runCli([
    "denoise",
    ...inputs,
    "-o",
    out,
    "--quiet",
    "--build",
    "strict",
    "--threads",
    "1",
    "--model",
    "digits",
    ...extra,
  ]);
  assert.equal(r.code, 0, r.err);
};
const planesOf = (p: string) => decodePngPlanes(readFileSync(p), p);

test("an RGB photo comes back in colour, each channel exactly the gray result; alpha is kept; several sizes in one call", () => {
  const rgb = write(
    "rgb.png",
    craftPng({ width: W, height: H, colorType: 2, bitDepth: 8 }, (x, y) => [0, 1, 2].map((c) => chan(c)(x, y))),
  );
  const grays = [0, 1, 2].map((c) =>
    write(
      `g${c}.png`,
      craftPng({ width: W, height: H, colorType: 0, bitDepth: 8 }, (x, y) => [chan(c)(x, y)]),
    ),
  );
  const rgba = write(
    "rgba.png",
    craftPng({ width: W, height: H, colorType: 6, bitDepth: 8 }, (x, y) => [
      ...[0, 1, 2].map((c) => chan(c)(x, y)),
      (x * 5 + y) % 256,
    ]),
  );
  const big = write(
    "big.png",
    craftPng({ width: 300, height: 220, colorType: 0, bitDepth: 8 }, (x, y) => [chan(0)(x, y)]),
  );
  const out = join(tmp, "out");
  // a gray model (the digit U-Net runs at any size) through R, G and B one by one
  denoise([rgb, ...grays, rgba, big], out, "--model", "digits", "--tile", "96", "--colour", "rgb");
  const o = planesOf(join(out, "rgb.png"));
  assert.equal(o.planes.length, 3, "colour dropped");
  assert.equal(o.alpha, undefined);
  for (let c = 0; c < 3; c++) {
    const g = planesOf(join(out, `g${c}.png`));
    assert.equal(g.planes.length, 1);
    assert.deepEqual(o.planes[c], g.planes[0], `channel ${c} differs from the gray image's result`);
  }
  const a = planesOf(join(out, "rgba.png")),
    inA = planesOf(rgba);
  assert.ok(a.alpha, "alpha dropped");
  assert.deepEqual(a.alpha, inA.alpha, "alpha changed");
  assert.deepEqual(a.planes, o.planes, "alpha changed the colour result");
  const b = planesOf(join(out, "big.png"));
  assert.deepEqual([b.width, b.height], [300, 220]);
  console.log(`# colour: 3 planes, each equal to its gray run; alpha kept; ${W}×${H} and 300×220 in one call`);
});

test("JPEG in: denoised like the PNG of its decoded pixels; JPEG out for a .jpg path; bad JPEGs are one line", () => {
  const n = W * H,
    rgba = new Uint8Array(4 * n);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++)
      for (let c = 0; c < 3; c++) rgba[4 * (y * W + x) + c] = Math.min(255, Math.max(0, chan(c)(x, y)));
  rgba.forEach((_, i) => {
    if (i % 4 === 3) rgba[i] = 255;
  });
  const jpg = write("photo.jpg", jpeg.encode({ width: W, height: H, data: rgba }, 90).data);
  const decoded = decodeJpegPlanes(readFileSync(jpg), jpg);
  assert.equal(decoded.planes.length, 3);
  const q = (v: number) => Math.round(v * 255);
  const png = write(
    "photo-decoded.png",
    craftPng({ width: W, height: H, colorType: 2, bitDepth: 8 }, (x, y) => decoded.planes.map((p) => q(p[y * W + x]))),
  );
  const a = join(tmp, "from-jpg.png"),
    b = join(tmp, "from-png.png"),
    c = join(tmp, "out.jpg");
  denoise([jpg], a);
  denoise([png], b);
  assert.deepEqual(planesOf(a).planes, planesOf(b).planes, "JPEG input differs from its decoded pixels as PNG");
  denoise([jpg], c);
  const back = decodeJpegPlanes(readFileSync(c), c);
  assert.deepEqual([back.width, back.height, back.planes.length], [W, H, 3]);
  const bad = write("bad.jpg", Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]));
  const r = runCli(["denoise", bad, "-o", join(tmp, "bad-out.png"), "--quiet"]);
  assert.notEqual(r.code, 0);
  assert.match(r.err.trim(), /^denoise-wasm: .*bad\.jpg: corrupt JPEG \(.+\)$/);
  console.log("# JPEG: in like its pixels as PNG, out as JPEG, damaged file refused in one line");
});

test("luma-chroma: the colour transform is inverted exactly; a colour photo's result stays in colour", () => {
  const n = 1000,
    rnd = (k: number) => Float32Array.from({ length: n }, (_, i) => ((i * (7 + k) + k * 31) % 256) / 255);
  const rgb = [rnd(0), rnd(1), rnd(2)],
    back = fromLumaChroma(toLumaChroma(rgb));
  for (let c = 0; c < 3; c++)
    for (let i = 0; i < n; i++)
      assert.ok(Math.abs(back[c][i] - rgb[c][i]) < 1e-6, `plane ${c} at ${i}: ${back[c][i]} vs ${rgb[c][i]}`);
  for (const p of toLumaChroma(rgb))
    assert.ok(
      p.every((v) => v >= 0 && v <= 1),
      "a luma-chroma plane leaves [0, 1]",
    );
  const src = write(
    "lc.png",
    craftPng({ width: W, height: H, colorType: 2, bitDepth: 8 }, (x, y) => [0, 1, 2].map((c) => chan(c)(x, y))),
  );
  const out = join(tmp, "lc-out.png");
  denoise([src], out);
  const o = planesOf(out);
  assert.equal(o.planes.length, 3);
});

test("a 24-megapixel colour photo denoises in tiles within the memory bound, the engine's memory flat across sizes", async () => {
  const { openNodeEngine } = await import("../host/node/engine.js");
  const { denoisePlanar } = await import("../host/core/denoise.js");
  const { syntheticPhoto } = await import("../bench/photo.js");
  const arch = TINY_PHOTO_ARCH;
  const engine = await openNodeEngine({ build: "strict" }),
    budget = 48 * 2 ** 20;
  const opts = {
    engine,
    load: (m: { init(seed: number): void }) => m.init(1),
    tile: "auto" as const,
    maxBytes: budget,
  };
  let tiles = 0;
  const t0 = performance.now();
  const out = denoisePlanar(arch, syntheticPhoto(6000, 4000, 3), { ...opts, progress: (_d, t) => (tiles = t) });
  const secs = (performance.now() - t0) / 1000,
    bytes = engine.memory.buffer.byteLength;
  assert.equal(out.planes.length, 3);
  assert.ok(out.planes.every((p) => p.length === 24e6 && p.every(Number.isFinite)));
  assert.ok(tiles > 1, "not tiled");
  assert.ok(bytes <= budget, `wasm memory ${bytes} over the ${budget}-byte bound`);
  for (const [w, h] of [
    [333, 250],
    [1200, 97],
    [64, 2000],
  ])
    denoisePlanar(arch, syntheticPhoto(w, h, 1), opts);
  assert.equal(engine.memory.buffer.byteLength, bytes, "memory grew over images of other sizes");
  console.log(
    `# 6000×4000 colour in ${tiles} tiles per plane: ${secs.toFixed(1)} s, wasm memory ${(bytes / 2 ** 20).toFixed(1)} MiB (bound ${budget / 2 ** 20} MiB); flat over 3 more sizes`,
  );
});
