// `eval --images` through the CLI on a folder of two synthetic 64×48 photos: the table (noisy and
// model columns, "–" baselines and the note when they are not cached), --json with numbers, cached
// baselines used only when their noisy pixels hash as eval's own (wherever the folder is), --save's
// files, and bad input refused in one line with nothing written. Runs without Python (--baselines
// cache); the scikit-image path is checked too where /usr/bin/python3 has it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { luma } from "../host/core/image.js";
import { noisyPhoto, photoSeed, psnr8, to8 } from "../host/core/photoeval.js";
import { pixelsSha256 } from "../host/node/baselines.js";
import { BASELINES_SCRIPT, PACKAGE_ROOT } from "../host/node/files.js";
import { decodePngPlanes } from "../host/node/png.js";
import { craftPng } from "./pngcraft.js";
import { runCli } from "./helpers.js";

const tmp = mkdtempSync(join(tmpdir(), "denoise-photo-eval-"));
const W = 64,
  H = 48;
const photos = join(tmp, "photos");
mkdirSync(join(photos, "sub"), { recursive: true });
const v = (x: number, y: number, c: number) =>
  Math.min(
    255,
    Math.max(
      0,
      Math.round(120 + 90 * Math.sin((x + 5 * c) / 7) * Math.cos((y - 2 * c) / 5) + ((x * 13 + y * 7 + c) % 19) - 9),
    ),
  );
writeFileSync(
  join(photos, "a.png"),
  craftPng({ width: W, height: H, colorType: 0, bitDepth: 8 }, (x, y) => [v(x, y, 0)]),
);
writeFileSync(
  join(photos, "sub", "b.png"),
  craftPng({ width: W, height: H, colorType: 2, bitDepth: 8 }, (x, y) => [v(x, y, 0), v(x, y, 1), v(x, y, 2)]),
);

const BASE = ["--weights", "data/default.safetensors", "--sigma", "15,25", "--build", "strict", "--threads", "1"];
const evalImages = (dir: string, ...extra: string[]) => runCli(["eval", "--images", dir, ...BASE, ...extra]);
const CELL = /^\d+\.\d\d \/ [01]\.\d{4}$/;
const cells = (line: string) => line.trim().split(/ {2,}/);
const gray = (p: string) => decodePngPlanes(readFileSync(p), p);

test("the table: noisy and model columns, – for baselines not cached, and one note saying how to get them", () => {
  const r = evalImages(photos, "--baselines", "cache", "--cache", join(tmp, "no-cache.json"), "--quiet");
  assert.equal(r.code, 0, r.err);
  assert.equal(r.err, "");
  const lines = r.out.trimEnd().split("\n");
  assert.match(
    lines[0],
    /^2 photos in .*photos, model data\/default\.safetensors \(unet24\), baselines: cache .*no-cache\.json; PSNR dB \/ SSIM/,
  );
  assert.deepEqual(cells(lines[1]), ["σ", "noisy", "model", "papers", "nl-means", "tv", "wavelet"]);
  for (const [k, s] of [
    [2, "15"],
    [3, "25"],
  ] as const) {
    const c = cells(lines[k]);
    assert.equal(c[0], s);
    assert.match(c[1], CELL);
    assert.match(c[2], CELL);
    assert.match(c[3], CELL);
    assert.deepEqual(c.slice(4), ["–", "–", "–"]);
  }
  assert.equal(lines.length, 5);
  assert.match(
    lines[4],
    /^note: baselines shown as – are not in .*no-cache\.json for these noisy pixels \(--baselines cache\); to compute them: apt-get install python3-skimage, then --baselines auto$/,
  );
  // σ 15 noise rounded to 8 bits: PSNR near 10·log10(255² / (15² + 1/12)) = 24.6 dB; σ 25 lower.
  const p15 = Number(cells(lines[2])[1].split(" ")[0]),
    p25 = Number(cells(lines[3])[1].split(" ")[0]);
  assert.ok(p15 > 24 && p15 < 25.5 && p25 < p15 - 3, `noisy PSNR ${p15} / ${p25}`);
  console.log(`# table: noisy ${p15} / ${p25} dB at σ 15 / 25, baselines – with the note`);
});

