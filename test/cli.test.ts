// The CLI end to end, as a user runs it (child processes), on a tiny IDX data set made here from
// the first MNIST images: train, resume, eval, denoise, noise, start; then the error cases, each of
// which must print one line on stderr, exit non-zero and leave no output file behind.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { readImagePlanes } from "../host/node/images.js";
import { readSafetensors } from "../host/node/files.js";
import { fmtRate } from "../host/node/progress.js";
import { editSafetensorsHeader, idxFile as idx, makeData, runCli } from "./helpers.js";
import { craftPng } from "./pngcraft.js";

const tmp = mkdtempSync(join(tmpdir(), "denoise-cli-"));
const run = (...args: string[]) => runCli(args);

const data = makeData(join(tmp, "tiny"), 256, 64);
const weights = join(tmp, "w.safetensors");
const digit = join(tmp, "digit.png");
// An RGB PNG of an odd size (not 28×28): the network runs fully convolutionally on it.
writeFileSync(
  digit,
  craftPng({ width: 37, height: 23, colorType: 2, bitDepth: 8 }, (x, y) => {
    const v = Math.abs(x - 18) < 3 || Math.abs(y - 11) < 2 ? 230 : 10;
    return [v, v, v];
  }),
);

test("train → resume → eval → denoise → noise → start, on a tiny IDX set", () => {
  let r = run(
    "train",
    "--data",
    data,
    "--epochs",
    "1",
    "--batch",
    "32",
    "--noise",
    "gaussian",
    "--out",
    weights,
    "--quiet",
    "--build",
    "strict",
  );
  assert.equal(r.code, 0, r.err);
  const st = readSafetensors(weights);
  assert.equal(st.metadata.arch, "seed");
  assert.equal(st.metadata["optimizer.step"], "8");
  assert.equal(st.tensors.size, 36); // 12 parameters + Adam m and v

  r = run(
    "train",
    "--data",
    data,
    "--epochs",
    "1",
    "--batch",
    "32",
    "--init",
    weights,
    "--out",
    join(tmp, "w2.safetensors"),
    "--build",
    "strict",
  );
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /Adam state at step 8 restored/);
  assert.equal(readSafetensors(join(tmp, "w2.safetensors")).metadata["optimizer.step"], "16");

  r = run("eval", "--weights", weights, "--data", data, "--json", "--quiet");
  assert.equal(r.code, 0, r.err);
  const table = JSON.parse(r.out);
  assert.deepEqual(Object.keys(table), ["gaussian", "gaussian-8bit", "salt-pepper", "speckle", "speckle-8bit"]);
  for (const n of Object.keys(table)) {
    assert.deepEqual(Object.keys(table[n]), ["noisy", "median3", "model"]);
    for (const m of Object.values(table[n]) as { psnr: number; ssim: number }[])
      assert.ok(m.psnr > 5 && m.ssim > 0 && m.ssim <= 1);
  }
  r = run("eval", "--data", data, "--noise", "speckle", "--limit", "16");
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /model\s+\d+\.\d+ dB/); // the shipped default weights

  const out = join(tmp, "den.png");
  r = run("denoise", digit, "-o", out, "--weights", weights, "--quiet");
  assert.equal(r.code, 0, r.err);
  r = run("denoise", digit, "-o", out, "--weights", weights);
  assert.doesNotMatch(r.err, /engine:/, "the engine line without --verbose");
  r = run("denoise", digit, "-o", out, "--weights", weights, "--verbose", "--quiet");
  assert.match(r.err, /^engine: (relaxed|strict|scalar) build \(.*\), \d+ threads?$/m);
  const den = readImagePlanes(out);
  assert.deepEqual([den.width, den.height], [37, 23]);
  r = run("denoise", digit, out, "-o", join(tmp, "many"), "--quiet");
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(readdirSync(join(tmp, "many")).sort(), ["den.png", "digit.png"]);

  const n1 = join(tmp, "n1.png"),
    n2 = join(tmp, "n2.png");
  assert.equal(run("noise", digit, "-o", n1, "--noise", "salt-pepper", "--seed", "3").code, 0);
  assert.equal(run("noise", digit, "-o", n2, "--type", "salt-pepper", "--seed", "3").code, 0);
  assert.ok(readFileSync(n1).equals(readFileSync(n2)), "same seed, different noise");
  assert.equal(run("noise", digit, "-o", n2, "--type", "gaussian", "--level", "0.3", "--seed", "4").code, 0);
  assert.ok(!readFileSync(n1).equals(readFileSync(n2)));

  const res = join(tmp, "results");
  r = run(
    "start",
    "--data",
    data,
    "--epochs",
    "2",
    "--limit",
    "128",
    "--eval-limit",
    "32",
    "--out",
    res,
    "--build",
    "strict",
  );
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /method\s+gaussian PSNR/);
  for (const f of [
    "grid_gaussian.png",
    "grid_salt-pepper.png",
    "grid_speckle.png",
    "training.png",
    "metrics.json",
    "report.md",
    "weights.safetensors",
  ]) {
    assert.ok(existsSync(join(res, f)), f);
  }
  const metrics = JSON.parse(readFileSync(join(res, "metrics.json"), "utf8"));
  assert.equal(metrics.train.length, 2);
  for (const k of ["train_seconds", "eval_seconds", "epochs", "batch", "lr", "final_loss"])
    assert.equal(typeof metrics[k], "number", `metrics.json ${k}: ${metrics[k]}`);
  assert.equal(metrics.shuffle, true);
  assert.match(metrics.epoch_psnr, /test images/);
  assert.match(r.err, /epoch 1\/2 \d+\/128 \d+ img\/s run ETA/, "the first epoch's ETA covers the run");
  assert.match(r.err, /epoch 1\/2: .*test PSNR \d/);
  assert.ok(metrics.train.every((e: { valPsnr: number }) => e.valPsnr > 5));
  assert.ok(readImagePlanes(join(res, "grid_gaussian.png")).width > 12 * 28);
});

