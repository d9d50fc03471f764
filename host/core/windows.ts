// Output windows of a tile model: of each layer's output, the rows and columns a tile's core depends
// on. A tile's halo is as wide as the receptive field at the input, but the field narrows layer by
// layer towards the output: the last full-resolution layers of the U need the core and a pixel or
// two, the decoder's coarse levels a few of their pixels around it. The Winograd paths, which run
// all of the photo model's convolutions, compute only the tiles that cover their window, from its first
// row and column on (assembly/winograd_chunks.ts windowed).
//
// Windows are taken back from the core layer by layer, as tiles.ts reachOf takes the receptive field:
// a layer's window starts where its need starts (at an even output for a transposed convolution, whose
// tiles start there) and ends where its last whole tile does (WINDOW_TILE outputs a side), since a
// Winograd tile reads the inputs of all its outputs; those outputs map to the input rows they read (a
// conv of kernel k, stride s, padding p: [a·s − p, b·s − p + k − 1]; a transposed conv: [⌈(a + p − k +
// 1)/s⌉, ⌊(b + p)/s⌋], widened by WINDOW_MARGIN, so that its tile's input patch never reads a value no
// layer wrote); the producer must then hold all of them. Elementwise layers pass their need on.
// Outside its window a layer's output keeps whatever its buffer held: no window reads it.
//
// Starting each window where its need starts rather than on the layer's tile grid (which lies on
// multiples of 4 of each level, 32 pixels of the image at the ⅛-size level) costs the rounding at
// one end instead of both: a 12 MP photo's halo is +9.6 % of the work, against +11.4 % on the grid and
// +14.6 % without windows. Off the grid, the tiles lie differently from the whole layer's, so the
// core's outputs move in their last bits, as between tiles of an image (test/windows.test.ts).
import type { EngineExports } from "./exports.js";
import { layerMacs, type LayerInfo } from "./plan.js";
import type { Tile } from "./tiles.js";

/** Rows [y0, y1) and columns [x0, x1) of a layer's output (per image). */
export interface Rect {
  y0: number;
  y1: number;
  x0: number;
  x1: number;
}

/** Output tile side a window's length is rounded up to: the largest of the Winograd paths' (F(4×4) and the transposed one's 4; F(2×2) and stride 2's 2 fit in it). */
export const WINDOW_TILE = 4;
/**
 * Input pixels a transposed convolution's window reads are widened by on each side: its Winograd tile's
 * patch reads one row (column) before its outputs' inputs, with a zero coefficient. A convolution's
 * Winograd tile reads exactly its outputs' inputs.
 */
export const WINDOW_MARGIN = 1;

type Span = [number, number]; // inclusive; empty when lo > hi

/**
 * Each layer's output window for a tile whose core (in the tile's output pixels) is `core`: the
 * rows and columns of its output that the core's output depends on, to the end of the last tile
 * that covers them, clamped to the layer's output. A layer no path to the core reads gets the empty window.
 */
export function outputWindows(layers: readonly LayerInfo[], core: Rect): Rect[] {
  const n = layers.length;
  const axis = (vertical: boolean): Span[] => {
    const need: (Span | undefined)[] = new Array(n);
    const win: Span[] = new Array(n);
    const want = (i: number, s: Span) => {
      if (i < 0 || s[0] > s[1]) return;
      const had = need[i];
      need[i] = had ? [Math.min(had[0], s[0]), Math.max(had[1], s[1])] : s;
    };
    need[n - 1] = vertical ? [core.y0, core.y1 - 1] : [core.x0, core.x1 - 1];
    for (let i = n - 1; i >= 0; i--) {
      const l = layers[i],
        N = need[i];
      if (!N) {
        win[i] = [0, -1];
        continue;
      }
      const size = vertical ? l.outShape[1] : l.outShape[2];
      if (!l.geom) {
        win[i] = [Math.max(0, N[0]), Math.min(size - 1, N[1])];
        want(l.from, win[i]);
        if (l.from2 !== undefined) want(l.from2, win[i]);
        continue;
      }
      const g = l.geom,
        [k, s, p] = vertical ? [g.kh, g.sh, g.ph] : [g.kw, g.sw, g.pw],
        inSize = vertical ? l.inShape[1] : l.inShape[2];
      const a = Math.max(0, l.op === "conv2d" ? N[0] : N[0] - (N[0] % 2)),
        b = Math.min(size, a + Math.ceil((N[1] + 1 - a) / WINDOW_TILE) * WINDOW_TILE) - 1;
      win[i] = [a, b];
      let [lo, hi] =
        l.op === "conv2d" ? [a * s - p, b * s - p + k - 1] : [Math.ceil((a + p - k + 1) / s), Math.floor((b + p) / s)];
      const margin = l.op === "conv2d" ? 0 : WINDOW_MARGIN;
      lo = Math.max(0, lo - margin);
      hi = Math.min(inSize - 1, hi + margin);
      want(l.from, [lo, hi]);
    }
    return win;
  };
  const ys = axis(true),
    xs = axis(false);
  return layers.map((_, i) => ({ y0: ys[i][0], y1: ys[i][1] + 1, x0: xs[i][0], x1: xs[i][1] + 1 }));
}

