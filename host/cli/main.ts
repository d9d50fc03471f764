#!/usr/bin/env node
// The command line: `denoise-wasm <start|train|eval|denoise|noise|export>`, one file per command
// beside this one; with no command it prints the help (`npm start` runs `start`). Errors a user
// can cause print one line on stderr and exit 1; outputs are written atomically. Training writes a checkpoint at every epoch end and on SIGINT / SIGTERM
// (then exits 130 / 143); `--resume CKPT` continues it bit-identically (host/core/checkpoint.ts).
import { Command } from "commander";
import { basename } from "node:path";
import { ExitError } from "../core/errors.js";
import { denoiseCommand } from "./denoise.js";
import { evalCommand } from "./eval.js";
import { exportCommand } from "./export.js";
import { checkRequired } from "./flags.js";
import { noiseCommand } from "./noise.js";
import { startCommand } from "./start.js";
import { trainCommand } from "./train.js";

export function program(): Command {
  const prog = new Command("denoise-wasm")
    .usage("<command> [options]")
    .description("A convolutional denoising autoencoder that trains and runs in WebAssembly.")
    .showHelpAfterError(false)
    .configureOutput({ outputError: (s, write) => write(s.trim().replace(/\s*\n\s*/g, " ") + "\n") }); // one line, "(Did you mean …?)" included
  prog.hook("preAction", checkRequired);
  for (const add of [startCommand, trainCommand, evalCommand, denoiseCommand, noiseCommand, exportCommand]) add(prog);
  // No command: the help, not a training run; any other word is an unknown command.
  // A mistyped command comes with its own arguments and options: all taken here, so the error names the command.
  prog
    .argument("[command...]")
    .allowUnknownOption()
    .action((words: string[]) => {
      const cmd = words[0];
      if (cmd === undefined) prog.help();
      if (cmd.startsWith("-")) prog.error(`error: unknown option '${cmd}'`);
      const names = prog.commands.map((c) => c.name()),
        near = names.map((n) => [n, editDistance(cmd, n)] as const).sort((a, b) => a[1] - b[1])[0];
      prog.error(
        `error: unknown command '${cmd}'${near && near[1] <= 2 ? ` (did you mean '${near[0]}'?)` : ""} (commands: ${names.join(", ")})`,
      );
    });
  return prog;
}

/** Levenshtein distance: how many one-letter edits turn a into b. */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++)
      row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length];
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

// Run when executed directly (`node dist/host/cli/main.js`), not when imported by tests or the bin.
const invoked = process.argv[1] ? basename(process.argv[1]) : "";
if (invoked === "main.js") {
  main(process.argv).then((code) => {
    process.exitCode = code;
  });
}
