// The digit model on what a user has: a noisy digit as a file (clipped to [0, 1], 8-bit), made by
// `noise` and denoised by `denoise --model digits`, through the CLI. The shipped digit model was
// trained on such files too (--clip 0.5); one trained only on unclipped noise gets ~14.5 dB here.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { psnr } from "../host/core/metrics.js";
import { PACKAGE_ROOT, readImages } from "../host/node/files.js";
import { readImagePlanes, writeImagePlanes } from "../host/node/images.js";
import { runCli } from "./helpers.js";

test("noise → PNG → denoise --model digits: gaussian σ 0.5 digits come back above 19.5 dB", () => {
  const N = 30,
    set = readImages(join(PACKAGE_ROOT, "data/digits-test.idx.gz")),
    P = set.rows * set.cols;
  const dir = mkdtempSync(join(tmpdir(), "denoise-digits8-")),
    out = join(dir, "out");
  mkdirSync(out);
  const noisy: string[] = [],
    clean: Float32Array[] = [];
  for (let i = 0; i < N; i++) {
    const c = Float32Array.from(set.pixels.subarray(i * P, (i + 1) * P), (v) => v / 255);
    clean.push(c);
    const p = join(dir, `d${i}.png`),
      q = join(dir, `n${i}.png`);
    writeImagePlanes(p, { width: set.cols, height: set.rows, planes: [c] });
    const r = runCli(["noise", p, "-o", q, "--noise", "gaussian", "--seed", String(i + 1), "--build", "strict"]);
    assert.equal(r.code, 0, r.err);
    noisy.push(q);
  }
  const r = runCli([
    "denoise",
    ...noisy,
    "-o",
    out,
    "--model",
    "digits",
    "--quiet",
    "--build",
    "strict",
    "--threads",
    "1",
  ]);
  assert.equal(r.code, 0, r.err);
  let before = 0,
    after = 0;
  for (let i = 0; i < N; i++) {
    const n = readImagePlanes(noisy[i]).planes[0],
      d = readImagePlanes(join(out, `n${i}.png`)).planes[0];
    before += psnr(n, clean[i], P) / N;
    after += psnr(d, clean[i], P) / N;
  }
  assert.ok(after > 19.5, `denoised digit files: ${after.toFixed(2)} dB (noisy ${before.toFixed(2)} dB)`);
  console.log(
    `# ${N} noisy digit files (gaussian σ 0.5, 8-bit): ${before.toFixed(2)} dB → ${after.toFixed(2)} dB with the digit model`,
  );
});
