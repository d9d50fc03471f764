// TIFF, AVIF, HEIC and WebP output, against fixtures made by other encoders (test/fixtures/formats:
// libtiff's tiffcp, libavif's avifenc, libheif's heif-enc; README there): 8- and 16-bit TIFFs,
// uncompressed, LZW (big-endian, predictor 2), deflate and tiled, decode to exactly their PNG's
// samples, and a 16-bit TIFF round trips at 16 bits; AVIF and HEIC decode close to their source
// (PSNR), a 10-bit AVIF at 16 bits; WebP is written lossless (exact) and AVIF close. Through the CLI:
// each input is written in its own format (16 bits kept for TIFF), HEIC as PNG (said once), and
// -o's extension picks the format.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { PlanarImage } from "../host/core/image.js";
import { decodeImage, encodeImagePlanes, readImageHeader, readImagePlanes } from "../host/node/images.js";
import { readMetadata, withTiffMetadata } from "../host/core/metadata.js";
import exifr from "exifr";
import { runCli } from "./helpers.js";

const DIR = fileURLToPath(new URL("../../test/fixtures/formats/", import.meta.url));
const at = (f: string) => join(DIR, f);
const FLAGS = ["--quiet", "--build", "strict", "--threads", "1"];

/** PSNR of a against b in dB, at 8 bits. */
function psnr(a: PlanarImage, b: PlanarImage): number {
  assert.deepEqual([a.width, a.height, a.planes.length], [b.width, b.height, b.planes.length]);
  let s = 0,
    n = 0;
  a.planes.forEach((p, c) =>
    p.forEach((v, i) => {
      s += ((v - b.planes[c][i]) * 255) ** 2;
      n++;
    }),
  );
  return 10 * Math.log10((255 * 255) / (s / n));
}

test("TIFF: 8- and 16-bit files of four writers decode exactly; 16 bits round trip at 16 bits", () => {
  const cases: [string, string, 8 | 16][] = [
    ["gray8-none.tif", "gray.png", 8], // tiffcp, uncompressed
    ["gray8-deflate.tif", "gray.png", 8], // ours
    ["gray8-tiled.tif", "gray.png", 8], // tiffcp, 16×16 tiles
    ["photo-deflate.tif", "photo.png", 8],
    ["photo-lzw.tif", "photo.png", 8], // tiffcp, LZW
    ["rgb16-deflate.tif", "rgb16.png", 16],
    ["rgb16-lzw-be.tif", "rgb16.png", 16], // tiffcp, big-endian, LZW with predictor 2
  ];
  for (const [tif, png, depth] of cases) {
    const t = readImagePlanes(at(tif)),
      p = readImagePlanes(at(png));
    assert.equal(t.depth ?? 8, depth, tif);
    assert.deepEqual(t.planes, p.planes, `${tif}: samples differ from ${png}`);
    assert.deepEqual(readImageHeader(at(tif)), { format: "tiff", width: 64, height: 48 });
  }
  const img = readImagePlanes(at("rgb16-lzw-be.tif"));
  const alpha = new Float32Array(img.width * img.height).map((_, i) => ((i * 263) % 65536) / 65535);
  for (const x of [img, { ...img, alpha }, { ...img, planes: [img.planes[1]] }]) {
    const back = decodeImage(encodeImagePlanes("x.tif", x), "back.tif");
    assert.equal(back.depth, 16);
    assert.deepEqual(back.planes, x.planes, "16-bit samples changed");
    assert.deepEqual(back.alpha, x.alpha);
    const s = back.planes[0].map((v) => Math.round(v * 65535));
    assert.ok(
      s.some((v) => v % 257 !== 0),
      "only 8-bit values",
    );
  }
  console.log(
    `# TIFF: ${cases.length} files (none, LZW, deflate, tiled; 8 and 16 bits) exact; 16-bit round trip exact`,
  );
});

test("AVIF and HEIC decode close to their source; WebP is written lossless, AVIF close", () => {
  const src = readImagePlanes(at("photo.png")),
    gray = readImagePlanes(at("gray.png")),
    rgb16 = readImagePlanes(at("rgb16.png"));
  const measured: string[] = [];
  for (const [file, ref, min] of [
    ["photo.avif", src, 35],
    ["gray.avif", gray, 38],
    ["rgb16-10bit.avif", rgb16, 45],
    ["photo.heic", src, 32],
  ] as const) {
    const img = readImagePlanes(at(file)),
      db = psnr(img, ref);
    assert.ok(db >= min, `${file}: PSNR ${db.toFixed(2)} dB < ${min}`);
    measured.push(`${file} ${db.toFixed(1)} dB`);
  }
  assert.equal(readImagePlanes(at("rgb16-10bit.avif")).depth, 16, "a 10-bit AVIF reads at 16 bits");
  // Rotation (irot: a quarter turn anti-clockwise) and mirroring (imir 1: left to right) applied
  const { width: W, height: H } = src,
    turned = (f: (r: number, c: number) => number): PlanarImage => ({
      width: H,
      height: W,
      planes: src.planes.map((p) => new Float32Array(W * H).map((_, i) => p[f(Math.floor(i / H), i % H)])),
    });
  for (const [file, f] of [
    ["photo-irot1.avif", (r: number, c: number) => c * W + (W - 1 - r)],
    ["photo-irot1-imir1.avif", (r: number, c: number) => (H - 1 - c) * W + (W - 1 - r)],
  ] as const) {
    const db = psnr(readImagePlanes(at(file)), turned(f));
    assert.ok(db >= 35, `${file}: PSNR ${db.toFixed(2)} dB against the turned source`);
  }
  assert.equal(readImagePlanes(at("gray.avif")).planes.length, 1);
  const alpha = new Float32Array(src.width * src.height).map((_, i) => [0, 64, 128, 191, 255][i % 5] / 255);
  const webp = decodeImage(encodeImagePlanes("x.webp", { ...src, alpha }), "x.webp");
  assert.deepEqual(webp.planes, src.planes, "WebP output is not lossless");
  assert.deepEqual(webp.alpha, alpha);
  // A smooth image packs past 1024 pixels a byte in lossless WebP: what is written must read back
  const N = 1024,
    ramp = {
      width: N,
      height: N,
      planes: [new Float32Array(N * N).map((_, i) => Math.floor(((i % N) + i / N) / 8) / 255)],
    };
  const packed = encodeImagePlanes("ramp.webp", ramp);
  assert.ok((N * N) / packed.length > 1024, `${(N * N) / packed.length} pixels a byte`);
  assert.deepEqual(decodeImage(packed, "ramp.webp").planes, ramp.planes);
  const avif = decodeImage(encodeImagePlanes("x.avif", src), "x.avif");
  assert.ok(psnr(avif, src) >= 38, `AVIF output: ${psnr(avif, src).toFixed(2)} dB`);
  console.log(`# ${measured.join(", ")}; WebP out exact, AVIF out ${psnr(avif, src).toFixed(1)} dB`);
});

