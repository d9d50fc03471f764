// Denoising one image of any size with a convolutional network: pad it (black, centred) to the
// nearest size the architecture maps onto itself, run the model, crop back. Pure: the CLI's
// `denoise` and the web page share it.
import type { Arch } from "./arch.js";
import { UserError } from "./errors.js";
import type { GrayImage } from "./image.js";
import type { Model } from "./model.js";
import { planLayers } from "./plan.js";

/** Smallest padded size ≥ (H, W) for which the architecture maps an image to one of the same size. */
export function paddedSize(arch: Arch, H: number, W: number): [number, number] {
  const fits = (h: number, w: number) => {
    try {
      planLayers({ ...arch, input: [1, h, w] });
      return true;
    } catch {
      return false;
    }
  };
  // Dimensions are independent in a conv net: settle the height with a known-good width, then the width.
  const [, h0, w0] = arch.input;
  for (let h = H; h < Math.max(H, h0) + 256; h++) {
    if (!fits(h, w0)) continue;
    for (let w = W; w < Math.max(W, w0) + 256; w++) if (fits(h, w)) return [h, w];
  }
  throw new UserError(`no input size near ${H}×${W} fits architecture ${arch.name}`);
}

/** Pads img (black) to h×w, centred, runs the model, crops back. */
export function denoiseImage(model: Model, img: GrayImage, h: number, w: number): GrayImage {
  const top = Math.floor((h - img.height) / 2), left = Math.floor((w - img.width) / 2);
  const input = model.inputView(1);
  input.fill(0);
  for (let y = 0; y < img.height; y++) input.set(img.data.subarray(y * img.width, (y + 1) * img.width), (y + top) * w + left);
  model.forward(1);
  const out = model.outputView(1), data = new Float32Array(img.width * img.height);
  for (let y = 0; y < img.height; y++) data.set(out.subarray((y + top) * w + left, (y + top) * w + left + img.width), y * img.width);
  return { width: img.width, height: img.height, data };
}

