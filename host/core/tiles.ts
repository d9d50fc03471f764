// Denoising an image of any size in tiles, with bounded memory: the image is padded (black,
// centred) to a frame the architecture maps onto itself, as a whole-image pass would be; the frame
// is cut into cores, and each core is run with a halo of real pixels around it (clamped to the
// frame) at least as wide as the network's receptive field, at positions aligned to its total
// stride. A core's output then equals the whole-frame pass there up to rounding (the fast 3×3 paths
// pick their form by layer size; test/tiles.test.ts checks ≤ 5e-5, and that a halo one alignment step shorter than reachOf's is not enough), while
// memory holds one tile-sized inference model, whatever the image's size. Within a tile each layer runs
// only over what the core depends on (windows.ts).
import type { Arch } from "./arch.js";
import { UserError } from "./errors.js";
import { planLayers } from "./plan.js";

export interface Reach {
  /**
   * The receptive field's reach beyond a core: the outputs of a core that starts and ends at
   * multiples of `align` depend on input pixels at most this far outside it.
   */
  radius: number;
  /** Tiles must start at multiples of this (the product of the strides on the deepest path). */
  align: number;
}

/**
 * The receptive-field radius and alignment of an architecture. Alignment: the product of the strides
 * on the deepest path (j, input pixels per feature pixel, grows by a conv's stride and shrinks by a
 * transposed conv's). Radius: exactly how far from an output pixel the input pixels it depends on
 * lie, taking each output row (and column) back through the layers as an interval of indices — a conv
 * of kernel k, stride s, padding p maps outputs [a, b] to inputs [a·s − p, b·s − p + k − 1]; a
 * transposed conv maps them to [⌈(a + p − k + 1)/s⌉, ⌊(b + p)/s⌋]; an add to the hull of its two
 * inputs' — for each output position within one period of the alignment (the network is the same
 * after a shift by it), away from the frame's edges, measured from the aligned core's edge.
 */
export function reachOf(arch: Arch): Reach {
  const { layers } = planLayers(arch);
  const jump: number[] = [];
  let align = 1;
  layers.forEach((l) => {
    let j = l.from < 0 ? 1 : jump[l.from];
    if (l.geom) j = l.op === "conv2d" ? j * Math.max(l.geom.sh, l.geom.sw) : j / Math.max(l.geom.sh, l.geom.sw);
    jump.push(j);
    align = Math.max(align, j);
  });
  align = Math.max(1, Math.round(align));
  let radius = 0;
  for (const vertical of [true, false]) {
    const memo = new Map<string, [number, number]>();
    // The input interval output indices [a, b] of layer i depend on.
    const back = (i: number, a: number, b: number): [number, number] => {
      if (i < 0) return [a, b];
      const key = `${i},${a},${b}`,
        known = memo.get(key);
      if (known) return known;
      const l = layers[i];
      let lo = a,
        hi = b;
      if (l.geom) {
        const g = l.geom,
          [k, s, p] = vertical ? [g.kh, g.sh, g.ph] : [g.kw, g.sw, g.pw];
        if (l.op === "conv2d") [lo, hi] = [a * s - p, b * s - p + k - 1];
        else [lo, hi] = [Math.ceil((a + p - k + 1) / s), Math.floor((b + p) / s)];
      }
      let out = back(l.from, lo, hi);
      if (l.from2 !== undefined) {
        const o2 = back(l.from2, a, b);
        out = [Math.min(out[0], o2[0]), Math.max(out[1], o2[1])];
      }
      memo.set(key, out);
      return out;
    };
    // Cores start and end at multiples of the alignment: output q of a period lies q pixels inside
    // its core's start and align − 1 − q inside its end.
    const origin = align * 2 ** 16; // far from the edges; a multiple of the alignment
    for (let q = 0; q < align; q++) {
      const [lo, hi] = back(layers.length - 1, origin + q, origin + q);
      radius = Math.max(radius, origin - lo, hi - (origin + align - 1));
    }
  }
  return { radius, align };
}