test("bad input: one line on stderr, exit ≠ 0, no output written", () => {
  const bad = (name: string) => join(tmp, "bad", name);
  mkdirSync(join(tmp, "bad"), { recursive: true });
  const truncated = makeData(bad("truncated"), 16, 16);
  writeFileSync(
    join(truncated, "train-images-idx3-ubyte"),
    readFileSync(join(truncated, "train-images-idx3-ubyte")).subarray(0, 5000),
  );
  const magic = makeData(bad("magic"), 16, 16);
  writeFileSync(
    join(magic, "train-images-idx3-ubyte"),
    Buffer.concat([Buffer.from([1, 2, 8, 3]), readFileSync(join(magic, "train-images-idx3-ubyte")).subarray(4)]),
  );
  const big = bad("big");
  mkdirSync(big);
  writeFileSync(join(big, "train-images-idx3-ubyte"), idx([4, 32, 32], new Uint8Array(4 * 32 * 32)));
  writeFileSync(bad("not.png"), "I am text, not an image\n");
  const wrongShape = bad("wrong.safetensors");
  // Re-label encoder.0.weight's shape: same bytes, wrong shape for the architecture.
  writeFileSync(
    wrongShape,
    editSafetensorsHeader(readFileSync(weights), (h) => {
      h["encoder.0.weight"].shape = [16, 9, 1, 1];
      delete h.__metadata__;
    }),
  );

  const o = bad("out.safetensors"),
    p = bad("out.png");
  const cases: [string[], RegExp, string][] = [
    [["train", "--data", bad("nope"), "--out", o], /data directory does not exist/, o],
    [["train", "--data", truncated, "--out", o], /truncated IDX file/, o],
    [["train", "--data", magic, "--out", o], /not an IDX file \(magic 01 02 08 03/, o],
    [["train", "--data", big, "--out", o], /images are 32×32, architecture seed takes 28×28/, o],
    [["train", "--data", data, "--noise", "pink", "--out", o], /argument 'pink' is invalid/, o],
    [["train", "--data", data, "--epochs", "abc", "--out", o], /'--epochs <n>' argument 'abc' is invalid/, o],
    [["train", "--data", data, "--epochs", "0", "--out", o], /argument '0' is invalid/, o],
    [["train", "--data", data, "--batch", "-3", "--out", o], /argument '-3' is invalid/, o],
    [["train", "--data", data, "--batch", "1.5", "--out", o], /argument '1.5' is invalid/, o],
    [["train", "--data", data, "--lr", "fast", "--out", o], /argument 'fast' is invalid/, o],
    [
      ["train", "--data", data, "--init", bad("missing.safetensors"), "--out", o],
      /missing.safetensors: cannot read \(no such file\)/,
      o,
    ],
    [["train", "--data", data, "--frobnicate", "--out", o], /unknown option '--frobnicate'/, o],
    [["denoise", bad("not.png"), "-o", p], /not a PNG, JPEG, WebP, TIFF, AVIF or HEIC file/, p],
    [
      ["denoise", digit, "-o", p, "--weights", wrongShape],
      /'encoder.0.weight' has shape 16×9×1×1, architecture seed needs 16×1×3×3/,
      p,
    ],
    [["denoise", digit, bad("nothere.png"), "-o", bad("dir")], /nothere.png: cannot read/, bad("dir")],
    [
      ["eval", "--weights", bad("not.png"), "--data", data],
      /not.png: not a safetensors file \(its header length \d+ is over the 104857600-byte limit\)/,
      "",
    ],
    [["noise", digit, "-o", p, "--noise", "bogus"], /argument 'bogus' is invalid/, p],
    [["noise", digit, "-o", p, "--type", "gaussian", "--level", "-1"], /argument '-1' is invalid/, p],
    [["noise", digit, "-o", p], /required option '--noise <kind>' not specified/, p],
    [
      ["noise", digit, "-o", p, "--type", "salt-pepper", "--level", "2"],
      /--level 2: salt-and-pepper's level is the share of pixels hit, at most 1/,
      p,
    ],
    [
      ["denoise", digit, digit, "-o", bad("two.png"), "--model", "digits"],
      /-o .*two\.png: 2 inputs are written into a directory/,
      bad("two.png"),
    ],
    [
      ["denoise", digit, "-o", p, "--model", "digits", "--weights", wrongShape],
      /give --model or --weights, not both/,
      p,
    ],
    [["denoise", digit, "-o", p, "--model", bad("README.md")], /README\.md: cannot read \(no such file\)/, p],
    [["start", "--data", data, "--eval-limit", "x", "--out", bad("res")], /argument 'x' is invalid/, bad("res")],
    // A typo of a required option is reported as itself, not as the missing option.
    [["denoise", digit, "--ouput", p], /^error: unknown option '--ouput' \(Did you mean --out\?\)$/m, p],
    [["denoise", digit], /required option '-o, --out <path>' not specified/, ""],
    [
      ["frobnicate"],
      /^error: unknown command 'frobnicate' \(commands: start, train, eval, denoise, noise, export\)/,
      "",
    ],
    [["denose", digit, "-o", p], /^error: unknown command 'denose' \(did you mean 'denoise'\?\)/, p],
    // An output extension this command cannot write is refused, not turned into a folder.
    [["denoise", digit, "-o", bad("result.gif")], /-o .*result\.gif: cannot write \.gif files/, bad("result.gif")],
    // Given on the command line, even when it equals the default (the core count): refused, not ignored.
    [
      [
        "train",
        "--data",
        data,
        "--build",
        "scalar",
        "--threads",
        String(Math.min(availableParallelism(), 64)),
        "--out",
        o,
      ],
      /more than one thread needs a SIMD build/,
      o,
    ],
  ];
  let handled = 0;
  for (const [args, re, output] of cases) {
    const r = run(...args);
    const what = args.join(" ");
    assert.notEqual(r.code, 0, `${what}: exit 0`);
    assert.match(r.err, re, `${what}: ${r.err}`);
    const lines = r.err
      .trim()
      .split("\n")
      .filter((l) => !l.startsWith("engine:"));
    assert.equal(lines.length, 1, `${what}: ${lines.length} lines on stderr:\n${r.err}`);
    if (output) assert.ok(!existsSync(output), `${what}: left ${output}`);
    handled++;
  }
  assert.deepEqual(
    readdirSync(join(tmp, "bad")).filter((f) => f.includes(".tmp")),
    [],
  );
  console.log(`# ${cases.length} bad inputs tried, ${handled} refused with one line, exit ≠ 0 and no output`);
});

test("progress rates keep two significant digits when slow (a big photo's tiles: not '0 tiles/s')", () => {
  assert.deepEqual([0.4137, 0.05, 3.26, 12.6, 1234.4].map(fmtRate), ["0.41", "0.050", "3.3", "13", "1234"]);
  assert.equal(fmtRate(0), "0");
});

test("--help marks required options and gives --level's defaults", () => {
  const noise = runCli(["noise", "--help"]).out.replace(/\s+/g, " ");
  assert.match(noise, /-o, --out <path> output file \(\.png, \.jpg, \.webp, \.tif, \.avif\) \(required\)/);
  assert.match(noise, /--noise <kind> +noise: .* \(required\)/);
  assert.match(noise, /--level <x> .*\(default: gaussian 0\.5, salt-pepper 0\.04, speckle 1, poisson 10\)/);
  assert.match(runCli(["denoise", "--help"]).out.replace(/\s+/g, " "), /-o, --out <path> .* \(required\)/);
  assert.match(runCli(["train", "--help"]).out.replace(/\s+/g, " "), /--level <x> .*\(default: gaussian 0\.5/);
});

test("no command prints the help (exit 0) instead of starting a training run", () => {
  const r = runCli([]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^Usage: denoise-wasm <command> \[options\]/);
  assert.match(r.out, /start \[options\]/);
  assert.doesNotMatch(r.err, /engine:/, "an engine was loaded");
});

test("with no V8 flags, the CLI gets the relaxed build on every Node it supports, and --verbose says why (and how it tiled)", () => {
  const png = join(tmp, "flagless.png");
  writeFileSync(
    png,
    craftPng({ width: 32, height: 24, colorType: 0, bitDepth: 8 }, (x, y) => [(x * 7 + y * 3) % 256]),
  );
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: "" };
  delete env.DENOISE_BUILD;
  const r = runCli(["denoise", png, "-o", join(tmp, "flagless-out.png"), "--verbose", "--threads", "1"], { env });
  assert.equal(r.code, 0, r.err);
  const line = r.err.split("\n").find((l) => l.startsWith("engine:"));
  const node = Number(process.versions.node.split(".")[0]);
  assert.match(line ?? "", /^engine: relaxed build \(best build, validates here/, r.err);
  if (node < 22) assert.match(line!, /relaxed SIMD turned on for Node /);
  // and ends the image's line with its tiling and the wasm memory held
  assert.match(
    r.err,
    /flagless\.png: 32×24 denoised in one tile of 32×24 \(halo \+\d+\.\d % of the work\), \d+ MiB of wasm memory/,
  );
  console.log(`# ${line}`);
});
