// `npm run bench`: the engine against itself (kernel workbench: validate every variant, then time it,
// as GFLOP/s and % of the measured peak), per layer, and end to end against the peers (bench/e2e.ts:
// seed, unet24 and the photo model unet32; PyTorch, ONNX Runtime web and node on our exported model,
// TF.js; alternating rounds, medians with their spread), plus a whole CLI epoch. Writes
// bench/RESULTS.md and bench/results.png. `--quick`: shorter timings and one round, a smoke run.
// Never part of `npm test`: timings belong here, correctness in the tests.
// Each section of the report is a module of bench/suites/, run here in the report's order.
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
import { targetsSection } from "./suites/targets.js";

const bench = benchContext(process.argv.slice(2));
machineSection(bench);
const engines = await loadEngines(bench);
peakSection(bench, engines);
const gemm = gemmSection(bench, engines);
const relaxed = engines.relaxed ?? engines.strict!;
layerSection(bench, relaxed);
const e2eBuild: BuildName = engines.relaxed ? "relaxed" : "strict";
const rows = await peersSection(bench, relaxed, e2eBuild);
const epochs = await epochSection(bench, rows, e2eBuild);
const photoRuns = await photoSection(bench, e2eBuild);
targetsSection(bench, { e2eBuild, gemm, rows, epochs, photoRuns });
writeChart(rows);
bench.say(`![images per second](results.png)`);
writeFileAtomic(join(PACKAGE_ROOT, "bench/RESULTS.md"), bench.lines.join("\n") + "\n");
console.log(`\nwrote bench/RESULTS.md and bench/results.png`);
