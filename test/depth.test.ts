// 16-bit PNGs stay 16-bit: decoded with depth 16, written back at 16 bits sample for sample, and
// `denoise` writes a 16-bit PNG for a 16-bit input (the model runs in float either way) while an
// 8-bit input stays 8-bit.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodePngPlanes, encodePngPlanes } from "../host/node/png.js";
import { craftPng } from "./pngcraft.js";
import { runCli } from "./helpers.js";

const W = 40,
  H = 32;
const sample = (x: number, y: number, c: number) => (x * 1601 + y * 977 + c * 20011) % 65536;

test("16-bit PNG: round trip at 16 bits, and denoise writes 16 bits for 16 and 8 for 8", () => {
  for (const [colorType, k] of [
    [0, 1],
    [2, 3],
    [6, 4],
  ] as const) {
    const png = craftPng({ width: W, height: H, colorType, bitDepth: 16 }, (x, y) =>
      Array.from({ length: k }, (_, c) => sample(x, y, c)),
    );
    const img = decodePngPlanes(png, "in.png");
    assert.equal(img.depth, 16);
    const back = encodePngPlanes(img);
    assert.equal(back[24], 16, "IHDR bit depth");
    const again = decodePngPlanes(back, "back.png");
    assert.deepEqual(again.planes, img.planes, `colour type ${colorType}: samples changed`);
    assert.deepEqual(again.alpha, img.alpha);
  }
  const tmp = mkdtempSync(join(tmpdir(), "denoise-depth-"));
  const smooth = (x: number, y: number) => [Math.round(20000 + 300 * x + 200 * y + ((x * 7 + y * 13) % 17) * 150)];
  writeFileSync(join(tmp, "g16.png"), craftPng({ width: W, height: H, colorType: 0, bitDepth: 16 }, smooth));
  writeFileSync(
    join(tmp, "g8.png"),
    craftPng({ width: W, height: H, colorType: 0, bitDepth: 8 }, (x, y) => [smooth(x, y)[0] >> 8]),
  );
  for (const [name, depth] of [
    ["g16", 16],
    ["g8", 8],
  ] as const) {
    const r = runCli([
      "denoise",
      join(tmp, `${name}.png`),
      "-o",
      join(tmp, `${name}-out.png`),
      "--quiet",
      "--build",
      "strict",
      "--threads",
      "1",
    ]);
    assert.equal(r.code, 0, r.err);
    const out = readFileSync(join(tmp, `${name}-out.png`));
    assert.equal(out[24], depth, `${name}: written at ${out[24]} bits`);
    if (depth === 16) {
      const v = decodePngPlanes(out, "out").planes[0].map((s) => Math.round(s * 65535));
      assert.ok(
        v.some((s) => s % 257 !== 0),
        "16-bit output holds only 8-bit values",
      );
    }
  }
  console.log("# 16-bit gray, RGB, RGBA round trip exactly; denoise keeps 16 bits and 8 bits");
});
