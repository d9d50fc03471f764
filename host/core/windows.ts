// Output windows of a tile model: of each layer's output, the rows and columns a tile's core depends
// on. A tile's halo is as wide as the receptive field at the input, but the field narrows layer by
// layer towards the output: the last full-resolution layers of the U need the core and a pixel or
// two, the decoder's coarse levels a few of their pixels around it. The Winograd paths, which
// run nearly all of the photo model's work, compute only their window's tiles (assembly/
// winograd_chunks.ts windowed), each with the same operations as over the whole tile, so the core's
// output keeps its bits (test/windows.test.ts) while the halo's share of the time falls.
//
// Windows are taken back from the core layer by layer, as tiles.ts reachOf takes the receptive field:
// a layer's needed rows, rounded out to whole Winograd tiles (multiples of WINDOW_STEP), map to the
// input rows those outputs read (a conv of kernel k, stride s, padding p: [a·s − p, b·s − p + k − 1];
// a transposed conv: [⌈(a + p − k + 1)/s⌉, ⌊(b + p)/s⌋], widened by WINDOW_MARGIN, so that its Winograd
// tile's input patch never reads a value no layer wrote); the producer must then hold all of them.
// Elementwise layers pass their need on.
// Outside its window a layer's output keeps whatever its buffer held: no window reads it.
import type { EngineExports } from "./exports.js";
import type { LayerInfo } from "./plan.js";

/** Rows [y0, y1) and columns [x0, x1) of a layer's output (per image). */
export interface Rect {
  y0: number;
  y1: number;
  x0: number;
  x1: number;
}

/** Windows start and end at multiples of this (output pixels of the layer): whole tiles of every Winograd path (2 or 4 a side). */
export const WINDOW_STEP = 4;
/**
 * Input pixels a transposed convolution's window reads are widened by on each side: its Winograd tile's
 * patch reads one row (column) before its outputs' inputs, with a zero coefficient. A convolution's
 * Winograd tile reads exactly its outputs' inputs.
 */
export const WINDOW_MARGIN = 1;

type Span = [number, number]; // inclusive; empty when lo > hi

/**
 * Each layer's output window for a tile whose core (in the tile's output pixels) is `core`: the
 * rows and columns of its output that the core's output depends on, rounded out to WINDOW_STEP
 * and clamped to the layer's output. A layer no path to the core reads gets the empty window.
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
      const a = Math.max(0, Math.floor(N[0] / WINDOW_STEP) * WINDOW_STEP),
        b = Math.min(size, Math.ceil((N[1] + 1) / WINDOW_STEP) * WINDOW_STEP) - 1;
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
    if (!l.geom) return;
    const k = l.geom.kh * l.geom.kw,
      [Ci, Hi, Wi] = l.inShape,
      [Co, Ho, Wo] = l.outShape;
    const macs = l.op === "conv2d" ? Co * Ho * Wo * Ci * k : Ci * Hi * Wi * Co * k;
    const w = windows[i],
      area = Math.max(0, w.y1 - w.y0) * Math.max(0, w.x1 - w.x0);
    all += macs;
    run += windowed(i) ? (macs * area) / (Ho * Wo) : macs;
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
