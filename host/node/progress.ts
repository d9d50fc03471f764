// Progress on stderr: a redrawn bar with images/s and ETA (of the whole run, when the phase says
// what follows it) on a terminal, plain lines (about every
// 10 %) otherwise, so logs stay readable.
import { SILENT, type ProgressFactory, type ProgressSink, type ProgressSpan } from "../core/progress.js";

/** Bars on stderr, or nothing when quiet. */
export function stderrProgress(quiet = false, unit = "img"): ProgressFactory {
  return quiet ? SILENT : (label, total, span) => new Progress(label, total, unit, span);
}

export class Progress implements ProgressSink {
  private readonly start = performance.now();
  private lastPct = -1;
  private readonly tty: boolean;

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly unit = "img",
    private readonly span: ProgressSpan = {},
  ) {
    this.tty = !!process.stderr.isTTY;
  }

  update(done: number, extra = ""): void {
    const secs = (performance.now() - this.start) / 1000,
      from = this.span.start ?? 0,
      after = this.span.after ?? 0;
    const rate = (done - from) / Math.max(secs, 1e-9);
    const eta = rate > 0 ? (this.total - done + after) / rate : 0;
    const pct = Math.floor((100 * done) / this.total);
    const text = `${this.label} ${done}/${this.total} ${fmtRate(rate)} ${this.unit}/s ${after ? "run " : ""}ETA ${fmtTime(eta)}${extra ? " " + extra : ""}`;
    if (this.tty) {
      const width = 24,
        fill = Math.round((width * done) / this.total);
      process.stderr.write(`\r[${"#".repeat(fill)}${"-".repeat(width - fill)}] ${text}\x1b[K`);
    } else if (Math.floor(pct / 10) !== Math.floor(this.lastPct / 10) || done === this.total) {
      process.stderr.write(`${text}\n`);
    }
    this.lastPct = pct;
  }

  done(summary: string): void {
    if (this.tty) process.stderr.write(`\r${summary}\x1b[K\n`);
    else process.stderr.write(`${summary}\n`);
  }
}

/** A rate with two significant digits below 10 (a 12 MP photo's tiles come at 0.4/s, not "0/s"), whole above. */
export function fmtRate(r: number): string {
  if (!Number.isFinite(r)) return "?";
  return r >= 10 ? String(Math.round(r)) : r >= 1 ? r.toFixed(1) : r > 0 ? r.toPrecision(2) : "0";
}

function fmtTime(s: number): string {
  if (!Number.isFinite(s)) return "?";
  const t = Math.round(s),
    h = Math.floor(t / 3600),
    m = Math.floor((t % 3600) / 60),
    r = t % 60;
  return h ? `${h}h${String(m).padStart(2, "0")}m` : m ? `${m}m${String(r).padStart(2, "0")}s` : `${r}s`;
}