test("denoise writes each input in its own format (HEIC as PNG, said once); -o's extension picks one", async () => {
  const tmp = mkdtempSync(join(tmpdir(), "denoise-formats-"));
  const inputs = ["rgb16-lzw-be.tif", "photo.heic", "photo.avif"].map(at);
  let r = runCli(["denoise", ...inputs, "-o", join(tmp, "out"), ...FLAGS.slice(1)]); // not --quiet: the note shows
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(
    r.err.split("\n").filter((l) => l.startsWith("note")),
    ["note: no HEIC encoder here: photo.heic is written as PNG"],
  );
  const tif = readFileSync(join(tmp, "out", "rgb16-lzw-be.tif"));
  assert.equal(readImageHeader(join(tmp, "out", "rgb16-lzw-be.tif")).format, "tiff");
  assert.equal(decodeImage(tif, "out.tif").depth, 16, "16-bit TIFF written at 8 bits");
  assert.equal(readImageHeader(join(tmp, "out", "photo.png")).format, "png");
  assert.equal(readImageHeader(join(tmp, "out", "photo.avif")).format, "avif");
  for (const ext of ["webp", "tiff", "avif", "jpg"]) {
    const out = join(tmp, `one.${ext}`);
    r = runCli(["denoise", at("photo.png"), "-o", out, ...FLAGS]);
    assert.equal(r.code, 0, r.err);
    const img = readImagePlanes(out);
    assert.deepEqual([img.width, img.height, img.planes.length], [64, 48, 3], ext);
  }
  // A TIFF's ICC profile and XMP go into the TIFF written (and PNG's iCCP into a TIFF)
  const icc = Buffer.from(Array.from({ length: 333 }, (_, i) => (i * 31) & 255)),
    xmp = Buffer.from('<x:xmpmeta xmlns:x="adobe:ns:meta/"/>'),
    tagged = withTiffMetadata(readFileSync(at("rgb16-lzw-be.tif")), { icc, xmp });
  assert.deepEqual(decodeImage(tagged, "tagged.tif"), readImagePlanes(at("rgb16-lzw-be.tif")));
  writeFileSync(join(tmp, "tagged.tif"), tagged);
  r = runCli(["denoise", join(tmp, "tagged.tif"), "-o", join(tmp, "tagged-out.tif"), ...FLAGS]);
  assert.equal(r.code, 0, r.err);
  const md = await readMetadata(readFileSync(join(tmp, "tagged-out.tif")));
  assert.deepEqual([Buffer.from(md.icc ?? []), Buffer.from(md.xmp ?? [])], [icc, xmp], "ICC / XMP not carried");
  r = runCli(["denoise", join(tmp, "tagged.tif"), "-o", join(tmp, "tagged-out.png"), ...FLAGS]);
  assert.deepEqual(Buffer.from((await readMetadata(readFileSync(join(tmp, "tagged-out.png")))).icc ?? []), icc);
  // A 600 dpi scan stays 600 dpi as TIFF, JPEG and PNG (our TIFFs say 72 dpi: the density is written over it)
  const dpi600 = { x: 600, y: 600, unit: "inch" as const };
  writeFileSync(
    join(tmp, "scan.tif"),
    withTiffMetadata(readFileSync(join(tmp, "tagged-out.tif")), { density: dpi600 }),
  );
  for (const ext of ["tif", "jpg", "png"]) {
    const out = join(tmp, `scan-out.${ext}`);
    r = runCli(["denoise", join(tmp, "scan.tif"), "-o", out, ...FLAGS]);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual((await readMetadata(readFileSync(out))).density, dpi600, `${ext}: 600 dpi not kept`);
  }
  const tiffTags = await exifr.parse(join(tmp, "scan-out.tif"), { translateValues: false });
  assert.deepEqual([tiffTags.XResolution, tiffTags.YResolution, tiffTags.ResolutionUnit], [600, 600, 2]);
  r = runCli(["denoise", at("photo.png"), "-o", join(tmp, "x.heic"), ...FLAGS]);
  assert.equal(r.code, 1);
  assert.match(
    r.err.trim(),
    /cannot write \.heic files \(give a \.png, \.jpg, \.webp, \.tif or \.avif file, or a directory\)$/,
  );
});
