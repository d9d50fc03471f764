// Metadata kept from input to output, read back by exifr (a maintained EXIF / XMP / ICC reader): a
// phone JPEG (EXIF orientation 6, camera, date, GPS, an ICC profile, XMP) denoised to JPEG and to PNG
// comes out upright with its orientation tag reset to 1 and the rest intact; --strip-metadata drops it.
// A PNG (eXIf) and a WebP (EXIF chunk) with orientation 6 come out upright too, their metadata carried.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import exifr from "exifr";
import { readMetadata, uprightExif, withMetadata } from "../host/core/metadata.js";
import { exifBlock, iccProfile, phoneJpeg, XMP } from "./phone-jpeg.js";
import { encodeImagePlanes, readImagePlanes } from "../host/node/images.js";
import { pngOrientation, webpOrientation } from "../host/core/exif.js";
import { riffChunk } from "../host/core/webp.js";
import { encodePngPlanes } from "../host/node/png.js";
import { deflate, pngChunk } from "../host/core/png-encode.js";
import { runCli } from "./helpers.js";

test("metadata: EXIF (orientation reset, GPS kept), XMP and ICC carried to JPEG and PNG outputs; --strip-metadata drops them", async () => {
  const W = 40,
    H = 24;
  const { bytes, md } = phoneJpeg(W, H);
  const tmp = mkdtempSync(join(tmpdir(), "denoise-meta-"));
  const phone = join(tmp, "phone.jpg");
  writeFileSync(phone, bytes);
  const back = await readMetadata(readFileSync(phone));
  const u8 = (b: Uint8Array) => new Uint8Array(b);
  assert.deepEqual(back.exif, u8(md.exif));
  assert.deepEqual(Buffer.from(back.xmp!), XMP);
  assert.deepEqual(back.icc, u8(md.icc));
  assert.deepEqual(back.density, md.density);
  const inTags = await exifr.parse(phone, { gps: true, xmp: true, icc: true, mergeOutput: true });
  assert.equal(inTags.Make, "Phone99");
  assert.equal(inTags.Orientation, "Rotate 90 CW");

  for (const ext of ["jpg", "png"]) {
    const out = join(tmp, `out.${ext}`);
    const r = runCli(["denoise", phone, "-o", out, "--quiet", "--build", "strict", "--threads", "1"]);
    assert.equal(r.code, 0, r.err);
    const img = readImagePlanes(out);
    assert.deepEqual([img.width, img.height], [H, W], `${ext}: not upright`);
    const tags = await exifr.parse(out, { gps: true, xmp: true, icc: true, mergeOutput: true, translateValues: false });
    assert.equal(tags.Make, "Phone99", `${ext}: EXIF lost`);
    assert.equal(tags.Orientation, 1, `${ext}: orientation not reset`);
    assert.equal(tags.GPSLatitudeRef, "N", `${ext}: GPS lost`);
    assert.equal(tags.CreatorTool, "denoise-wasm test", `${ext}: XMP lost`);
    assert.equal(tags.ProfileClass ?? tags.DeviceClass ?? "mntr", "mntr");
    const outMd = await readMetadata(readFileSync(out));
    assert.deepEqual(outMd.icc, u8(md.icc), `${ext}: ICC profile changed`);
    assert.deepEqual(outMd.density, md.density, `${ext}: 300 dpi not kept`);
    if (ext === "jpg") {
      const { jfif } = await exifr.parse(out, { jfif: true, tiff: false, mergeOutput: false, translateValues: false });
      assert.deepEqual(
        [jfif.ResolutionUnit, jfif.XResolution, jfif.YResolution],
        [1, 300, 300],
        "exifr reads another density",
      );
    }
    const bare = join(tmp, `bare.${ext}`);
    assert.equal(
      runCli(["denoise", phone, "-o", bare, "--quiet", "--strip-metadata", "--build", "strict", "--threads", "1"]).code,
      0,
    );
    assert.deepEqual(await readMetadata(readFileSync(bare)), {}, `${ext}: --strip-metadata kept some`);
  }
  assert.deepEqual(uprightExif(md.exif).subarray(0, 8), u8(md.exif.subarray(0, 8)));
  console.log(
    "# EXIF (orientation 6 → 1, Make, GPS), XMP, ICC, 300 dpi: kept in JPEG and PNG outputs, read back by exifr; stripped on request",
  );
});

