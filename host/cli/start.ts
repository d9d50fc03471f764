// `denoise-wasm start` (what `npm start` runs): train a blind model on MNIST, evaluate
// it against baselines on the test set, write results/ (weights, grids, chart, metrics, report).
import type { Command } from "commander";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { evaluate, formatTable, makeNoisySet, runModel, score } from "../core/eval.js";
import { EVAL_NOISES } from "../core/noise.js";
import { dataDir, loadSplit, saveWeights } from "../node/files.js";
import { stderrProgress } from "../node/progress.js";
import { writeReport } from "../node/report.js";
import { addTrainFlags, intFlag, type TrainFlags } from "./flags.js";
import { dropCheckpoint, round1, runFacts, trainSession } from "./run.js";
import { openSession } from "./session.js";
import { catchStopSignals } from "./signals.js";

export function startCommand(prog: Command): void {
  addTrainFlags(prog.command("start"), "results")
    .description("train a blind (mixed-noise) model on MNIST, evaluate it against baselines, write results/")
    .option("--eval-limit <n>", "evaluate on the first N test images only", intFlag(1))
    .action(async (f: TrainFlags & { evalLimit?: number }, cmd: Command) => {
      const stop = catchStopSignals();
      try {
        const s = await openSession(f, cmd);
        const out = s.settings.out,
          model = s.model;
        if (!f.quiet) {
          process.stderr.write(
            `start: a short schedule — ${s.settings.arch}, ${s.settings.epochs} epochs of ${s.settings.noise} noise, ` +
              `then the full test set (the shipped default weights are a longer run; see docs/training.md)\n`,
          );
        }
        const test = loadSplit(dataDir(s.settings.data), "test");
        const valCount = Math.min(1000, test.count);
        // MNIST has no validation split: the PSNR after each epoch is measured on test images, and every label says so.
        const val = { title: "test psnr (db) per epoch", legend: `mean of 3 noises, first ${valCount} test images` };
        const valNote = `PSNR after each epoch (train[].valPsnr) is on the first ${valCount} MNIST test images (fixed noisy copies, mean of gaussian, salt-pepper and speckle), not a held-out share of the training images`;
        let valSets: ReturnType<typeof makeNoisySet>[] | undefined;
        await trainSession(
          s,
          stop,
          "start",
          f.quiet,
          (rec) => {
            // PSNR after each epoch: fixed noisy copies of the first test images.
            valSets ??= EVAL_NOISES.map((n, k) => makeNoisySet(model, test, n, valCount, 777 + k));
            const ps = valSets.map((v) => score(runModel(model, v.noisy, v.count), v.clean, v.count, v.H, v.W).psnr);
            rec.valPsnr = ps.reduce((a, b) => a + b, 0) / ps.length;
          },
          "test PSNR",
        );
        const evalRun = evaluate(model, test, { count: f.evalLimit, progress: stderrProgress(f.quiet) });
        const facts = runFacts(s);
        mkdirSync(out, { recursive: true });
        saveWeights(model, join(out, "weights.safetensors"), facts, f.adamState);
        const files = writeReport(
          out,
          {
            ...facts,
            eval_images: evalRun.sets[0].count,
            eval_seconds: round1(evalRun.seconds),
            arch: model.arch.name,
            epoch_psnr: valNote,
          },
          { run: s.run, loss: model.loss, val },
          evalRun,
        );
        dropCheckpoint(s);
        process.stdout.write(
          `\n${formatTable(evalRun.table)}\n\nwrote ${[join(out, "weights.safetensors"), ...files].join(", ")}\n`,
        );
      } finally {
        stop.dispose();
      }
    });
}
