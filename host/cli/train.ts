// `denoise-wasm train`: train a model and save its weights (with Adam state) as .safetensors.
import type { Command } from "commander";
import { saveWeights } from "../node/files.js";
import { addTrainFlags, type TrainFlags } from "./flags.js";
import { dropCheckpoint, runFacts, trainSession } from "./run.js";
import { openSession } from "./session.js";
import { catchStopSignals } from "./signals.js";

export function trainCommand(prog: Command): void {
  addTrainFlags(prog.command("train"), "weights.safetensors")
    .description("train a model and save its weights (with Adam state) as .safetensors")
    .action(async (f: TrainFlags, cmd: Command) => {
      const stop = catchStopSignals();
      try {
        const s = await openSession(f, cmd);
        if (s.validation && !f.quiet) process.stderr.write(`validation: ${s.validation}\n`);
        await trainSession(s, stop, "train", f.quiet, s.validate && ((rec) => (rec.valPsnr = s.validate!())));
        saveWeights(s.model, s.settings.out, runFacts(s), f.adamState);
        dropCheckpoint(s);
        process.stdout.write(
          `trained ${s.settings.epochs} epoch(s): loss ${s.run.epochs.at(-1)!.loss.toFixed(6)}; wrote ${s.settings.out}\n`,
        );
      } finally {
        stop.dispose();
      }
    });
}
