// Denoising one image of any size with a convolutional network: pad it (black, centred) to the
// nearest size the architecture maps onto itself, run the model, crop back — in one pass
// (denoiseImage, a model of the padded size) or in tiles of bounded size (denoiseTiled, one
// tile-sized inference model, host/core/tiles.ts), which gives the same output. Pure: the CLI's
// `denoise` and the web page share it.
import { imageShape, type Arch } from "./arch.js";
import type { Engine } from "./engine.js";
import { UserError } from "./errors.js";
import { fromLumaChroma, toLumaChroma, type ColourMethod, type GrayImage, type PlanarImage } from "./image.js";
import { Model } from "./model.js";
import { noiseLevel, planeNoiseSigma } from "./noise-level.js";
import { planLayers, planModel, type MemoryPlan } from "./plan.js";
import type { ThreadPool } from "./pool.js";
import type { SafeTensors } from "./safetensors.js";
import { transformImage } from "./symmetry.js";
import { haloOverhead, reachOf, smallestTile, tileGrid, type Reach, type TileSize } from "./tiles.js";
import { archOf, checkParams, applyWeights } from "./weights.js";
import { coreInImage, type Rect, tileWindows, windowedOverhead } from "./windows.js";

/** Whether the architecture takes an input of h × w pixels (a U-Net needs multiples of its strides). */
export function fitsSize(arch: Arch, h: number, w: number): boolean {
  try {
    planLayers({ ...arch, input: [arch.input[0], h, w] });
    return true;
  } catch {
    return false;
  }
}

/** Smallest padded size ≥ (H, W) for which the architecture maps an image to one of the same size. */
export function paddedSize(arch: Arch, H: number, W: number): [number, number] {
  const fits = (h: number, w: number) => fitsSize(arch, h, w);
  // Dimensions are independent in a conv net: settle the height with a known-good width, then the width.
  const [, h0, w0] = arch.input;
  for (let h = H; h < Math.max(H, h0) + 256; h++) {
    if (!fits(h, w0)) continue;
    for (let w = W; w < Math.max(W, w0) + 256; w++) if (fits(h, w)) return [h, w];
  }
  throw new UserError(`no input size near ${H}×${W} fits architecture ${arch.name}`);
}

/** Where an image of height × width sits in its padded frame of fh × fw: centred (frame pixels). */
export function imageInFrame(fh: number, fw: number, height: number, width: number): Rect {
  const y0 = Math.floor((fh - height) / 2),
    x0 = Math.floor((fw - width) / 2);
  return { y0, y1: y0 + height, x0, x1: x0 + width };
}

/** Pads img (black) to h×w, centred, runs the model, crops back. */
export function denoiseImage(model: Model, img: GrayImage, h: number, w: number): GrayImage {
  const { y0: top, x0: left } = imageInFrame(h, w, img.height, img.width);
  const input = model.inputView(1);
  input.fill(0);
  for (let y = 0; y < img.height; y++)
    input.set(img.data.subarray(y * img.width, (y + 1) * img.width), (y + top) * w + left);
  model.forward(1);
  const out = model.outputView(1),
    data = new Float32Array(img.width * img.height);
  for (let y = 0; y < img.height; y++)
    data.set(out.subarray((y + top) * w + left, (y + top) * w + left + img.width), y * img.width);
  return { width: img.width, height: img.height, data };
}

/** Most wasm memory a denoise run lets the engine hold by default (MiB): the CLI's --max-memory, the library's maxMemory, the page's budget. */
export const DEFAULT_MAX_MEMORY_MIB = 512;

