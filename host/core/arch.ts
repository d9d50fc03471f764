// Architectures as data. A network is an input shape and a list of layers; parametric layers carry
// the module path PyTorch would give them (`encoder.0`), so every parameter has its state-dict name
// (`encoder.0.weight`) and weights map 1:1 to .safetensors files PyTorch reads and writes.
import { UserError } from "./errors.js";

export type Pair = number | [number, number];

export interface Conv2dSpec {
  type: "conv2d";
  name: string;
  out: number;
  kernel: Pair;
  stride?: Pair;
  padding?: Pair;
  bias?: boolean;
  id?: string;
}

export interface ConvTranspose2dSpec {
  type: "convTranspose2d";
  name: string;
  out: number;
  kernel: Pair;
  stride?: Pair;
  padding?: Pair;
  outputPadding?: Pair;
  bias?: boolean;
  id?: string;
}

export interface ActivationSpec {
  type: "relu" | "sigmoid" | "identity";
  id?: string;
}

/** PyTorch's LeakyReLU default negative slope. */
export const DEFAULT_SLOPE = 0.01;

export interface LeakyReluSpec {
  type: "leakyRelu";
  /** Negative slope; default DEFAULT_SLOPE. */
  slope?: number;
  id?: string;
}

/** y = x + (output of the layer with id `with`, or the network input for "input"). */
export interface AddSpec {
  type: "add";
  with: string;
  id?: string;
}

export type LayerSpec = Conv2dSpec | ConvTranspose2dSpec | ActivationSpec | LeakyReluSpec | AddSpec;

export interface Arch {
  name: string;
  description: string;
  /** Per-image input shape [C, H, W] (with noiseMap, the image's channels and then the map). */
  input: [number, number, number];
  /**
   * The input's last channel is a noise-level map: the noisy image's σ ([0, 1] units, as
   * noiseLevel estimates it) at every pixel, which sets how strongly the network denoises (FFDNet's
   * mechanism). The output then has one channel fewer than the input: the image's.
   */
  noiseMap?: boolean;
  layers: LayerSpec[];
}

/** The per-image shape of the images an architecture denoises: its input without the noise-level map. */
export function imageShape(arch: Arch): [number, number, number] {
  const [C, H, W] = arch.input;
  return [arch.noiseMap ? C - 1 : C, H, W];
}

/** The notebook's ConvAutoencoder, exactly (../shared/reference/pytorch/common.py). */
export const SEED: Arch = {
  name: "seed",
  description:
    "the notebook's conv autoencoder: 1→16→32 stride-2 convs, 7×7 conv to a 64-d code, mirrored decoder, sigmoid",
  input: [1, 28, 28],
  layers: [
    { type: "conv2d", name: "encoder.0", out: 16, kernel: 3, stride: 2, padding: 1 },
    { type: "relu" },
    { type: "conv2d", name: "encoder.2", out: 32, kernel: 3, stride: 2, padding: 1 },
    { type: "relu" },
    { type: "conv2d", name: "encoder.4", out: 64, kernel: 7 },
    { type: "convTranspose2d", name: "decoder.0", out: 32, kernel: 7 },
    { type: "relu" },
    { type: "convTranspose2d", name: "decoder.2", out: 16, kernel: 3, stride: 2, padding: 1, outputPadding: 1 },
    { type: "relu" },
    { type: "convTranspose2d", name: "decoder.4", out: 1, kernel: 3, stride: 2, padding: 1, outputPadding: 1 },
    { type: "sigmoid" },
  ],
};

/**
 * A small U-Net for blind denoising: full-resolution 3×3 convolutions (salt-and-pepper needs
 * pixel-level detail, which the seed's 64-number bottleneck loses), two stride-2 levels, additive
 * skip connections, leaky ReLU, and a residual linear output (the network predicts the correction
 * to the noisy input; values are clipped for display and metrics). Width `c` channels at 28×28.
 */
export function unet(c: number, name = `unet${c}`): Arch {
  const conv = (n: string, out: number, extra: Partial<Conv2dSpec> = {}): Conv2dSpec => ({
    type: "conv2d",
    name: n,
    out,
    kernel: 3,
    padding: 1,
    ...extra,
  });
  const act: LeakyReluSpec = { type: "leakyRelu", slope: 0.1 };
  return {
    name,
    description: `U-Net, ${c}/${2 * c}/${4 * c} channels at 28/14/7, additive skips, leaky ReLU, residual linear output`,
    input: [1, 28, 28],
    layers: [
      conv("enc1.0", c),
      act,
      conv("enc1.1", c),
      { ...act, id: "s1" },
      conv("enc2.0", 2 * c, { stride: 2 }),
      act,
      conv("enc2.1", 2 * c),
      { ...act, id: "s2" },
      conv("mid.0", 4 * c, { stride: 2 }),
      act,
      conv("mid.1", 4 * c),
      act,
      { type: "convTranspose2d", name: "up2", out: 2 * c, kernel: 3, stride: 2, padding: 1, outputPadding: 1 },
      { type: "add", with: "s2" },
      act,
      conv("dec2.0", 2 * c),
      act,
      { type: "convTranspose2d", name: "up1", out: c, kernel: 3, stride: 2, padding: 1, outputPadding: 1 },
      { type: "add", with: "s1" },
      act,
      conv("dec1.0", c),
      act,
      conv("out", 1),
      { type: "add", with: "input" },
    ],
  };
}

