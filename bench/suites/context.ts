// What every section of `npm run bench` shares: the run's time budgets (--quick shortens them) and
// the report, whose lines go to the console as they come and into bench/RESULTS.md at the end.
import { timeMs as timeMsFor } from "../e2e.js";

export interface Bench {
  quick: boolean;
  /** Seconds per figure of the peak, the layers, end to end and the epochs. */
  seconds: number;
  /** Per GEMM variant (the workbench has ~30 calls × 3 builds). */
  gemmSeconds: number;
  /** Alternating rounds of the end-to-end runs and the epochs. */
  rounds: number;
  /** The photo-patch CLI epoch: 9 training photos × perImage patches of patch² (90 steps of 64). */
  patchEpoch: { patch: number; perImage: number };
  /** The report so far, one entry a line. */
  lines: string[];
  /** Adds a line to the report and prints it. */
  say: (s?: string) => void;
  /** Median ms of fn over about `seconds` (default: the run's). */
  timeMs: (fn: () => void, seconds?: number) => number;
}

/** The run's settings from its arguments (--quick: a short smoke run). */
export function benchContext(args: string[]): Bench {
  const quick = args.includes("--quick");
  const seconds = quick ? 0.6 : 2;
  const lines: string[] = [];
  return {
    quick,
    seconds,
    gemmSeconds: quick ? 0.3 : 1,
    rounds: quick ? 1 : 3,
    patchEpoch: { patch: 48, perImage: quick ? 64 : 640 },
    lines,
    say: (s = "") => {
      lines.push(s);
      console.log(s);
    },
    timeMs: (fn, s = seconds) => timeMsFor(fn, s),
  };
}
