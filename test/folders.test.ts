// `denoise DIR -o OUTDIR`: every image of a folder (-r: of its subfolders, the tree kept), each in its
// own format, other files named and skipped; each output written when done, so a run that is stopped
// resumes where it was (outputs newer than their input are skipped unless --force).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { encodeImagePlanes, readImageHeader, readImagePlanes } from "../host/node/images.js";
import { CLI, runCli } from "./helpers.js";

const tmp = mkdtempSync(join(tmpdir(), "denoise-folders-"));
const FLAGS = ["--build", "strict", "--threads", "1"];
const photo = (w: number, h: number, k: number, ext: string) =>
  encodeImagePlanes(`x.${ext}`, {
    width: w,
    height: h,
    planes: [0, 1, 2].map((c) =>
      new Float32Array(w * h).map((_, i) => (((i % w) * (k + 3) + Math.floor(i / w) * 7 + c * 50) % 256) / 255),
    ),
  });

test("a folder: its images in their own format, the tree with -r, other files skipped in one line each", () => {
  const dir = join(tmp, "in");
  mkdirSync(join(dir, "sub"), { recursive: true });
  writeFileSync(join(dir, "a.png"), photo(40, 32, 1, "png"));
  writeFileSync(join(dir, "sub", "b.jpg"), photo(48, 40, 2, "jpg"));
  writeFileSync(join(dir, "notes.txt"), "not an image");
  const out = join(tmp, "out");
  let r = runCli(["denoise", dir, "-o", out, ...FLAGS]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /notes\.txt: not a PNG, JPEG, WebP, TIFF, AVIF or HEIC file, skipped/);
  assert.deepEqual(readdirSync(out), ["a.png"], "without -r the subfolder is left alone");
  r = runCli(["denoise", dir, "-o", out, "-r", ...FLAGS]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /1 output already there and newer than the input: skipped/);
  assert.deepEqual(r.out.trim().split("\n"), [`wrote ${join(out, "sub", "b.jpg")}`]);
  // TIFF, AVIF and HEIC are picked up too: each written in its own format, HEIC as PNG
  const FMT = fileURLToPath(new URL("../../test/fixtures/formats/", import.meta.url));
  for (const f of ["rgb16-lzw-be.tif", "photo.avif", "photo.heic"]) copyFileSync(join(FMT, f), join(dir, "sub", f));
  r = runCli(["denoise", dir, "-o", out, "-r", ...FLAGS]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /note: no HEIC encoder here: .*photo\.heic is written as PNG/);
  assert.deepEqual(readdirSync(join(out, "sub")).sort(), ["b.jpg", "photo.avif", "photo.png", "rgb16-lzw-be.tif"]);
  assert.equal(readImagePlanes(join(out, "sub", "rgb16-lzw-be.tif")).depth, 16);
  assert.equal(readImageHeader(join(out, "sub", "photo.avif")).format, "avif");
  assert.deepEqual(
    [readImagePlanes(join(out, "sub", "b.jpg")).width, readImagePlanes(join(out, "sub", "b.jpg")).height],
    [48, 40],
  );
  r = runCli(["denoise", dir, "-o", out, "-r", "--force", ...FLAGS]);
  assert.equal(r.out.trim().split("\n").length, 5, "--force redoes all five");
  const e = runCli(["denoise", dir, "-o", join(tmp, "one.png"), ...FLAGS]);
  assert.equal(e.code, 1);
  assert.match(e.err.trim(), /a folder input is written into a directory, not one image file$/);
});

test("a folder run stopped after its first output resumes with the rest", async () => {
  const dir = join(tmp, "many");
  mkdirSync(dir, { recursive: true });
  const N = 6;
  for (let k = 0; k < N; k++) writeFileSync(join(dir, `p${k}.png`), photo(256, 192, k, "png"));
  const out = join(tmp, "many-out");
  const first = await new Promise<number>((resolve) => {
    const child = spawn(process.execPath, [CLI, "denoise", dir, "-o", out, "--quiet", ...FLAGS]);
    let wrote = 0;
    child.stdout.on("data", (d: Buffer) => {
      wrote += (d.toString().match(/^wrote /gm) ?? []).length;
      if (wrote >= 1) child.kill("SIGTERM");
    });
    child.on("exit", () => resolve(wrote));
  });
  const kept = readdirSync(out).filter((f) => f.endsWith(".png"));
  assert.ok(first >= 1 && kept.length >= 1 && kept.length < N, `stopped with ${kept.length} of ${N} written`);
  assert.deepEqual(
    readdirSync(out).filter((f) => !f.endsWith(".png")),
    [],
    "a half-written file was left behind",
  );
  const r = runCli(["denoise", dir, "-o", out, ...FLAGS]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, new RegExp(`${kept.length} outputs? already there`));
  assert.equal(r.out.trim().split("\n").length, N - kept.length, "redid outputs it had");
  for (let k = 0; k < N; k++) assert.ok(existsSync(join(out, `p${k}.png`)));
  console.log(`# stopped after ${kept.length} of ${N}; the second run wrote the other ${N - kept.length}`);
});
