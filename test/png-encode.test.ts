// The page's PNG writer (host/core/png-encode.ts): each of its four kinds, decoded by the CLI's
// own PNG reader (pngjs behind host/node/png.ts: CRCs, zlib and filters checked), gives back the
// samples it was given and the kind it was asked for.
import { test } from "node:test";
import assert from "node:assert/strict";
import { encodePng, type PngChannels } from "../host/core/png-encode.js";
import { pngHeader, decodePngPlanes } from "../host/node/png.js";

test("encodePng writes gray, gray + alpha, RGB and RGBA PNGs that decode to the samples given", async () => {
  const width = 37,
    height = 23,
    rgba = new Uint8Array(4 * width * height);
  let s = 7;
  for (let i = 0; i < rgba.length; i++) rgba[i] = (s = (Math.imul(s, 1103515245) + 12345) >>> 0) >>> 24;
  for (const [channels, colorType] of [
    [1, 0],
    [2, 4],
    [3, 2],
    [4, 6],
  ] as [PngChannels, number][]) {
    const png = await encodePng(rgba, width, height, channels);
    const h = pngHeader(png, `${channels}.png`);
    assert.deepEqual([h.width, h.height, h.depth, h.colorType], [width, height, 8, colorType], `${channels} channels`);
    const img = decodePngPlanes(png, `${channels}.png`);
    const colour = channels >= 3,
      alpha = channels % 2 === 0;
    assert.equal(img.planes.length, colour ? 3 : 1);
    assert.equal(!!img.alpha, alpha);
    for (let i = 0; i < width * height; i++) {
      for (let c = 0; c < img.planes.length; c++)
        assert.equal(
          Math.round(img.planes[c][i] * 255),
          rgba[4 * i + c],
          `${channels} channels, pixel ${i}, plane ${c}`,
        );
      if (alpha) assert.equal(Math.round(img.alpha![i] * 255), rgba[4 * i + 3]);
    }
  }
});