/**
 * A colour U-Net with a noise-level map: R, G, B and σ in, R, G, B out. Four levels (c, 2c, 4c, 8c
 * channels at 1, ½, ¼, ⅛ of the side), so each 3×3 convolution of a level's width costs the same
 * 9c² multiply-adds per pixel wherever it sits, and the depth goes to the coarse levels, which see
 * far (the blotchy, demosaiced noise of a camera JPEG is several pixels wide). Additive skips,
 * leaky ReLU, and a residual output: the network predicts the correction to the noisy R, G, B.
 * c = 32: about 150 k multiply-adds per pixel (three passes of unet32 cost 195 k).
 */
export function cunet(c: number, name = `cunet${c}`): Arch {
  const conv = (n: string, out: number, extra: Partial<Conv2dSpec> = {}): Conv2dSpec => ({
    type: "conv2d",
    name: n,
    out,
    kernel: 3,
    padding: 1,
    ...extra,
  });
  const act: LeakyReluSpec = { type: "leakyRelu", slope: 0.1 };
  const up = (n: string, out: number): ConvTranspose2dSpec => ({
    type: "convTranspose2d",
    name: n,
    out,
    kernel: 3,
    stride: 2,
    padding: 1,
    outputPadding: 1,
  });
  return {
    name,
    description: `colour U-Net with a noise-level map, ${c}/${2 * c}/${4 * c}/${8 * c} channels at 1/½/¼/⅛ size, additive skips, leaky ReLU, residual output`,
    input: [4, 32, 32],
    noiseMap: true,
    layers: [
      conv("enc1.0", c),
      act,
      conv("enc1.1", c),
      { ...act, id: "s1" },
      conv("enc2.0", 2 * c, { stride: 2 }),
      act,
      conv("enc2.1", 2 * c),
      act,
      conv("enc2.2", 2 * c),
      { ...act, id: "s2" },
      conv("enc3.0", 4 * c, { stride: 2 }),
      act,
      conv("enc3.1", 4 * c),
      act,
      conv("enc3.2", 4 * c),
      { ...act, id: "s3" },
      conv("mid.0", 8 * c, { stride: 2 }),
      act,
      conv("mid.1", 8 * c),
      act,
      conv("mid.2", 8 * c),
      act,
      conv("mid.3", 8 * c),
      act,
      up("up3", 4 * c),
      { type: "add", with: "s3" },
      act,
      conv("dec3.0", 4 * c),
      act,
      conv("dec3.1", 4 * c),
      act,
      up("up2", 2 * c),
      { type: "add", with: "s2" },
      act,
      conv("dec2.0", 2 * c),
      act,
      conv("dec2.1", 2 * c),
      act,
      up("up1", c),
      { type: "add", with: "s1" },
      act,
      conv("dec1.0", c),
      act,
      conv("out", 3),
      { type: "add", with: "input" },
    ],
  };
}

export const ARCHS: Record<string, Arch> = {
  seed: SEED,
  unet16: unet(16),
  unet24: unet(24),
  unet32: unet(32),
  cunet16: cunet(16),
  cunet32: cunet(32),
};

/** The architecture photo training builds by default (the shipped photo model's). */
export const DEFAULT_PHOTO_ARCH = "cunet32";

export function getArch(name: string): Arch {
  const a = ARCHS[name];
  if (!a) throw new Error(`unknown architecture '${name}' (known: ${Object.keys(ARCHS).join(", ")})`);
  return a;
}

export function pair(v: Pair | undefined, dflt: number): [number, number] {
  if (v === undefined) return [dflt, dflt];
  return typeof v === "number" ? [v, v] : v;
}

/** A P×P version of an architecture (gray, or colour with its noise-level map): what photo training feeds it. */
export function patchArch(arch: Arch, P: number): Arch {
  const C = imageShape(arch)[0];
  if (C !== 1 && C !== 3)
    throw new UserError(
      `architecture ${arch.name} denoises ${C} channels; photo training feeds gray or colour patches`,
    );
  return { ...arch, input: [arch.input[0], P, P] };
}
