// End to end against the peers, honestly: for each network (the notebook's `seed`, the shipped
// digit model `unet24`, and the shipped photo model `unet32` on 48×48 training patches and 128×128
// tiles) and each run (training, inference), ours
// at 1 and 2 threads and every peer at 1 and 2 threads take turns, ROUNDS rounds; each figure is
// the median with its min–max. Peers run as child processes only while none of our worker threads
// is alive (a pool is created for each measurement of ours and closed after it). A ratio divides
// our median by the peer's best median at no more threads than ours had. A whole CLI epoch is
// timed too, next to the step alone.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getArch, SEED, type Arch } from "../host/core/arch.js";
import type { BuildName } from "../host/core/engine.js";
import { Model } from "../host/core/model.js";
import { noiseSpec } from "../host/core/noise.js";
import { openNodeEngine, nodePool } from "../host/node/engine.js";
import { PACKAGE_ROOT } from "../host/node/files.js";
import { exportOnnxFile } from "./peers/onnx-file.js";

/** The shipped photo model's network (`unet32`, data/photo.safetensors) at a given patch or tile side. */
export function photoNet(side: number): Arch {
  return { ...getArch("unet32"), input: [1, side, side] };
}

/** Median time (ms) of fn over repeated runs filling about `seconds` (after one untimed run). */
export function timeMs(fn: () => void, seconds: number): number {
  fn();
  const samples: number[] = [];
  const end = performance.now() + seconds * 1000;
  do {
    const t0 = performance.now();
    fn();
    samples.push(performance.now() - t0);
  } while (performance.now() < end || samples.length < 3);
  samples.sort((a, b) => a - b);
  return samples[samples.length >> 1];
}

export interface Measure {
  median: number;
  min: number;
  max: number;
  samples: number[];
}
const measure = (samples: number[]): Measure => {
  const s = [...samples].sort((a, b) => a - b);
  return { median: s[Math.floor((s.length - 1) / 2)], min: s[0], max: s[s.length - 1], samples };
};
export const fmt = (m: Measure | undefined) =>
  m ? `${m.median.toFixed(0)} [${m.min.toFixed(0)}–${m.max.toFixed(0)}]` : "-";

export interface Run {
  arch: Arch;
  what: "train" | "infer";
  batch: number;
  tfjs: boolean;
}
export interface Row extends Run {
  threads: number;
  ours: Measure;
  peers: Map<string, Measure>;
  notes: Map<string, string>;
}

