// Metadata kept from input to output, read back by exifr (a maintained EXIF / XMP / ICC reader): a
// phone JPEG (EXIF orientation 6, camera, date, GPS, an ICC profile, XMP) denoised to JPEG and to PNG
// comes out upright with its orientation tag reset to 1 and the rest intact; --strip-metadata drops it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import exifr from "exifr";
import { readMetadata, uprightExif, withJpegMetadata } from "../host/node/metadata.js";
import { encodeImagePlanes, readImagePlanes } from "../host/node/images.js";
import { runCli } from "./helpers.js";

/** A little-endian TIFF block: IFD0 with Make, Orientation and a GPS IFD pointer; the GPS IFD with GPSLatitudeRef. */
function exifBlock(orientation: number): Uint8Array {
  const b = Buffer.alloc(120);
  b.write("II", 0, "latin1");
  b.writeUInt16LE(42, 2);
  b.writeUInt32LE(8, 4);
  b.writeUInt16LE(3, 8); // three entries
  const entry = (k: number, tag: number, type: number, count: number, value: number) => {
    const e = 10 + 12 * k;
    b.writeUInt16LE(tag, e);
    b.writeUInt16LE(type, e + 2);
    b.writeUInt32LE(count, e + 4);
    b.writeUInt32LE(value, e + 8);
  };
  entry(0, 0x010f, 2, 8, 90); // Make, ASCII, 8 bytes at offset 90
  entry(1, 0x0112, 3, 1, orientation); // Orientation, SHORT
  entry(2, 0x8825, 4, 1, 60); // GPS IFD at 60
  b.writeUInt32LE(0, 10 + 36); // no next IFD
  b.writeUInt16LE(1, 60); // GPS IFD: one entry
  b.writeUInt16LE(0x0001, 62); // GPSLatitudeRef
  b.writeUInt16LE(2, 64);
  b.writeUInt32LE(2, 66);
  b.write("N\0", 70, "latin1");
  b.writeUInt32LE(0, 74);
  b.write("Phone99\0", 90, "latin1");
  return b;
}

const XMP = Buffer.from(
  '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:CreatorTool="denoise-wasm test"/></rdf:RDF></x:xmpmeta>',
);
/** A minimal ICC header (128 bytes + empty tag table): exifr reads its fields. */
function iccProfile(): Uint8Array {
  const p = Buffer.alloc(132);
  p.writeUInt32BE(132, 0);
  p.write("test", 4, "latin1");
  p.writeUInt32BE(0x04300000, 8);
  p.write("mntr", 12, "latin1");
  p.write("RGB ", 16, "latin1");
  p.write("XYZ ", 20, "latin1");
  p.write("acsp", 36, "latin1");
  return p;
}

test("metadata: EXIF (orientation reset, GPS kept), XMP and ICC carried to JPEG and PNG outputs; --strip-metadata drops them", async () => {
  const W = 40,
    H = 24;
  const planes = [0, 1, 2].map((c) => new Float32Array(W * H).map((_, i) => ((i % W) * 4 + c * 30) / 255));
  const plain = encodeImagePlanes("x.jpg", { width: W, height: H, planes });
  const md = { exif: exifBlock(6), xmp: XMP, icc: iccProfile() };
  const tmp = mkdtempSync(join(tmpdir(), "denoise-meta-"));
  const phone = join(tmp, "phone.jpg");
  // As a phone writes it: the orientation tag as it is (withJpegMetadata would reset it), then XMP and ICC.
  const app1 = (id: string, body: Uint8Array) => {
    const b = Buffer.concat([Buffer.from(id, "latin1"), body]);
    return Buffer.concat([Buffer.from([0xff, 0xe1, (b.length + 2) >> 8, (b.length + 2) & 255]), b]);
  };
  const rest = withJpegMetadata(plain, { xmp: md.xmp, icc: md.icc });
  writeFileSync(phone, Buffer.concat([rest.subarray(0, 2), app1("Exif\0\0", md.exif), rest.subarray(2)]));
  const back = readMetadata(readFileSync(phone));
  const u8 = (b: Uint8Array) => new Uint8Array(b);
  assert.deepEqual(back.exif, u8(md.exif));
  assert.deepEqual(Buffer.from(back.xmp!), XMP);
  assert.deepEqual(back.icc, u8(md.icc));
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
    assert.deepEqual(readMetadata(readFileSync(out)).icc, u8(md.icc), `${ext}: ICC profile changed`);
    const bare = join(tmp, `bare.${ext}`);
    assert.equal(
      runCli(["denoise", phone, "-o", bare, "--quiet", "--strip-metadata", "--build", "strict", "--threads", "1"]).code,
      0,
    );
    assert.deepEqual(readMetadata(readFileSync(bare)), {}, `${ext}: --strip-metadata kept some`);
  }
  assert.deepEqual(uprightExif(md.exif).subarray(0, 8), u8(md.exif.subarray(0, 8)));
  console.log(
    "# EXIF (orientation 6 → 1, Make, GPS), XMP, ICC: kept in JPEG and PNG outputs, read back by exifr; stripped on request",
  );
});