export interface TiledOptions {
  engine: Engine;
  pool?: ThreadPool;
  /** Puts the weights into a freshly built model. */
  load: (model: Model) => void;
  /** Largest tile side in pixels (halo included); "auto": the cheapest grid within maxBytes (autoTileSize). */
  tile: number | "auto";
  /** Most wasm memory the tile model may take (bytes), for tile "auto". */
  maxBytes: number;
  /** Called after each batch of tiles with the tiles done and their total. */
  progress?: (done: number, total: number) => void;
  /** The receptive field to tile for (default: reachOf(arch); tests pass a smaller one to see the seams). */
  reach?: Reach;
  /** Told the tiling once its model is built (the CLI's --verbose prints it). */
  onTiles?: (t: TilingInfo) => void;
  /** With a pool and a given tile: the threads share each tile's layers (true) or take a tile each (false); default the cheaper (gridCost). */
  shared?: boolean;
  /**
   * Run each layer only over what the tile's core (within the image) depends on (host/core/windows.ts);
   * default true. The output moves in its last bits (within 1e-5 for the photo model, test/windows.test.ts),
   * as between tiles of an image; false: every layer whole.
   */
  windows?: boolean;
}

/** How an image is run in tiles. */
export interface TilingInfo {
  /** Each tile's height and width (halo included) and how many there are. */
  th: number;
  tw: number;
  count: number;
  /**
   * The halo's share of the work: the multiply-adds the tiles run (over their layers' output windows:
   * host/core/windows.ts) over those of the image's own pixels, minus 1; without windows, tiled pixels
   * over the image's, minus 1 (haloOverhead).
   */
  overhead: number;
  /** Bytes the engine's allocator holds with the tile model built (what maxBytes bounds). */
  bytes: number;
  /** Whether the threads share each tile's layers (TileLayout) rather than take a tile each. */
  shared: boolean;
}

/**
 * How a pool's threads run a grid of tiles: `shared`, one tile at a time with the threads sharing each
 * of its layers (bands of rows: plan.ts splitLayers), or else a batch of one tile per thread, each
 * thread running its own tile through every layer (two tile models' activations in memory).
 */
export interface TileLayout {
  shared: boolean;
}

/** Tiles per model run and the model's plan options for a layout on `threads` threads. */
function layoutBatch(threads: number, shared: boolean): { batch: number; splitLayers: boolean } {
  return shared ? { batch: 1, splitLayers: threads > 1 } : { batch: threads, splitLayers: false };
}

/**
 * Time of a layer shared by the threads against its share of one thread's: the barriers between
 * layers, the kernel transforms each thread makes for itself, the layers part 0 runs alone. Set from
 * a first A/B of the library on a 1024 × 1024 photo; the per-layer times measured after it on the photo
 * model at 1024 × 1024 (relaxed, 2 runs) give 1.06: 2 942 ms on one thread, 1 562 ms on 2 threads sharing
 * each layer (= 1.06 × 2 942 / 2). The value only weighs the two layouts against each other.
 */
const SHARED_LAYER_COST = 1.05;

/**
 * What a grid costs in tiled pixels per thread: batches of `threads` tiles in turn, or each tile's
 * pixels shared by the threads (SHARED_LAYER_COST).
 */
export function gridCost(count: number, th: number, tw: number, threads: number, shared: boolean): number {
  return shared && threads > 1 ? (count * th * tw * SHARED_LAYER_COST) / threads : Math.ceil(count / threads) * th * tw;
}

/**
 * The tile side an "auto" run uses: the whole frame when the engine's memory stays within
 * `maxBytes` with it, else the largest tile for which it does (`batch` tiles at a time on `threads`
 * threads; `shared`: the threads share one tile's layers, batch 1).
 */
export function autoTile(
  engine: Engine,
  arch: Arch,
  fh: number,
  fw: number,
  batch: number,
  threads: number,
  maxBytes: number,
  shared = false,
): number {
  const reach = reachOf(arch);
  const bytes = (t: number) => tilePlan(engine, arch, Math.min(t, fh), Math.min(t, fw), batch, threads, shared).total;
  // The budget is the engine's whole memory: what it holds already (the engine's own data, other models) counts.
  maxBytes -= engine.heapTop();
  const whole = Math.max(fh, fw);
  if (bytes(whole) <= maxBytes) return whole;
  const lo = smallestTile(reach);
  if (bytes(lo) > maxBytes) {
    throw new UserError(
      `${arch.name} needs ${(bytes(lo) / 2 ** 20).toFixed(0)} MiB for its smallest tile (${lo} pixels), over the ${(maxBytes / 2 ** 20).toFixed(0)} MiB allowed`,
    );
  }
  return largestFitting(lo, whole, reach.align, (t) => bytes(t) <= maxBytes);
}