test("--json: one object with numbers, null for missing baselines; --per-image adds every photo and σ", () => {
  const r = evalImages(photos, "--baselines", "off", "--json", "--per-image");
  assert.equal(r.code, 0, r.err);
  const o = JSON.parse(r.out);
  assert.equal(o.photos, 2);
  assert.equal(o.baselines, "off");
  assert.deepEqual(o.notes, []);
  assert.deepEqual(Object.keys(o.mean), ["15", "25"]);
  for (const s of ["15", "25"]) {
    for (const m of ["noisy", "model", "papers"]) {
      assert.equal(typeof o.mean[s][m].psnr, "number");
      assert.ok(o.mean[s][m].ssim > 0 && o.mean[s][m].ssim < 1);
    }
    for (const b of ["nl-means", "tv", "wavelet"]) assert.equal(o.mean[s][b], null);
  }
  assert.deepEqual(
    o.perImage.map((p: { photo: string; sigma: number }) => `${p.photo}@${p.sigma}`),
    ["a.png@15", "a.png@25", "sub/b.png@15", "sub/b.png@25"],
  );
  const mean15 = (o.perImage[0].noisy.psnr + o.perImage[2].noisy.psnr) / 2;
  assert.ok(Math.abs(mean15 - o.mean["15"].noisy.psnr) < 1e-9);
  // The text table shows the same numbers.
  const t = evalImages(photos, "--baselines", "off", "--quiet");
  assert.equal(
    cells(t.out.split("\n")[2])[1],
    `${o.mean["15"].noisy.psnr.toFixed(2)} / ${o.mean["15"].noisy.ssim.toFixed(4)}`,
  );
  assert.equal(t.out.split("\n").length, 5, "a note although --baselines off");
  console.log("# --json: numbers, null baselines, 4 per-image rows");
});

test("--save writes clean, noisy and ours for every photo and σ; the noisy file is noisyPhoto seeded by the relative path", () => {
  const save = join(tmp, "saved");
  const r = evalImages(photos, "--baselines", "off", "--json", "--per-image", "--save", save);
  assert.equal(r.code, 0, r.err);
  const names = ["a", "sub_b"].flatMap((n) => [
    `${n}_clean.png`,
    ...["15", "25"].flatMap((s) => [`${n}_s${s}_noisy.png`, `${n}_s${s}_ours.png`]),
  ]);
  assert.deepEqual(readdirSync(save).sort(), names.sort());
  const o = JSON.parse(r.out);
  for (const [k, n] of ["a", "sub_b"].entries()) {
    const src = luma(decodePngPlanes(readFileSync(join(photos, k ? "sub/b.png" : "a.png")), "src")).map(to8);
    const clean = gray(join(save, `${n}_clean.png`));
    assert.deepEqual([clean.width, clean.height, clean.planes.length], [W, H, 1]);
    assert.deepEqual(clean.planes[0], src, `${n}: clean is not the luma rounded to 8 bits`);
    for (const [j, s] of [15, 25].entries()) {
      const noisy = gray(join(save, `${n}_s${s}_noisy.png`)).planes[0];
      assert.deepEqual(
        noisy,
        noisyPhoto(src, s, photoSeed(k ? "sub/b.png" : "a.png")),
        `${n} σ ${s}: not the seeded noisy copy`,
      );
      const ours = gray(join(save, `${n}_s${s}_ours.png`)).planes[0];
      const row = o.perImage[2 * k + j];
      assert.ok(Math.abs(psnr8(noisy, src) - row.noisy.psnr) < 1e-9);
      assert.ok(Math.abs(psnr8(ours, src) - row.model.psnr) < 1e-9);
    }
  }
  console.log(`# --save: ${names.length} files, noisy = noisyPhoto(clean, σ, photoSeed(relative path))`);
});

