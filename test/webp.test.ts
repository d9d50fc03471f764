// WebP input (libwebp in wasm, @jsquash/webp): lossless files decode to exactly their PNG's pixels (alpha
// too), a lossy one to what Debian's libwebp (through PIL) decodes, within 2 levels; a truncated file and
// a decompression bomb are refused in one line from the header; denoise takes WebP and writes PNG.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { decodeImage, readImageHeader, readImagePlanes } from "../host/node/images.js";
import { runCli } from "./helpers.js";

const DIR = fileURLToPath(new URL("../../test/fixtures/webp/", import.meta.url));

test("WebP: lossless exact, lossy as libwebp decodes it, bad files refused in one line, denoise writes PNG", () => {
  for (const name of ["lossless", "alpha-lossless"]) {
    const w = readImagePlanes(join(DIR, `${name}.webp`)),
      p = readImagePlanes(join(DIR, `${name}.png`));
    assert.deepEqual(w, p, `${name}: pixels differ from the PNG`);
  }
  assert.deepEqual(readImageHeader(join(DIR, "lossy.webp")), { format: "webp", width: 48, height: 40 });
  const lossy = readImagePlanes(join(DIR, "lossy.webp")),
    ref = readImagePlanes(join(DIR, "lossy-libwebp.png"));
  let worst = 0;
  lossy.planes.forEach((pl, c) =>
    pl.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - ref.planes[c][i]) * 255))),
  );
  assert.ok(worst <= 2, `lossy: ${worst} levels from libwebp`);

  const bytes = readFileSync(join(DIR, "lossy.webp"));
  assert.throws(() => decodeImage(bytes.subarray(0, 60), "cut.webp"), /cut\.webp: corrupt WebP/);
  // A VP8X header declaring 16384×16384 in a 40-byte file: refused from the header
  const bomb = Buffer.alloc(40);
  bomb.write("RIFF", 0, "latin1");
  bomb.writeUInt32LE(32, 4);
  bomb.write("WEBPVP8X", 8, "latin1");
  bomb.writeUInt32LE(10, 16);
  bomb.writeUIntLE(16383, 24, 3);
  bomb.writeUIntLE(16383, 27, 3);
  assert.throws(() => decodeImage(bomb, "bomb.webp"), /bomb\.webp: WebP (is 16384×16384 pixels, over|declares)/);

  const tmp = mkdtempSync(join(tmpdir(), "denoise-webp-"));
  writeFileSync(join(tmp, "in.webp"), bytes);
  const r = runCli([
    "denoise",
    join(tmp, "in.webp"),
    "-o",
    join(tmp, "out.png"),
    "--quiet",
    "--build",
    "strict",
    "--threads",
    "1",
  ]);
  assert.equal(r.code, 0, r.err);
  const out = readImagePlanes(join(tmp, "out.png"));
  assert.deepEqual([out.width, out.height, out.planes.length], [48, 40, 3]);
  console.log(`# WebP: lossless exact (RGB, RGBA), lossy within ${worst} levels of libwebp, cut and bomb refused`);
});
