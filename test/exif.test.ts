// EXIF orientation: a JPEG a phone wrote sideways (orientation 6) decodes upright, for each of the
// eight orientations the pixels are the upright transform of the stored ones (exact: the same JPEG
// data), the header size the training folder reads agrees, and `denoise` writes the upright size.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jpegOrientation } from "../host/core/exif.js";
import { decodeJpegPlanes, encodeImagePlanes, readImagePlanes } from "../host/node/images.js";
import { imageSize } from "../host/node/photos.js";
import { runCli } from "./helpers.js";

/** JPEG bytes with an APP1 Exif segment (big- or little-endian TIFF, IFD0 holding the orientation) after SOI. */
function withOrientation(jpg: Uint8Array, o: number, le = false): Uint8Array {
  const t = new Uint8Array(8 + 2 + 12 + 4);
  const dv = new DataView(t.buffer);
  t.set(le ? [0x49, 0x49] : [0x4d, 0x4d]);
  dv.setUint16(2, 42, le);
  dv.setUint32(4, 8, le);
  dv.setUint16(8, 1, le); // one entry
  dv.setUint16(10, 0x0112, le); // Orientation
  dv.setUint16(12, 3, le); // SHORT
  dv.setUint32(14, 1, le); // count
  dv.setUint16(18, o, le); // value, left-aligned in the 4-byte field
  const body = [..."Exif\0\0"].map((c) => c.charCodeAt(0)).concat([...t]);
  const seg = [0xff, 0xe1, (body.length + 2) >> 8, (body.length + 2) & 255, ...body];
  return new Uint8Array([...jpg.subarray(0, 2), ...seg, ...jpg.subarray(2)]);
}

const W = 40,
  H = 24;
// An asymmetric colour image: a bright block near the top-left corner, gradients elsewhere.
const plane = (c: number) =>
  new Float32Array(W * H).map((_, i) => {
    const x = i % W,
      y = Math.floor(i / W);
    return x < 10 && y < 6 ? 1 : (x * 3 + y * 5 + c * 40) / 255;
  });
const plain = encodeImagePlanes("a.jpg", { width: W, height: H, planes: [0, 1, 2].map(plane) });

test("EXIF orientation: read from either byte order, applied on decode, the header size agrees, denoise writes it upright", () => {
  const stored = decodeJpegPlanes(plain, "plain.jpg");
  assert.equal(jpegOrientation(plain), 1);
  // display(r, c) = stored(i, j) for each orientation (EXIF 2.3's definitions)
  const at: Record<number, (r: number, c: number) => [number, number]> = {
    1: (r, c) => [r, c],
    2: (r, c) => [r, W - 1 - c],
    3: (r, c) => [H - 1 - r, W - 1 - c],
    4: (r, c) => [H - 1 - r, c],
    5: (r, c) => [c, r],
    6: (r, c) => [H - 1 - c, r],
    7: (r, c) => [H - 1 - c, W - 1 - r],
    8: (r, c) => [c, W - 1 - r],
  };
  for (let o = 1; o <= 8; o++)
    for (const le of [false, true]) {
      const bytes = withOrientation(plain, o, le);
      assert.equal(jpegOrientation(bytes), o);
      const img = decodeJpegPlanes(bytes, `o${o}.jpg`);
      const [w, h] = o >= 5 ? [H, W] : [W, H];
      assert.deepEqual([img.width, img.height], [w, h], `orientation ${o}`);
      for (let c = 0; c < img.planes.length; c++)
        for (let r = 0; r < h; r++)
          for (let x = 0; x < w; x++) {
            const [i, j] = at[o](r, x);
            assert.equal(img.planes[c][r * w + x], stored.planes[c][i * W + j], `orientation ${o} at ${r},${x}`);
          }
    }
  // A malformed Exif segment is taken as upright, not an error.
  const broken = withOrientation(plain, 6);
  broken[4 + 2 + 6 + 4] = 0xff; // IFD offset far past the segment
  assert.equal(jpegOrientation(broken), 1);

  const tmp = mkdtempSync(join(tmpdir(), "denoise-exif-"));
  const phone = join(tmp, "phone.jpg");
  writeFileSync(phone, withOrientation(plain, 6));
  assert.deepEqual(imageSize(phone), { width: H, height: W }, "the training folder's header size");
  assert.deepEqual([readImagePlanes(phone).width, readImagePlanes(phone).height], [H, W]);
  const r = runCli(["denoise", phone, "-o", join(tmp, "out.png"), "--quiet", "--build", "strict", "--threads", "1"]);
  assert.equal(r.code, 0, r.err);
  const out = readImagePlanes(join(tmp, "out.png"));
  assert.deepEqual([out.width, out.height], [H, W], "denoise wrote the stored orientation");
  console.log("# EXIF orientation 1–8, both byte orders: decoded upright, exactly the stored pixels moved");
});
