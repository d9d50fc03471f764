// The photo section's before / after view: two canvases of the image's own size stacked, the
// "after" one clipped at a split the slider moves, shown fitted to the page or at 1:1 (one image
// pixel per CSS pixel, scrolling). The canvases are reused for every image, so an upload replaces
// the previous one's pixels instead of adding to them.
import { $ } from "./ui.js";

export class BeforeAfter {
  readonly before = $("before") as HTMLCanvasElement;
  readonly after = $("after") as HTMLCanvasElement;
  private readonly split = $("split") as HTMLInputElement;
  private readonly zoom = $("zoom") as HTMLSelectElement;

  constructor() {
    this.split.oninput = () => this.layout();
    this.zoom.onchange = () => this.layout();
    this.clear();
  }

  /** Nothing shown (a new file is being read, or it failed). */
  clear(): void {
    for (const c of [this.before, this.after]) {
      c.width = 0;
      c.height = 0;
    }
    $("viewer").hidden = true;
  }

  /** Shows `rgba` (w × h) as the before image; the after image is cleared until setAfter. */
  setBefore(rgba: Uint8ClampedArray, w: number, h: number): void {
    put(this.before, rgba, w, h);
    this.after.width = w;
    this.after.height = h; // cleared: transparent until the result comes
    $("viewer").hidden = false;
    this.layout();
  }

  setAfter(rgba: Uint8ClampedArray, w: number, h: number): void {
    put(this.after, rgba, w, h);
    this.layout();
  }

  private layout(): void {
    const w = this.before.width,
      h = this.before.height,
      one = this.zoom.value === "1:1";
    const box = $("viewer").clientWidth || 1000;
    const s = one ? 1 : Math.min(1, box / Math.max(1, w));
    for (const c of [this.before, this.after]) {
      c.style.width = `${Math.round(w * s)}px`;
      c.style.height = `${Math.round(h * s)}px`;
    }
    this.after.style.clipPath = `inset(0 0 0 ${this.split.value}%)`;
  }
}

function put(c: HTMLCanvasElement, rgba: Uint8ClampedArray, w: number, h: number): void {
  c.width = w;
  c.height = h;
  c.getContext("2d")!.putImageData(new ImageData(rgba as Uint8ClampedArray<ArrayBuffer>, w, h), 0, 0);
}