export type PeerOut = {
  imagesPerSecond?: number;
  unsupported?: string;
  version?: string;
  error?: string;
  blas?: string;
};
export function child(cmd: string, argv: string[], env: NodeJS.ProcessEnv = {}): PeerOut {
  try {
    const out = execFileSync(cmd, argv, {
      encoding: "utf8",
      env: { ...process.env, ...env },
      timeout: 300_000,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const line = out
      .trim()
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .pop();
    return line ? JSON.parse(line) : { error: "no JSON line" };
  } catch (e) {
    return { error: ((e as Error).message.split("\n")[0] ?? "failed").slice(0, 160) };
  }
}

export interface E2EOptions {
  build: BuildName;
  rounds: number;
  /** Seconds each measurement (ours or a peer) runs. */
  seconds: number;
  say: (s?: string) => void;
}

/** Our images/s for a run at `threads`, with a pool made for it and closed before returning. */
export async function measureOurs(run: Run, threads: number, build: BuildName, seconds: number): Promise<number> {
  const engine = await openNodeEngine({ build, threads: threads > 1 });
  const pool = threads > 1 ? await nodePool(engine, threads) : undefined;
  try {
    const model = new Model(engine, run.arch, run.batch, pool, { inference: run.what === "infer" });
    if (run.what === "train") model.init(1);
    const t = model.targetView(run.batch);
    for (let i = 0; i < t.length; i++) t[i] = (i * 7919) % 13 < 3 ? (i % 255) / 255 : 0;
    const noise = noiseSpec("gaussian");
    const step = run.what === "train" ? () => model.trainStep(run.batch, noise) : () => model.forward(run.batch);
    return (1000 * run.batch) / timeMs(step, seconds);
  } finally {
    pool?.close();
  }
}

const dir = mkdtempSync(join(tmpdir(), "denoise-bench-"));
const archFile = (arch: Arch) => {
  const p = join(dir, `${arch.name}.json`);
  writeFileSync(p, JSON.stringify(arch));
  return p;
};

/** The peers of a run at `threads`: name → images/s (or a note saying why not). */
function peers(run: Run, threads: number, seconds: number, onnx: string | undefined): Map<string, PeerOut> {
  const out = new Map<string, PeerOut>();
  const common = [
    "--mode",
    run.what,
    "--batch",
    String(run.batch),
    "--threads",
    String(threads),
    "--seconds",
    String(seconds),
  ];
  out.set(
    "PyTorch",
    child(
      "/usr/bin/python3",
      [join(PACKAGE_ROOT, "bench/peers/pytorch.py"), "--arch-json", archFile(run.arch), ...common],
      { OPENBLAS_NUM_THREADS: "1" },
    ),
  );
  if (run.what === "infer") {
    for (const runtime of ["web", "node"] as const) {
      out.set(
        `ORT ${runtime}`,
        onnx
          ? child(process.execPath, [
              join(PACKAGE_ROOT, "dist/bench/peers/ort.js"),
              "--runtime",
              runtime,
              "--model",
              onnx,
              "--shape",
              run.arch.input.join("x"),
              ...common,
            ])
          : { unsupported: "no ONNX export" },
      );
    }
  }
  if (run.tfjs && threads === 1) {
    for (const backend of ["wasm", "cpu"]) {
      if (backend === "cpu" && run.what === "train" && run.batch !== 64) continue;
      out.set(
        `TF.js ${backend}`,
        child(process.execPath, [join(PACKAGE_ROOT, "dist/bench/peers/tfjs.js"), "--backend", backend, ...common]),
      );
    }
  }
  return out;
}

export const PEERS = ["PyTorch", "ORT web", "ORT node", "TF.js wasm", "TF.js cpu"] as const;
export const versions = new Map<string, string>();

/** Every run, ROUNDS rounds of ours and the peers in turn. */
export async function endToEnd(o: E2EOptions): Promise<Row[]> {
  const unet24 = getArch("unet24"),
    patches = photoNet(48),
    tiles = photoNet(128);
  const runs: Run[] = [
    { arch: SEED, what: "train", batch: 64, tfjs: true },
    { arch: SEED, what: "infer", batch: 256, tfjs: true },
    { arch: SEED, what: "infer", batch: 1, tfjs: true },
    { arch: unet24, what: "train", batch: 64, tfjs: false },
    { arch: unet24, what: "infer", batch: 256, tfjs: false },
    { arch: patches, what: "train", batch: 64, tfjs: false },
    { arch: tiles, what: "infer", batch: 8, tfjs: false },
  ];
  const onnxOf = new Map<string, string | undefined>();
  // One file a network: the exported model takes any batch, height and width.
  for (const a of [SEED, unet24, patches]) onnxOf.set(a.name, await exportOnnxFile(a, dir));
  const rows: Row[] = [];
  for (const run of runs) {
    const samples = new Map<number, number[]>(),
      peerSamples = new Map<string, number[]>(),
      notes = new Map<string, string>();
    for (let r = 0; r < o.rounds; r++) {
      for (const threads of [1, 2]) {
        // A small network's batch-1 step is too short to share across threads: one thread only.
        if (run.batch === 1 && threads > 1) continue;
        samples.set(threads, [...(samples.get(threads) ?? []), await measureOurs(run, threads, o.build, o.seconds)]);
        for (const [name, res] of peers(run, threads, o.seconds, onnxOf.get(run.arch.name))) {
          const key = `${name}/${threads}`;
          if (res.version)
            versions.set(
              name,
              res.version + (res.blas ? ` with ${res.blas === "openblas" ? "OpenBLAS" : `${res.blas} BLAS`}` : ""),
            );
          if (res.imagesPerSecond) peerSamples.set(key, [...(peerSamples.get(key) ?? []), res.imagesPerSecond]);
          else notes.set(key, res.unsupported ? `unsupported (${res.unsupported})` : `error: ${res.error}`);
        }
      }
      o.say(`<!-- ${run.arch.name} ${run.what} b${run.batch}: round ${r + 1}/${o.rounds} done -->`);
    }
    for (const [threads, s] of samples) {
      const peerMeasures = new Map<string, Measure>();
      for (const [key, v] of peerSamples) peerMeasures.set(key, measure(v));
      rows.push({ ...run, threads, ours: measure(s), peers: peerMeasures, notes });
    }
  }
  return rows;
}

/** The peer's best median at no more than `threads` threads. */
export function best(row: Row, peer: string): { m: Measure; threads: number } | undefined {
  let out: { m: Measure; threads: number } | undefined;
  for (let t = 1; t <= row.threads; t++) {
    const m = row.peers.get(`${peer}/${t}`);
    if (m && (!out || m.median > out.m.median)) out = { m, threads: t };
  }
  return out;
}

/** What a CLI epoch trains on: MNIST (the first `limit` images) or the photo folder's patches. */
export type EpochData =
  | { kind: "mnist"; limit?: number }
  | { kind: "photos"; dir: string; patch: number; perImage: number };

/**
 * One CLI training epoch (`train --epochs 1 --batch 64`) at `threads`: the items/s the CLI prints for
 * the epoch (batch or patch assembly, noise, the step, the per-step non-finite check and progress
 * included; the validation pass and the checkpoint write after it are not), or a note on why it did
 * not run.
 */
export function cliEpoch(arch: string, threads: number, build: BuildName, data: EpochData): number | string {
  const out = join(dir, `cli-${arch}-${threads}.safetensors`);
  const what =
    data.kind === "mnist"
      ? data.limit
        ? ["--limit", String(data.limit)]
        : []
      : [
          "--images",
          data.dir,
          "--patch",
          String(data.patch),
          "--patches-per-image",
          String(data.perImage),
          "--val-split",
          "0",
        ];
  const r = spawnSync(
    process.execPath,
    [
      "--experimental-wasm-relaxed-simd",
      join(PACKAGE_ROOT, "dist/host/cli/main.js"),
      "train",
      "--arch",
      arch,
      "--epochs",
      "1",
      "--batch",
      "64",
      "--threads",
      String(threads),
      "--build",
      build,
      "--no-adam-state",
      "--out",
      out,
      ...what,
    ],
    { encoding: "utf8", timeout: 900_000 },
  );
  const m = /epoch 1\/1: .* ([\d.]+) (?:img|patches)\/s/.exec(r.stderr ?? "");
  return m ? Number(m[1]) : `failed: ${(r.stderr ?? "").trim().split("\n").pop()}`;
}

/**
 * A whole CLI epoch against the training step alone, in `rounds` alternating rounds (the step timed for
 * `seconds` right before each epoch, so both see the machine in the same state): both measures, or a
 * note on why the epoch did not run.
 */
export async function epochAgainstStep(
  run: Run,
  threads: number,
  build: BuildName,
  data: EpochData,
  rounds: number,
  seconds: number,
): Promise<{ epoch: Measure; step: Measure } | string> {
  const epoch: number[] = [],
    step: number[] = [];
  for (let k = 0; k < rounds; k++) {
    step.push(await measureOurs(run, threads, build, seconds));
    const v = cliEpoch(run.arch.name, threads, build, data);
    if (typeof v === "string") return v;
    epoch.push(v);
  }
  return { epoch: measure(epoch), step: measure(step) };
}