test("a cached baseline is shown only when its noisy_sha256 is eval's own noisy pixels', wherever the folder is", () => {
  const src = luma(decodePngPlanes(readFileSync(join(photos, "a.png")), "a")).map(to8);
  const sha = pixelsSha256(noisyPhoto(src, 15, photoSeed("a.png")));
  const entry = (psnr: number, noisySha: string) => ({
    "nl-means": { psnr, ssim: 0.9 },
    tv: { psnr: psnr + 0.5, ssim: 0.91, weight: 0.05 },
    wavelet: { psnr: psnr - 0.5, ssim: 0.89 },
    noisy_sha256: noisySha,
  });
  const cache = join(tmp, "cache.json");
  writeFileSync(cache, JSON.stringify({ a: { "15": entry(31.11, sha) }, sub_b: { "15": entry(32.22, sha) } }));
  // The same photos in another place: the seeds come from the paths inside the folder.
  const moved = join(tmp, "elsewhere", "deeper", "photos");
  cpSync(photos, moved, { recursive: true });
  const r = evalImages(moved, "--baselines", "cache", "--cache", cache, "--per-image", "--quiet");
  assert.equal(r.code, 0, r.err);
  const rows = r.out.split("\n").map(cells);
  const row = (s: string, photo: string) => rows.find((c) => c[0] === s && c[1] === photo)!;
  assert.deepEqual(row("15", "a.png").slice(5), ["31.11 / 0.9000", "31.61 / 0.9100", "30.61 / 0.8900"]);
  assert.deepEqual(row("15", "sub/b.png").slice(5), ["–", "–", "–"], "an entry for other noisy pixels was used");
  assert.deepEqual(row("15", "mean").slice(5), ["–", "–", "–"], "a mean over some of the photos");
  assert.ok(!r.out.includes("32.22"));
  assert.match(r.out, /^note: baselines shown as – /m);
  const j = JSON.parse(evalImages(moved, "--baselines", "cache", "--cache", cache, "--per-image", "--json").out);
  assert.deepEqual(j.perImage[0]["nl-means"], { psnr: 31.11, ssim: 0.9 });
  assert.equal(j.perImage[2]["nl-means"], null);
  console.log("# cache: matching sha shown, other sha not, mean only over all photos");
});

test("bad input: one line, exit 1, nothing written", () => {
  const empty = join(tmp, "empty");
  mkdirSync(empty, { recursive: true });
  const bad = join(tmp, "bad-cache.json");
  writeFileSync(bad, '{"a": {"15": {"tv": 3}}}');
  const cases: [string[], RegExp][] = [
    [["eval", "--images", join(tmp, "nowhere"), ...BASE], /nowhere: photo folder does not exist$/],
    [["eval", "--images", empty, ...BASE], /empty: no usable PNG or JPEG photos$/],
    [["eval", "--images", photos, ...BASE, "--sigma", "0"], /argument '0' is invalid/],
    [["eval", "--images", photos, ...BASE, "--sigma", "15,abc"], /argument '15,abc' is invalid/],
    [["eval", "--images", photos, ...BASE, "--sigma", "300"], /argument '300' is invalid/],
    [["eval", "--images", photos, ...BASE, "--sigma", "25,25"], /a σ is listed twice/],
    [
      ["eval", "--images", photos, ...BASE, "--baselines", "cache", "--cache", bad],
      /bad-cache\.json: a σ 15: expected/,
    ],
    [
      ["eval", "--images", photos, ...BASE, "--baselines", "cache", "--write-cache"],
      /--write-cache needs --baselines auto/,
    ],
    [
      ["eval", "--images", photos, ...BASE, "--noise", "gaussian"],
      /--noise is for the digits evaluation, not --images/,
    ],
    [["eval", "--sigma", "15", "--weights", "data/default.safetensors"], /--sigma needs --images/],
  ];
  for (const [k, [args, re]] of cases.entries()) {
    const out = join(tmp, `bad-out-${k}`);
    const r = runCli([...args, "--save", out]);
    assert.equal(r.code, 1, `${args.join(" ")}: exit ${r.code}`);
    assert.equal(r.out, "");
    const lines = r.err.trimEnd().split("\n");
    assert.equal(lines.length, 1, `${args.join(" ")}: ${r.err}`);
    assert.match(lines[0], re);
    assert.ok(!existsSync(out), `${args.join(" ")} wrote ${out}`);
  }
  console.log(`# ${cases.length} bad inputs: one line each, exit 1, nothing written`);
});

