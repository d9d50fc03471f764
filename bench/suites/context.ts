// What every section of `npm run bench` shares: the run's time budgets (--quick shortens them), the
// sections chosen (--suite), and the report, whose lines go to the console as they come and into
// bench/RESULTS.md at the end.
import { UserError } from "../../host/core/errors.js";
import { timeMs as timeMsFor } from "../e2e.js";

export interface Bench {
  quick: boolean;
  /** The sections to run (--suite a,b; default: all). */
  suites: Set<string>;
  /** Every section, full timings: the run that writes bench/RESULTS.md. */
  everything: boolean;
  /** --out FILE: where to write the report. */
  out?: string;
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

/** The run's settings from its arguments (--quick: a short smoke run; --suite a,b: these sections only). */
export function benchContext(args: string[], all: readonly string[]): Bench {
  const quick = args.includes("--quick");
  const value = (flag: string) => {
    const i = args.indexOf(flag);
    if (i < 0) return undefined;
    if (!args[i + 1] || args[i + 1].startsWith("--")) throw new UserError(`${flag} needs a value`);
    return args[i + 1];
  };
  const asked = value("--suite")?.split(",");
  for (const s of asked ?? [])
    if (!all.includes(s)) throw new UserError(`--suite ${s}: no such section (${all.join(", ")})`);
  const seconds = quick ? 0.6 : 2;
  const lines: string[] = [];
  return {
    quick,
    suites: new Set(asked ?? all),
    everything: !quick && !asked,
    out: value("--out"),
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
