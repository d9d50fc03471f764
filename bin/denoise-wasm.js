#!/usr/bin/env node
// The `denoise-wasm` command: a committed file (builds delete and rewrite dist/, which would drop
// an execute bit set there), running the CLI compiled into dist/host/cli/main.js. In a clone
// before `npm install` (which builds dist/ and fetches the dependencies) it says so in one line.
let main;
try {
  ({ main } = await import("../dist/host/cli/main.js"));
} catch (e) {
  if (e?.code !== "ERR_MODULE_NOT_FOUND") throw e;
  process.stderr.write(
    `denoise-wasm: ${String(e.message).split("\n")[0]}: run 'npm install' in this clone first (it builds dist/)\n`,
  );
  process.exit(1);
}
process.exitCode = await main(process.argv);