test("metadata: a PNG's damaged or bomb ICC profile is left behind, its EXIF still read", async () => {
  const png = await withMetadata(encodePngPlanes({ width: 4, height: 3, planes: [new Float32Array(12)] }), {
    exif: exifBlock(1),
  });
  const ihdrEnd = 8 + 12 + 13,
    head = Buffer.from("ICC Profile\0\0", "latin1");
  const withIccp = (z: Uint8Array) =>
    Buffer.concat([png.subarray(0, ihdrEnd), pngChunk("iCCP", Buffer.concat([head, z])), png.subarray(ihdrEnd)]);
  const bomb = await deflate(new Uint8Array(17 * 2 ** 20)); // 17 MiB of zeros in some 17 kB
  assert.ok(bomb.length < 100_000);
  for (const [what, z] of [
    ["bomb", bomb],
    ["damaged", Uint8Array.from({ length: 200 }, (_, i) => (i * 77) & 255)],
  ] as const) {
    const md = await readMetadata(withIccp(z));
    assert.equal(md.icc, undefined, `${what}: profile read`);
    assert.deepEqual(md.exif, new Uint8Array(exifBlock(1)), `${what}: EXIF lost`);
  }
  const good = await readMetadata(withIccp(await deflate(iccProfile())));
  assert.deepEqual(good.icc, new Uint8Array(iccProfile()));
});

test("metadata: a PNG's eXIf and a WebP's EXIF orientation applied on input, EXIF / XMP / ICC carried to PNG and WebP outputs", async () => {
  const W = 40,
    H = 24;
  const planes = [0, 1, 2].map((c) => new Float32Array(W * H).map((_, i) => ((i % W) * 4 + c * 30) / 255));
  const stored = { width: W, height: H, planes };
  const tmp = mkdtempSync(join(tmpdir(), "denoise-meta-"));
  const md = { exif: exifBlock(6), xmp: XMP, icc: iccProfile() };
  // A PNG as a phone app writes it: eXIf with orientation 6 (withMetadata would reset it), iCCP, XMP.
  const plainPng = encodePngPlanes(stored),
    ihdrEnd = 8 + 12 + 13;
  const png = Buffer.concat([
    plainPng.subarray(0, ihdrEnd),
    pngChunk("eXIf", md.exif),
    (await withMetadata(plainPng, { xmp: md.xmp, icc: md.icc })).subarray(ihdrEnd),
  ]);
  // A WebP with the same: written by withMetadata (orientation reset), then the EXIF chunk's orientation set back to 6.
  const webp = await withMetadata(encodeImagePlanes("x.webp", stored), md);
  riffChunk(webp, "EXIF")![30] = 6; // IFD0's second entry (Orientation): its value
  assert.equal(pngOrientation(png), 6);
  assert.equal(webpOrientation(webp), 6);
  const webpBack = await readMetadata(webp);
  assert.deepEqual(webpBack.xmp, new Uint8Array(XMP));
  assert.deepEqual(webpBack.icc, new Uint8Array(md.icc));
  for (const [name, bytes] of [
    ["phone.png", png],
    ["phone.webp", webp],
  ] as const) {
    const input = join(tmp, name);
    writeFileSync(input, bytes);
    const read = readImagePlanes(input);
    assert.deepEqual([read.width, read.height], [H, W], `${name}: not read upright`);
    const out = join(tmp, `out-${name}`);
    const r = runCli(["denoise", input, "-o", out, "--quiet", "--build", "strict", "--threads", "1"]);
    assert.equal(r.code, 0, r.err);
    const img = readImagePlanes(out);
    assert.deepEqual([img.width, img.height], [H, W], `${name}: not written upright`);
    const back = await readMetadata(readFileSync(out));
    assert.deepEqual(back.exif, uprightExif(md.exif), `${name}: EXIF not carried with orientation 1`);
    assert.deepEqual(back.xmp, new Uint8Array(XMP), `${name}: XMP lost`);
    assert.deepEqual(back.icc, new Uint8Array(md.icc), `${name}: ICC profile changed`);
    if (name.endsWith(".png")) {
      const tags = await exifr.parse(out, { xmp: true, icc: true, mergeOutput: true, translateValues: false });
      assert.equal(tags.Make, "Phone99");
      assert.equal(tags.Orientation, 1);
    }
  }
  console.log(
    "# PNG eXIf / WebP EXIF orientation 6 read upright; EXIF (orientation 1), XMP, ICC kept in PNG and WebP outputs",
  );
});
