// `npm run bench`: the engine against itself (kernel workbench: validate every variant, then time it,
// as GFLOP/s and % of the measured peak), per layer, and end to end against the peers (bench/e2e.ts:
// seed, unet24 and the photo model unet32; PyTorch, ONNX Runtime web and node on our exported model,
// TF.js; alternating rounds, medians with their spread), plus a whole CLI epoch; then the photo model
// layer by layer at photo size (suites/profile.ts) and what users run, with the targets of the speed
// issue (suites/users.ts). Writes bench/RESULTS.md and bench/results.png.
//   --quick           shorter timings, one round, small images: a smoke run (writes no report)
//   --suite a,b       only these sections (see SUITES; writes no report unless --out)
//   --out FILE        write the report there
// Never part of `npm test`: timings belong here, correctness in the tests. bench/README.md: how to run each.
import { join } from "node:path";
import type { BuildName } from "../host/core/engine.js";
import { PACKAGE_ROOT, writeFileAtomic } from "../host/node/files.js";
import { writeChart } from "./suites/chart.js";
import { benchContext } from "./suites/context.js";
import { epochSection } from "./suites/epoch.js";
import { gemmSection } from "./suites/gemm.js";
import { layerSection } from "./suites/layers.js";
import { loadEngines, machineSection, peakSection } from "./suites/machine.js";
import { peersSection } from "./suites/peers.js";
import { photoSection } from "./suites/photos.js";
import { profileSection } from "./suites/profile.js";
import { targetsSection } from "./suites/targets.js";
import { usersSection } from "./suites/users.js";

/** The sections, in the report's order; `targets` needs gemm, peers, epoch and photos. */
export const SUITES = ["peak", "gemm", "layers", "peers", "epoch", "photos", "targets", "profile", "users"] as const;

const bench = (() => {
  try {
    return benchContext(process.argv.slice(2), SUITES);
  } catch (e) {
    process.stderr.write(`bench: ${(e as Error).message}\n`);
    process.exit(2);
  }
})();
const on = (s: (typeof SUITES)[number]) => bench.suites.has(s);
machineSection(bench);
if (["peak", "gemm", "layers", "peers", "epoch", "photos", "targets"].some((s) => bench.suites.has(s))) {
  const engines = await loadEngines(bench);
  if (on("peak")) peakSection(bench, engines);
  const gemm = on("gemm") || on("targets") ? gemmSection(bench, engines) : undefined;
  const relaxed = engines.relaxed ?? engines.strict!;
  if (on("layers")) layerSection(bench, relaxed);
  const e2eBuild: BuildName = engines.relaxed ? "relaxed" : "strict";
  const rows = on("peers") || on("epoch") || on("targets") ? await peersSection(bench, relaxed, e2eBuild) : undefined;
  const epochs = rows && (on("epoch") || on("targets")) ? await epochSection(bench, rows, e2eBuild) : undefined;
  const photoRuns = on("photos") || on("targets") ? await photoSection(bench, e2eBuild) : undefined;
  if (on("targets") && gemm && rows && epochs) targetsSection(bench, { e2eBuild, gemm, rows, epochs, photoRuns });
  if (rows) {
    writeChart(rows);
    bench.say(`![images per second](results.png)`);
    bench.say();
  }
}
if (on("profile")) await profileSection(bench);
if (on("users")) await usersSection(bench);
const out = bench.out ?? (bench.everything ? join(PACKAGE_ROOT, "bench/RESULTS.md") : undefined);
if (out) {
  writeFileAtomic(out, bench.lines.join("\n") + "\n");
  console.log(`\nwrote ${out}`);
} else console.log(`\n(a partial or --quick run: no report written; --out FILE writes one)`);