/** A tile model as denoiseTiles builds it: inference only, no target buffer, its threads sharing each layer or not. */
const tileModelOptions = (splitLayers: boolean) => ({ inference: true, splitLayers, target: false });

/** The memory plan of the model denoiseTiles builds for tiles of h × w (autoTileSize sizes tiles by it). */
export function tilePlan(
  engine: Engine,
  arch: Arch,
  h: number,
  w: number,
  batch: number,
  threads: number,
  shared = false,
): MemoryPlan {
  return planModel(engine, { ...arch, input: [arch.input[0], h, w] }, { batch, threads, ...tileModelOptions(shared) });
}

/** The largest multiple of `a` in [lo, hi] for which `fit` holds, `fit(lo)` given and `fit` monotone. */
function largestFitting(lo: number, hi: number, a: number, fit: (t: number) => boolean): number {
  while (hi - lo > a) {
    const mid = Math.floor((lo + hi) / 2 / a) * a;
    if (fit(mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}

/**
 * The tiling an "auto" run uses: for each layout (threads sharing one tile's layers, or a tile per
 * thread), the whole frame when it fits `maxBytes`, else the cheapest of autoTile's square and of
 * rectangles a whole number of tiles across (or down) with the most rows (or columns) that fit; then
 * the layout whose grid costs least (gridCost). On 2 threads a photo that fits whole runs as one tile
 * shared by both rather than one tile on one thread, and a 12 MP photo in tiles of one model's memory
 * rather than two.
 */
export function autoTileSize(
  engine: Engine,
  arch: Arch,
  fh: number,
  fw: number,
  threads: number,
  maxBytes: number,
): TileSize & TileLayout {
  // The search plans the model a few dozen times (~15 ms for the photo model): done once per question.
  const key = JSON.stringify([arch, fh, fw, threads, maxBytes, engine.heapTop()]);
  let answers = autoTileAnswers.get(engine);
  if (!answers) autoTileAnswers.set(engine, (answers = new Map()));
  const known = answers.get(key);
  if (known) return { ...known };
  if (answers.size >= 64) answers.clear();
  const layouts = threads > 1 ? [true, false] : [false];
  let best: (TileSize & TileLayout & { cost: number }) | undefined;
  for (const shared of layouts) {
    const t = cheapestGrid(engine, arch, fh, fw, threads, maxBytes, shared);
    if (!best || t.cost < best.cost) best = { ...t, shared };
  }
  const { h, w, shared } = best!;
  answers.set(key, { h, w, shared });
  return { h, w, shared };
}

/** autoTileSize's answers, per engine, by its question (the engine's memory in use is part of it). */
const autoTileAnswers = new WeakMap<Engine, Map<string, TileSize & TileLayout>>();

/** autoTileSize's search for one layout: the tile and its grid's cost. */
function cheapestGrid(
  engine: Engine,
  arch: Arch,
  fh: number,
  fw: number,
  threads: number,
  maxBytes: number,
  shared: boolean,
): TileSize & { cost: number } {
  const { batch } = layoutBatch(threads, shared);
  const reach = reachOf(arch);
  const cost = (t: TileSize) => {
    const g = tileGrid(fh, fw, t, reach);
    return gridCost(g.tiles.length, g.th, g.tw, threads, shared);
  };
  const square = autoTile(engine, arch, fh, fw, batch, threads, maxBytes, shared);
  if (square >= Math.max(fh, fw)) return { h: fh, w: fw, cost: cost({ h: fh, w: fw }) };
  const a = reach.align,
    halo = Math.ceil(reach.radius / a) * a,
    smallest = smallestTile(reach),
    budget = maxBytes - engine.heapTop();
  const fits = (h: number, w: number) => tilePlan(engine, arch, h, w, batch, threads, shared).total <= budget;
  let best: TileSize = { h: square, w: square },
    bestCost = cost(best);
  /** The longest side (a multiple of align, at most n) that fits with the other side fixed; 0 if none does. */
  const longest = (n: number, fit: (o: number) => boolean) => {
    if (!fit(smallest)) return 0;
    return fit(n) ? n : largestFitting(smallest, n, a, fit);
  };
  for (const across of [true, false]) {
    const n = across ? fw : fh,
      m = across ? fh : fw;
    for (let k = 1; k <= 8; k++) {
      const side = Math.ceil((n + 2 * (k - 1) * halo) / k / a) * a; // k tiles of this side cover the axis
      if (side > n || side < smallest) continue;
      const other = longest(m, (o) => (across ? fits(o, side) : fits(side, o)));
      if (!other) continue;
      const t = across ? { h: other, w: side } : { h: side, w: other },
        c = cost(t);
      if (c < bestCost) {
        best = t;
        bestCost = c;
      }
    }
  }
  return { ...best, cost: bestCost };
}

/**
 * out[dst + i] = the mean of planes[c][i] for i < n: their sum in order (in f64), divided by their
 * count. A gray image through a colour model takes it as each tile's core is copied out (on
 * subarrays of the output rows: 17 → ~13 ms a 1 MP image against indexing the strided output, time
 * the other thread waits through; node --cpu-prof, 2026-12-08), and the ensemble once at the end.
 */
function meanInto(out: Float32Array, dst: number, planes: readonly Float32Array[], n: number): void {
  const C = planes.length;
  for (let i = 0; i < n; i++) {
    let sum = planes[0][i];
    for (let c = 1; c < C; c++) sum += planes[c][i];
    out[dst + i] = sum / C;
  }
}

/**
 * Denoises img in tiles: the padded frame is cut by tileGrid, and one tile with the threads sharing
 * its layers, or a batch of tiles (one per thread), runs at a time through one inference model of the
 * tile's size (the layout autoTileSize or gridCost picks); each tile's core is copied out.
 * The model is disposed before returning, so memory stays flat over many images. A gray image
 * (denoiseTiles for the planes of a colour model).
 */
export function denoiseTiled(arch: Arch, img: GrayImage, o: TiledOptions): GrayImage {
  return { width: img.width, height: img.height, data: denoiseTiles(arch, img.width, img.height, [img.data], o)[0] };
}

/**
 * denoiseTiled for the planes of an image (as many as the architecture's image has); a network with
 * a noise-level map gets `level` there, over the whole tile. `mean`: one plane, the mean of the output
 * planes (meanInto), taken from the model's output as each tile's core is copied out
 * (a gray photo through a colour model: two fewer photo-sized planes to fill, ~25 ms a 1 MP call).
 */
export function denoiseTiles(
  arch: Arch,
  width: number,
  height: number,
  planes: readonly Float32Array[],
  o: TiledOptions,
  level = 0,
  mean = false,
): Float32Array[] {
  const C = imageShape(arch)[0];
  if (planes.length !== C) throw new Error(`${arch.name} denoises ${C} planes, not ${planes.length}`);
  const [fh, fw] = paddedSize(arch, height, width);
  const image = imageInFrame(fh, fw, height, width),
    { y0: top, x0: left } = image;
  const threads = o.pool?.size ?? 1;
  const reach = o.reach ?? reachOf(arch);
  const auto = o.tile === "auto" ? autoTileSize(o.engine, arch, fh, fw, threads, o.maxBytes) : undefined;
  const grid = tileGrid(fh, fw, auto ?? (o.tile as number), reach),
    { th, tw, tiles } = grid;
  // A given tile: the layout asked for, else the one whose grid costs less.
  const shared =
    auto?.shared ??
    o.shared ??
    gridCost(tiles.length, th, tw, threads, true) < gridCost(tiles.length, th, tw, threads, false);
  const { batch: B, splitLayers } = layoutBatch(threads, shared);
  const model = new Model(o.engine, { ...arch, input: [arch.input[0], th, tw] }, B, o.pool, {
    ...tileModelOptions(splitLayers),
    what: `${width}×${height} pixels in tiles of ${th}×${tw}`,
  });
  // Each tile's layer windows: what its core, cropped to the image, depends on.
  const useWindows = o.windows ?? true;
  const windowsOf = useWindows ? tileWindows(model.layers, tiles, image) : tiles.map(() => undefined);
  o.onTiles?.({
    th,
    tw,
    count: tiles.length,
    overhead: useWindows
      ? windowedOverhead(o.engine.exports, model.layers, grid, windowsOf as Rect[][], width * height)
      : haloOverhead(width * height, grid),
    bytes: o.engine.heapTop(),
    shared: splitLayers,
  });
  const out = (mean ? [0] : planes).map(() => new Float32Array(width * height));
  try {
    o.load(model);
    const P = th * tw,
      inC = arch.input[0];
    o.progress?.(0, tiles.length); // the bar starts its clock now, not after the first batch
    for (let t0 = 0; t0 < tiles.length; t0 += B) {
      const group = tiles.slice(t0, t0 + B);
      const input = model.inputView(group.length);
      input.fill(0);
      group.forEach((t, b) => {
        // The tile's window of the frame: image pixels where the frame holds the image, black elsewhere.
        for (let y = 0; y < th; y++) {
          const iy = t.y + y - top;
          if (iy < 0 || iy >= height) continue;
          const x0 = Math.max(0, left - t.x),
            x1 = Math.min(tw, left + width - t.x);
          if (x1 > x0)
            planes.forEach((data, c) =>
              input.set(
                data.subarray(iy * width + t.x + x0 - left, iy * width + t.x + x1 - left),
                (b * inC + c) * P + y * tw + x0,
              ),
            );
        }
        if (arch.noiseMap) input.fill(level, (b * inC + C) * P, (b * inC + C + 1) * P);
      });
      model.setOutputWindows(windowsOf.slice(t0, t0 + B));
      model.forward(group.length);
      const y = model.outputView(group.length);
      group.forEach((t, b) => {
        const { y0: ys, y1: ye, x0: xs, x1: xe } = coreInImage(t, image);
        for (let fy = ys; fy < ye; fy++) {
          const src = b * C * P + (fy - t.y) * tw + xs - t.x,
            dst = (fy - top) * width + xs - left;
          const rows = planes.map((_, c) => y.subarray(src + c * P, src + c * P + xe - xs));
          if (!mean) rows.forEach((row, c) => out[c].set(row, dst));
          else meanInto(out[0], dst, rows, xe - xs);
        }
      });
      o.progress?.(Math.min(t0 + B, tiles.length), tiles.length);
    }
  } finally {
    model.dispose();
  }
  return out;
}

/**
 * Limits every sample's change to k·σ̂, σ̂ = planeNoiseSigma of the noisy plane, k from 2 (σ̂ ≤ 15/255)
 * to 3 (σ̂ ≥ 30/255): gaussian noise of σ̂ hardly ever moves a sample further, so a larger change is
 * texture the model took for noise (a blind model's failure at low σ: camera.png's grass at σ 5 came
 * out 1.7 dB worse than its noisy input). Measured on the test photos (docs/quality.md): +0.7 dB at σ 5,
 * +0.2 at σ 10, ±0.05 from σ 15 to 50. `sigma` given: that σ instead of the estimate.
 */
export function clampChange(
  out: Float32Array,
  noisy: Float32Array,
  width: number,
  height: number,
  sigma?: number,
): void {
  const s = sigma ?? planeNoiseSigma(noisy, width, height),
    k = Math.min(3, Math.max(2, 2 + (s * 255 - 15) / 15)),
    lim = k * s;
  for (let i = 0; i < out.length; i++) out[i] = noisy[i] + Math.min(lim, Math.max(-lim, out[i] - noisy[i]));
}

/** Options of denoisePlanar beyond the tiling's. */
export interface PlanarOptions extends TiledOptions {
  /** How a colour image goes through the gray model (default luma-chroma: see ColourMethod). */
  colour?: ColourMethod;
  /** clampChange on every plane: for models of gaussian noise (gaussianModel tells). */
  clamp?: boolean;
  /**
   * The noise σ of the image's gray or R, G, B planes ([0, 1] units), when known: a noise-level
   * map's level, or the clamp's σ; default: measured (noiseLevel, planeNoiseSigma per plane).
   */
  sigma?: number;
  /**
   * Models with a noise-level map: the measured level is multiplied by this (default 1; above 1
   * denoises harder, below gentler). o.sigma, when given, is the level instead.
   */
  strength?: number;
  /** Told the noise level ([0, 1] units) a model with a noise-level map is given, before it runs. */
  onLevel?: (level: number) => void;
  /** Told which plane runs (0-based, of how many) before its tiles, for progress labels. */
  plane?: (c: number, of: number) => void;
  /**
   * Self-ensemble: each plane goes through the model under the eight flips / 90° rotations, and the
   * eight outputs, mapped back, are averaged (8× the time; measured gain in docs/quality.md).
   */
  ensemble?: boolean;
}

/**
 * An image's planes through the model in tiles (denoiseTiles), or with o.ensemble the mean of the
 * eight outputs for its flips / rotations (symmetry.ts), each mapped back, summed in t order.
 */
function denoisePlanes(
  arch: Arch,
  width: number,
  height: number,
  planes: Float32Array[],
  o: PlanarOptions,
  level = 0,
  mean = false,
): Float32Array[] {
  if (!o.ensemble) return denoiseTiles(arch, width, height, planes, o, level, mean);
  const sum = planes.map(() => new Float32Array(width * height));
  let first = 0; // the first pass's tile count: the bar's unit for all eight
  for (let t = 0; t < 8; t++) {
    const progress =
      o.progress &&
      ((done: number, total: number) => {
        first ||= total;
        o.progress!(Math.round((t + done / total) * first), 8 * first);
      });
    const moved = planes.map((data) => transformImage({ width, height, data }, t));
    const { width: mw, height: mh } = moved[0];
    const outs = denoiseTiles(
      arch,
      mw,
      mh,
      moved.map((m) => m.data),
      { ...o, progress },
      level,
    );
    outs.forEach((data, c) => {
      const back = transformImage({ width: mw, height: mh, data }, t, true).data;
      for (let i = 0; i < back.length; i++) sum[c][i] += back[i];
    });
  }
  for (const p of sum) for (let i = 0; i < p.length; i++) p[i] /= 8;
  if (!mean) return sum;
  const m = new Float32Array(width * height);
  meanInto(m, 0, sum, m.length);
  return [m];
}

/** A plane's noise σ per unit σ in each of R, G and B, for Y, C1 and C2 (see ColourMethod). */
const LUMA_CHROMA_SIGMA = [1 / Math.sqrt(3), 1 / Math.sqrt(2), Math.sqrt(6) / 4];

/**
 * The noise σ of an image's gray or R, G, B planes ([0, 1] units) as the clamp estimates it: from
 * its one plane, or from Y (σ/√3) of a colour image.
 */
export function imageSigma(img: PlanarImage): number {
  if (img.planes.length !== 3) return planeNoiseSigma(img.planes[0], img.width, img.height);
  return planeNoiseSigma(toLumaChroma(img.planes)[0], img.width, img.height) / LUMA_CHROMA_SIGMA[0];
}

/** Weights ready to denoise with: their architecture (archOf) and parameters (checkParams) checked once. */
export interface DenoiseWeights {
  st: SafeTensors;
  /** The file's name, for error messages. */
  name: string;
  arch: Arch;
}

/** Reads a weights file's architecture and checks its parameters against it: once per command, not once per image. */
export function denoiseWeights(st: SafeTensors, name: string): DenoiseWeights {
  const arch = archOf(st, name, "seed");
  checkParams(st, planLayers(arch).tensors, arch.name, name);
  return { st, name, arch };
}

/**
 * Denoises an image as `denoise` does: the weights' architecture, tiles within o.maxBytes, the
 * clamp for gaussian-noise models unless o.clamp is false. The CLI and the page both call this
 * (through denoiseWithWeights), so their outputs are the same.
 */
export function denoiseWith(
  w: DenoiseWeights,
  img: PlanarImage,
  o: Omit<PlanarOptions, "load" | "clamp"> & { clamp?: boolean },
): PlanarImage {
  return denoisePlanar(w.arch, img, {
    ...o,
    load: (m) => applyWeights(m, w.st, w.name),
    clamp: (o.clamp ?? true) && gaussianModel(w.st.metadata),
  });
}

/** denoiseWith for one image, from a .safetensors file's contents (several images: denoiseWeights once, then denoiseWith). */
export function denoiseWithWeights(
  st: SafeTensors,
  name: string,
  img: PlanarImage,
  o: Omit<PlanarOptions, "load" | "clamp"> & { clamp?: boolean },
): PlanarImage {
  return denoiseWith(denoiseWeights(st, name), img, o);
}

/** Whether weights are of a gaussian-noise model, whose output clampChange should bound (their training noise in the metadata). */
export function gaussianModel(metadata: Record<string, string>): boolean {
  return metadata.noise === "gaussian";
}

/**
 * Denoises a gray or colour image in tiles; alpha is kept as it is. A colour model with a
 * noise-level map takes R, G, B at once (a gray image as three equal planes, the output's mean
 * kept) and the level o.sigma, else the image's noiseLevel × o.strength; a gray model takes the
 * planes one by one (see PlanarOptions).
 */
export function denoisePlanar(arch: Arch, img: PlanarImage, o: PlanarOptions): PlanarImage {
  if (arch.noiseMap) return denoiseWithMap(arch, img, o);
  const colour = img.planes.length === 3 ? (o.colour ?? "luma-chroma") : "rgb";
  const planes = colour === "luma-chroma" ? toLumaChroma(img.planes) : img.planes;
  const out = planes.map((data, c) => {
    o.plane?.(c, planes.length);
    const [y] = denoisePlanes(arch, img.width, img.height, [data], o);
    if (o.clamp)
      clampChange(
        y,
        data,
        img.width,
        img.height,
        o.sigma === undefined ? undefined : o.sigma * (colour === "luma-chroma" ? LUMA_CHROMA_SIGMA[c] : 1),
      );
    return y;
  });
  return {
    width: img.width,
    height: img.height,
    planes: colour === "luma-chroma" ? fromLumaChroma(out) : out,
    ...(img.alpha ? { alpha: img.alpha } : {}),
    ...(img.depth ? { depth: img.depth } : {}),
  };
}

/**
 * The least measured level ([0, 1] units) a model with a noise-level map is given. Below about this
 * the estimator (noiseLevel) reads an 8-bit photo's quantisation, not its noise: the real camera
 * JPEGs of the PolyU crops, whose noise (RMS 3–6 levels) is smoothed by demosaicing and JPEG at the
 * finest scale, all read 0.74 or 0, and so does a clean smooth photo. At such low levels the photo
 * model, trained on camera patches that read the same, changes the image more than at 6: measured
 * on run 6 of the photo model (docs/quality.md), the floor gains 0.28 dB on the PolyU crops and brings clean photos closer to
 * themselves, and moves white noise of σ 2–5 by ≤ 0.03 dB gray (+0.26 colour at σ 2); 8 gained more on
 * the PolyU crops but lost on the test photos at σ 0–5.
 */
export const LEVEL_FLOOR = 6 / 255;

/**
 * The noise level a model with a noise-level map is given for an image: o.sigma, else its measured
 * level (at least LEVEL_FLOOR) × o.strength.
 */
export function levelFor(img: PlanarImage, o: Pick<PlanarOptions, "sigma" | "strength">): number {
  return o.sigma ?? Math.max(LEVEL_FLOOR, noiseLevel(img.planes, img.width, img.height)) * (o.strength ?? 1);
}

function denoiseWithMap(arch: Arch, img: PlanarImage, o: PlanarOptions): PlanarImage {
  const C = imageShape(arch)[0],
    n = img.planes.length;
  if (C !== 3 && C !== n) throw new UserError(`${arch.name} denoises ${C}-plane images, not ${n}-plane ones`);
  const level = levelFor(img, o);
  o.onLevel?.(level);
  o.plane?.(0, 1);
  const gray = n === 1 && C === 3,
    planes = gray ? [img.planes[0], img.planes[0], img.planes[0]] : img.planes;
  const out = denoisePlanes(arch, img.width, img.height, planes, o, level, gray);
  return {
    width: img.width,
    height: img.height,
    planes: out,
    ...(img.alpha ? { alpha: img.alpha } : {}),
    ...(img.depth ? { depth: img.depth } : {}),
  };
}
