// The training panel's live loss chart: the mean losses the training Worker reports (one per 5
// steps), drawn as a line on a canvas scaled to their range.

export class LossChart {
  private ys: number[] = [];

  constructor(private readonly canvas: HTMLCanvasElement) {}

  /** A new run: the next loss starts a new line (the old one stays drawn until then). */
  reset(): void {
    this.ys = [];
  }

  add(loss: number): void {
    this.ys.push(loss);
    drawChart(this.canvas, this.ys);
  }
}

function drawChart(c: HTMLCanvasElement, ys: number[]): void {
  const g = c.getContext("2d")!,
    W = c.width,
    H = c.height,
    L = 50,
    B = 20;
  g.fillStyle = "#fff";
  g.fillRect(0, 0, W, H);
  if (ys.length < 2) return;
  const lo = Math.min(...ys),
    hi = Math.max(...ys),
    span = hi - lo || 1;
  g.fillStyle = "#555";
  g.font = "11px sans-serif";
  g.fillText(hi.toPrecision(3), 4, 12);
  g.fillText(lo.toPrecision(3), 4, H - B);
  g.fillText("loss per 5 steps", L, H - 4);
  g.strokeStyle = "#1f77b4";
  g.lineWidth = 1.5;
  g.beginPath();
  ys.forEach((y, i) => {
    const px = L + (i / (ys.length - 1)) * (W - L - 8),
      py = 6 + (1 - (y - lo) / span) * (H - B - 12);
    if (i) g.lineTo(px, py);
    else g.moveTo(px, py);
  });
  g.stroke();
}
