// A tiny RGB raster for the report's PNGs: rectangles, lines, gray images and a 5×7 bitmap font
// (upper-case letters, digits and a few signs), so charts need no font files or native packages.

const GLYPHS: Record<string, number[]> = {
  "0": [14, 17, 19, 21, 25, 17, 14],
  "1": [4, 12, 4, 4, 4, 4, 14],
  "2": [14, 17, 1, 2, 4, 8, 31],
  "3": [31, 2, 4, 2, 1, 17, 14],
  "4": [2, 6, 10, 18, 31, 2, 2],
  "5": [31, 16, 30, 1, 1, 17, 14],
  "6": [6, 8, 16, 30, 17, 17, 14],
  "7": [31, 1, 2, 4, 8, 8, 8],
  "8": [14, 17, 17, 14, 17, 17, 14],
  "9": [14, 17, 17, 15, 1, 2, 12],
  A: [14, 17, 17, 17, 31, 17, 17],
  B: [30, 17, 17, 30, 17, 17, 30],
  C: [14, 17, 16, 16, 16, 17, 14],
  D: [28, 18, 17, 17, 17, 18, 28],
  E: [31, 16, 16, 30, 16, 16, 31],
  F: [31, 16, 16, 30, 16, 16, 16],
  G: [14, 17, 16, 23, 17, 17, 15],
  H: [17, 17, 17, 31, 17, 17, 17],
  I: [14, 4, 4, 4, 4, 4, 14],
  J: [7, 2, 2, 2, 2, 18, 12],
  K: [17, 18, 20, 24, 20, 18, 17],
  L: [16, 16, 16, 16, 16, 16, 31],
  M: [17, 27, 21, 21, 17, 17, 17],
  N: [17, 17, 25, 21, 19, 17, 17],
  O: [14, 17, 17, 17, 17, 17, 14],
  P: [30, 17, 17, 30, 16, 16, 16],
  Q: [14, 17, 17, 17, 21, 18, 13],
  R: [30, 17, 17, 30, 20, 18, 17],
  S: [15, 16, 16, 14, 1, 1, 30],
  T: [31, 4, 4, 4, 4, 4, 4],
  U: [17, 17, 17, 17, 17, 17, 14],
  V: [17, 17, 17, 17, 17, 10, 4],
  W: [17, 17, 17, 21, 21, 21, 10],
  X: [17, 17, 10, 4, 10, 17, 17],
  Y: [17, 17, 17, 10, 4, 4, 4],
  Z: [31, 1, 2, 4, 8, 16, 31],
  ".": [0, 0, 0, 0, 0, 12, 12],
  "-": [0, 0, 0, 31, 0, 0, 0],
  "/": [0, 1, 2, 4, 8, 16, 0],
  ":": [0, 12, 12, 0, 12, 12, 0],
  "(": [2, 4, 8, 8, 8, 4, 2],
  ")": [8, 4, 2, 2, 2, 4, 8],
  "%": [24, 25, 2, 4, 8, 19, 3],
  "=": [0, 0, 31, 0, 31, 0, 0],
  "+": [0, 4, 4, 31, 4, 4, 0],
  ",": [0, 0, 0, 0, 12, 4, 8],
  " ": [0, 0, 0, 0, 0, 0, 0],
};

export type RGB = [number, number, number];

export class Canvas {
  readonly data: Uint8Array;

  constructor(
    readonly width: number,
    readonly height: number,
    bg: RGB = [255, 255, 255],
  ) {
    this.data = new Uint8Array(width * height * 3);
    this.rect(0, 0, width, height, bg);
  }

  pixel(x: number, y: number, c: RGB): void {
    x = Math.round(x);
    y = Math.round(y);
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const i = 3 * (y * this.width + x);
    this.data[i] = c[0];
    this.data[i + 1] = c[1];
    this.data[i + 2] = c[2];
  }

  rect(x: number, y: number, w: number, h: number, c: RGB): void {
    for (let j = Math.max(0, y); j < Math.min(this.height, y + h); j++) {
      for (let i = Math.max(0, x); i < Math.min(this.width, x + w); i++) this.pixel(i, j, c);
    }
  }

  /** A line `thick` pixels wide (DDA). */
  line(x0: number, y0: number, x1: number, y1: number, c: RGB, thick = 1): void {
    const n = Math.max(1, Math.ceil(Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0))));
    const r = (thick - 1) / 2;
    for (let k = 0; k <= n; k++) {
      const x = x0 + ((x1 - x0) * k) / n,
        y = y0 + ((y1 - y0) * k) / n;
      this.rect(Math.round(x - r), Math.round(y - r), thick, thick, c);
    }
  }

  /** Text in the 5×7 font, each font pixel `scale`×`scale`; lower case is drawn upper case. */
  text(x: number, y: number, s: string, c: RGB = [0, 0, 0], scale = 2): void {
    for (const ch of s.toUpperCase()) {
      const g = GLYPHS[ch] ?? GLYPHS["-"];
      for (let row = 0; row < 7; row++) {
        for (let col = 0; col < 5; col++)
          if (g[row] & (16 >> col)) this.rect(x + col * scale, y + row * scale, scale, scale, c);
      }
      x += 6 * scale;
    }
  }

  static textWidth(s: string, scale = 2): number {
    return s.length * 6 * scale - scale;
  }

  /** A gray [0, 1] image (clipped), each pixel drawn as a scale×scale block. */
  gray(img: ArrayLike<number>, off: number, w: number, h: number, x: number, y: number, scale: number): void {
    for (let j = 0; j < h; j++) {
      for (let i = 0; i < w; i++) {
        const v = Math.round(Math.min(1, Math.max(0, img[off + j * w + i])) * 255);
        this.rect(x + i * scale, y + j * scale, scale, scale, [v, v, v]);
      }
    }
  }
}