/** One tile: the input window [y, y + h) × [x, x + w) of the frame, and the core it owns within it. */
export interface Tile {
  y: number;
  x: number;
  h: number;
  w: number;
  /** The owned core, in frame coordinates. */
  cy: number;
  cx: number;
  ch: number;
  cw: number;
}

const ceilTo = (v: number, a: number) => Math.ceil(v / a) * a;

/** The smallest tile side for a network of this reach: a halo on each side of a core 4 alignment steps wide. */
export const smallestTile = (reach: Reach) => 2 * ceilTo(reach.radius, reach.align) + 4 * reach.align;

/** The most pixels a tile may have down and across (halo included). */
export interface TileSize {
  h: number;
  w: number;
}

/**
 * The tiles of a frame of fh × fw for tiles of at most `tile` pixels a side, or `tile.h` down
 * and `tile.w` across (input, halo included): each tile is `th × tw` (the frame's size where it is smaller), starts at a multiple of
 * `reach.align`, lies inside the frame, and owns a core whose halo is at least `reach.radius` on
 * every side that is not the frame's edge. Per axis the tiles are as few as tiles of `tile` need,
 * and as small as that many can be: the last one does not overlap its neighbour more than it must.
 */
export function tileGrid(
  fh: number,
  fw: number,
  tile: number | TileSize,
  reach: Reach,
): { th: number; tw: number; tiles: Tile[] } {
  const halo = ceilTo(reach.radius, reach.align);
  const axis = (n: number, tile: number) => {
    const most = Math.min(n, Math.floor(tile / reach.align) * reach.align);
    if (most < n && most - 2 * halo < reach.align) {
      throw new UserError(
        `tiles of ${tile} pixels are too small for this network: its receptive field needs a halo of ${halo} pixels on each side (use a tile of at least ${smallestTile(reach)})`,
      );
    }
    if (most >= n) return { size: n, spans: [{ start: 0, c0: 0, c1: n }] };
    // k tiles of s cover n when their cores do: (s − halo) twice at the ends, s − 2·halo between,
    // i.e. k·s − 2(k − 1)·halo ≥ n. k for s = most, then the smallest s for that k.
    const k = 1 + Math.ceil((n - most) / (most - 2 * halo));
    const size = ceilTo((n + 2 * (k - 1) * halo) / k, reach.align);
    // Cores [c0, c1) cover [0, n). A tile starts a halo before its core (clamped into the frame) and
    // its core ends a halo before the tile does, unless the tile ends at the frame's edge.
    const spans: { start: number; c0: number; c1: number }[] = [];
    for (let c0 = 0; c0 < n; ) {
      const start = Math.min(Math.max(0, c0 - halo), n - size),
        end = start + size;
      const c1 = end === n ? n : end - halo; // > c0: the core is at least `align` wide
      spans.push({ start, c0, c1 });
      c0 = c1;
    }
    return { size, spans };
  };
  const { h, w } = typeof tile === "number" ? { h: tile, w: tile } : tile;
  const ya = axis(fh, h),
    xa = axis(fw, w);
  const tiles: Tile[] = [];
  for (const ys of ya.spans) {
    for (const xs of xa.spans) {
      tiles.push({
        y: ys.start,
        x: xs.start,
        h: ya.size,
        w: xa.size,
        cy: ys.c0,
        cx: xs.c0,
        ch: ys.c1 - ys.c0,
        cw: xs.c1 - xs.c0,
      });
    }
  }
  return { th: ya.size, tw: xa.size, tiles };
}

/**
 * The halo's share of the time of an image of `pixels` pixels in these tiles: the pixels the tiles
 * run over (a tile's time grows with its pixels), minus the image's own, over the image's own.
 */
export function haloOverhead(pixels: number, grid: { th: number; tw: number; tiles: readonly Tile[] }): number {
  return (grid.tiles.length * grid.th * grid.tw) / pixels - 1;
}