/** The smallest rect holding both (an empty one holds nothing). */
export function unionRect(a: Rect, b: Rect): Rect {
  if (a.y1 <= a.y0 || a.x1 <= a.x0) return b;
  if (b.y1 <= b.y0 || b.x1 <= b.x0) return a;
  return { y0: Math.min(a.y0, b.y0), y1: Math.max(a.y1, b.y1), x0: Math.min(a.x0, b.x0), x1: Math.max(a.x1, b.x1) };
}

/**
 * The share of a whole tile's multiply-adds that its windows run: each convolution's over the
 * window's area where `windowed(i)` (its path takes a window), else over its whole output.
 */
export function windowedShare(
  layers: readonly LayerInfo[],
  windows: readonly Rect[],
  windowed: (i: number) => boolean,
): number {
  let all = 0,
    run = 0;
  layers.forEach((l, i) => {
    const macs = layerMacs(l);
    if (!macs) return;
    const w = windows[i],
      area = Math.max(0, w.y1 - w.y0) * Math.max(0, w.x1 - w.x0);
    all += macs;
    run += windowed(i) ? (macs * area) / (l.outShape[1] * l.outShape[2]) : macs;
  });
  return all ? run / all : 1;
}

/** Whether a layer's forward runs only its output window (the Winograd paths: the transposed one where it takes it). */
export function takesWindow(
  e: Pick<EngineExports, "conv2dTakesWindow" | "convTranspose2dWinograd">,
  l: LayerInfo,
): boolean {
  if (!l.geom) return false;
  const g = l.geom,
    [Ci, H, W] = l.inShape,
    Co = l.outShape[0];
  return l.op === "conv2d"
    ? e.conv2dTakesWindow(Ci, H, W, Co, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw) !== 0
    : e.convTranspose2dWinograd(Ci, H, W, Co, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.oph, g.opw) !== 0;
}

/** A tile's core cropped to `image` (the frame's rect the image fills), in frame pixels: what the tile gives the output. */
export function coreInImage(t: Tile, image: Rect): Rect {
  return {
    y0: Math.max(t.cy, image.y0),
    y1: Math.min(t.cy + t.ch, image.y1),
    x0: Math.max(t.cx, image.x0),
    x1: Math.min(t.cx + t.cw, image.x1),
  };
}

/** Each tile's windows (outputWindows) for its core cropped to `image` (coreInImage), in the tile's pixels. */
export function tileWindows(layers: readonly LayerInfo[], tiles: readonly Tile[], image: Rect): Rect[][] {
  return tiles.map((t) => {
    const c = coreInImage(t, image);
    return outputWindows(layers, { y0: c.y0 - t.y, y1: c.y1 - t.y, x0: c.x0 - t.x, x1: c.x1 - t.x });
  });
}

/**
 * The halo's share of the work of an image of `pixels` pixels in these tiles with these windows: the
 * multiply-adds the tiles run (windowedShare, each layer whose path takes a window over it) over
 * those of the image's own pixels, minus 1 (tiles.ts haloOverhead without windows).
 */
export function windowedOverhead(
  e: Pick<EngineExports, "conv2dTakesWindow" | "convTranspose2dWinograd">,
  layers: readonly LayerInfo[],
  grid: { th: number; tw: number },
  windows: readonly (readonly Rect[])[],
  pixels: number,
): number {
  const windowed = (i: number) => takesWindow(e, layers[i]);
  return windows.reduce((s, w) => s + grid.th * grid.tw * windowedShare(layers, w, windowed), 0) / pixels - 1;
}