test("the baselines script is where the compiled CLI looks for it (without it --baselines auto falls back to the cache silently)", () => {
  assert.equal(BASELINES_SCRIPT, join(PACKAGE_ROOT, "host", "node", "baselines.py"));
  assert.ok(existsSync(BASELINES_SCRIPT), `${BASELINES_SCRIPT} missing`);
  assert.match(readFileSync(BASELINES_SCRIPT, "utf8"), /^#!\/usr\/bin\/python3\n/);
});

const skimage =
  spawnSync("/usr/bin/python3", ["-c", "import skimage.restoration, skimage.metrics, numpy, PIL"], { stdio: "ignore" })
    .status === 0;

test("with scikit-image: --baselines auto runs host/node/baselines.py; --write-cache gives the same numbers through the cache", {
  skip: !skimage && "no scikit-image in /usr/bin/python3",
}, () => {
  const cache = join(tmp, "written.json");
  const a = evalImages(photos, "--write-cache", "--cache", cache, "--json", "--per-image", "--sigma", "15,35");
  assert.equal(a.code, 0, a.err);
  const o = JSON.parse(a.out);
  assert.equal(o.baselines, "scikit-image");
  for (const b of ["nl-means", "tv", "wavelet"]) {
    assert.ok(o.mean["15"][b].psnr > o.mean["15"].noisy.psnr, `${b} does not beat the noisy input`);
  }
  assert.match(o.notes.join("\n"), /tv weight at σ 35 interpolated linearly/);
  const c = evalImages(photos, "--baselines", "cache", "--cache", cache, "--json", "--per-image", "--sigma", "15,35");
  assert.equal(c.code, 0, c.err);
  const oc = JSON.parse(c.out);
  assert.deepEqual(oc.mean, o.mean);
  assert.deepEqual(oc.perImage, o.perImage);
  console.log(
    `# scikit-image at σ 15: nl-means ${o.mean["15"]["nl-means"].psnr.toFixed(2)}, tv ${o.mean["15"].tv.psnr.toFixed(2)}, wavelet ${o.mean["15"].wavelet.psnr.toFixed(2)} dB; the cache gives the same`,
  );
});

test("--colour scores R, G, B of colour photos (the papers' column on float noise); --pairs scores noisy / clean pairs and counts the worse ones", () => {
  // --colour: the colour photo keeps its three planes, the gray one its one; papers' ≠ file protocol.
  const c = JSON.parse(
    runCli(["eval", "--images", photos, ...BASE, "--colour", "--json", "--per-image", "--baselines", "off"]).out,
  );
  const b15 = c.perImage.find((p: { photo: string; sigma: number }) => p.photo === "sub/b.png" && p.sigma === 15);
  const g = JSON.parse(
    runCli(["eval", "--images", photos, ...BASE, "--json", "--per-image", "--baselines", "off"]).out,
  );
  const bGray = g.perImage.find((p: { photo: string; sigma: number }) => p.photo === "sub/b.png" && p.sigma === 15);
  assert.notEqual(b15.noisy.psnr, bGray.noisy.psnr, "--colour scored the luma");
  assert.equal(c.perImage[0].noisy.psnr, g.perImage[0].noisy.psnr, "a gray photo is scored the same either way");
  assert.notEqual(b15.papers.psnr, b15.model.psnr);

  // --pairs: <name>_real / <name>_mean in one folder; the "model" here is a copy of the clean photo
  // for one pair (0 worse is not forced: the digit model on photos is what it is).
  const dir = join(tmp, "pairs");
  mkdirSync(dir, { recursive: true });
  const noisyOf = (x: number, y: number, c: number) =>
    Math.max(0, Math.min(255, v(x, y, c) + (((x * 7 + y * 13 + c) % 11) - 5) * 3));
  for (const n of ["p1", "p2"]) {
    writeFileSync(
      join(dir, `${n}_mean.png`),
      craftPng({ width: W, height: H, colorType: 2, bitDepth: 8 }, (x, y) => [0, 1, 2].map((c) => v(x, y, c))),
    );
    writeFileSync(
      join(dir, `${n}_real.png`),
      craftPng({ width: W, height: H, colorType: 2, bitDepth: 8 }, (x, y) => [0, 1, 2].map((c) => noisyOf(x, y, c))),
    );
  }
  const r = runCli([
    "eval",
    "--pairs",
    dir,
    "--weights",
    "data/default.safetensors",
    "--build",
    "strict",
    "--threads",
    "1",
    "--json",
    "--per-image",
  ]);
  assert.equal(r.code, 0, r.err);
  const o = JSON.parse(r.out);
  assert.equal(o.count, 2);
  assert.deepEqual(
    o.images.map((i: { name: string }) => i.name),
    ["p1_real.png", "p2_real.png"],
  );
  assert.equal(
    o.worse,
    o.images.filter((i: { noisy: { psnr: number }; model: { psnr: number } }) => i.model.psnr < i.noisy.psnr).length,
  );
  assert.ok(Math.abs(o.gain - (o.mean.model.psnr - o.mean.noisy.psnr)) < 1e-9);
  assert.ok(o.mean.noisy.psnr > 20 && o.mean.noisy.psnr < 40, `noisy ${o.mean.noisy.psnr}`);
  // The same pairs as two folders (--clean), and the errors.
  const noisyDir = join(tmp, "pairs-noisy"),
    cleanDir = join(tmp, "pairs-clean");
  mkdirSync(noisyDir, { recursive: true });
  mkdirSync(cleanDir, { recursive: true });
  for (const n of ["p1", "p2"]) {
    cpSync(join(dir, `${n}_real.png`), join(noisyDir, `${n}.png`));
    cpSync(join(dir, `${n}_mean.png`), join(cleanDir, `${n}.png`));
  }
  const two = JSON.parse(
    runCli([
      "eval",
      "--pairs",
      noisyDir,
      "--clean",
      cleanDir,
      "--weights",
      "data/default.safetensors",
      "--build",
      "strict",
      "--threads",
      "1",
      "--json",
    ]).out,
  );
  assert.ok(Math.abs(two.mean.model.psnr - o.mean.model.psnr) < 1e-9, "two folders differ from one");
  const lonely = join(tmp, "lonely");
  mkdirSync(lonely, { recursive: true });
  cpSync(join(dir, "p1_real.png"), join(lonely, "p1_real.png"));
  for (const [args, re] of [
    [["--pairs", lonely], /p1_real\.png: no clean photo beside it/],
    [["--pairs", cleanDir], /no noisy \/ clean pairs/],
    [["--pairs", dir, "--sigma", "15"], /--sigma is not for --pairs/],
    [["--pairs", dir, "--images", photos], /give --images or --pairs, not both/],
    [["--clean", cleanDir], /--clean needs --pairs$/],
  ] as const) {
    const e = runCli(["eval", ...args, "--weights", "data/default.safetensors"]);
    assert.equal(e.code, 1, e.err);
    assert.match(e.err.trim(), re);
    assert.equal(e.err.trim().split("\n").length, 1, e.err);
  }
  console.log(
    `# --colour: 3 planes scored; --pairs: noisy ${o.mean.noisy.psnr.toFixed(2)} → ${o.mean.model.psnr.toFixed(2)} dB, ${o.worse} of 2 worse`,
  );
});
