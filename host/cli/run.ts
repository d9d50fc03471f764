// Training a session to its last epoch with checkpoints: one at the start and at every epoch end;
// on a stop signal one after the current batch and exit 130 / 143; on divergence a one-line error
// naming the step and the last good checkpoint, with nothing else written.
import { rmSync } from "node:fs";
import { ExitError, UserError } from "../core/errors.js";
import { DivergedError, nextTask, trainUntil, type EpochRecord, type Trainer } from "../core/train.js";
import { saveCheckpoint } from "../node/files.js";
import { stderrProgress } from "../node/progress.js";
import { recordedSettings, resumeArgs, type Session } from "./session.js";
import { STOP_CODES, type StopSignals } from "./signals.js";

/** x to 0.1: a number (metrics.json keeps numbers as numbers; safetensors metadata makes strings of them). */
export const round1 = (x: number): number => Math.round(x * 10) / 10;

/** What the weights files and metrics.json say about the run. */
export function runFacts(s: Session): Record<string, string | number | boolean> {
  const st = s.settings;
  return {
    noise: st.noise,
    ...(st.level !== undefined ? { level: st.level } : {}),
    ...(st.mix !== undefined ? { mix: st.mix } : {}),
    ...(st.sigma !== undefined ? { sigma: st.sigma } : {}),
    ...(st.clip !== undefined ? { clip: st.clip } : {}),
    epochs: st.epochs,
    batch: st.batch,
    lr: st.lr,
    seed: st.seed,
    shuffle: st.shuffle,
    train_images: s.data.count,
    data: recordedSettings(st).data,
    build: s.engine.build,
    final_loss: s.run.epochs.at(-1)?.loss ?? NaN,
    train_seconds: round1(s.run.seconds),
    ...(s.resumedFrom ? { resumed_from: s.resumedFrom } : {}),
    created: new Date().toISOString(),
  };
}

function writeCheckpoint(s: Session): void {
  saveCheckpoint(
    s.model,
    s.checkpoint,
    {
      settings: recordedSettings(s.settings),
      state: s.trainer.state(),
      data: s.data,
      history: s.run,
    },
    runFacts(s),
  );
}

/** Where a trainer stands, for messages: "epoch 3, batch 2 of 8, step 18". */
function position(t: Trainer): string {
  if (t.stepsDone === 0) return "start of training, step 0";
  return t.batch === 0
    ? `end of epoch ${t.epoch}, step ${t.stepsDone}`
    : `epoch ${t.epoch + 1}, batch ${t.batch} of ${t.batchesPerEpoch}, step ${t.stepsDone}`;
}

/** Trains the session to its last epoch (see the file's header); `command` names it in the resume hint. */
export async function trainSession(
  s: Session,
  stop: StopSignals,
  command: string,
  quiet: boolean | undefined,
  onEpoch?: (rec: EpochRecord) => void,
  valLabel?: string,
): Promise<void> {
  let last = { path: s.checkpoint, where: position(s.trainer) };
  writeCheckpoint(s);
  if (!quiet) process.stderr.write(`checkpoint: ${s.checkpoint} (at every epoch end and on SIGINT / SIGTERM)\n`);
  let finished: boolean;
  try {
    finished = await trainUntil(s.trainer, s.settings.epochs, s.run, {
      progress: stderrProgress(quiet, s.unit),
      onEpoch,
      valLabel,
      unit: s.unit,
      pause: nextTask,
      shouldStop: () => stop.signal !== undefined,
      onEpochEnd: () => {
        writeCheckpoint(s);
        last = { path: s.checkpoint, where: position(s.trainer) };
      },
    });
    if (finished) {
      await nextTask(); // a signal that came during the last batch
      finished = stop.signal === undefined;
    }
  } catch (e) {
    if (!quiet && process.stderr.isTTY) process.stderr.write("\n"); // end the progress bar's line
    if (e instanceof DivergedError) {
      throw new UserError(
        `${e.message}; no weights written; last good checkpoint: ${last.path} (${last.where}); try a lower --lr`,
      );
    }
    throw e;
  }
  if (!finished) {
    const sig = stop.signal!;
    if (!quiet && process.stderr.isTTY) process.stderr.write("\n");
    writeCheckpoint(s);
    throw new ExitError(
      `interrupted by ${sig} at ${position(s.trainer)}: checkpoint written to ${s.checkpoint}; continue with: denoise-wasm ${command} ${resumeArgs(s)}`,
      STOP_CODES[sig],
    );
  }
  stop.dispose();
}

/** After a successful run: a checkpoint at the default path goes (the weights file holds weights and Adam state). */
export function dropCheckpoint(s: Session): void {
  if (!s.keepCheckpoint) rmSync(s.checkpoint, { force: true });
}
