// End to end against the peers (bench/e2e.ts runs them): images/s per network, run, batch and
// threads, ours beside PyTorch, ONNX Runtime web and node, TF.js, with the batch-1 latency and the
// training scaling from 1 to 2 threads.
import type { Arch } from "../../host/core/arch.js";
import type { BuildName, Engine } from "../../host/core/engine.js";
import { Model } from "../../host/core/model.js";
import { best, endToEnd, fmt, PEERS, versions, type Row } from "../e2e.js";
import type { Bench } from "./context.js";

/** The row of one network (by name), run, batch and thread count. */
export const findRow = (rows: Row[], arch: string, what: string, batch: number, threads: number) =>
  rows.find((r) => r.arch.name === arch && r.what === what && r.batch === batch && r.threads === threads);

export async function peersSection(bench: Bench, relaxed: Engine, e2eBuild: BuildName): Promise<Row[]> {
  const { say, quick: QUICK, seconds: SECONDS, rounds: ROUNDS } = bench;
  const rows = await endToEnd({
    build: e2eBuild,
    rounds: ROUNDS,
    seconds: QUICK ? 0.5 : SECONDS,
    say: (t) => console.log(t ?? ""),
  });
  const mflop = (a: Arch) => (2 * new Model(relaxed, a, 1, undefined, { inference: true }).macsPerImage()) / 1e6;
  const ratioCell = (row: Row, peer: string) => {
    const m = row.peers.get(`${peer}/${row.threads}`),
      b = best(row, peer);
    const note = row.notes.get(`${peer}/${row.threads}`);
    if (!m && !b) return note ?? "-";
    const bestNote = b && b.threads !== row.threads ? `; best ${b.m.median.toFixed(0)} at ${b.threads} thr` : "";
    return `${fmt(m)} (**${(row.ours.median / b!.m.median).toFixed(2)}×**${bestNote})`;
  };
  say(`## End to end: images/s, median [min–max] of ${ROUNDS} round${ROUNDS > 1 ? "s" : ""}`);
  say();
  say(
    `Ours: ${e2eBuild} build; training = noise sampled per image on the threads + zero_grad + forward + MSE + backward + Adam; ` +
      `inference models have no gradient arenas. Each round runs ours at 1 and 2 threads and every peer at 1 and 2 threads, in turn; ` +
      `a pool of ours is made for each measurement and closed before any peer starts, so peers never run beside our worker threads. ` +
      `Peers: PyTorch ${versions.get("PyTorch") ?? "(absent)"} (Debian's python3-torch, OPENBLAS_NUM_THREADS=1, the same network built from our architecture JSON); ` +
      `ONNX Runtime ${versions.get("ORT web") ?? "web (absent)"} web (wasm) and ${versions.get("ORT node") ?? "node (absent)"} node (native) running *our exported ONNX model*; ` +
      `TF.js ${versions.get("TF.js wasm") ?? "(absent)"} on \`seed\` (one thread). ` +
      `In brackets: our median ÷ the peer's best median at no more threads than ours had.`,
  );
  say();
  for (const arch of [...new Set(rows.map((r) => r.arch))]) {
    say(`### \`${arch.name}\`: ${arch.input.join("×")} per image, ${mflop(arch).toFixed(1)} MFLOP forward`);
    say();
    say(`| run | batch | threads | ours | ${PEERS.join(" | ")} |`);
    say(`|---|---|---|---|${PEERS.map(() => "---|").join("")}`);
    for (const r of rows.filter((x) => x.arch === arch))
      say(
        `| ${r.what} | ${r.batch} | ${r.threads} | ${fmt(r.ours)} | ${PEERS.map((p) => ratioCell(r, p)).join(" | ")} |`,
      );
    say();
  }
  const row = (arch: string, what: string, batch: number, threads: number) => findRow(rows, arch, what, batch, threads);
  const lat = row("seed", "infer", 1, 1)!;
  const scale = row("seed", "train", 64, 2)!.ours.median / row("seed", "train", 64, 1)!.ours.median;
  say(
    `Batch-1 latency (\`seed\`, inference model, one thread): ${(1000 / lat.ours.median).toFixed(3)} ms. ` +
      `Training scaling 1 → 2 threads (\`seed\`, batch 64, timed in alternating rounds): ${scale.toFixed(2)}×.`,
  );
  say();
  return rows;
}
